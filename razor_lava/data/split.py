"""The validation split: carved from the training set, stratified and deterministic."""

from __future__ import annotations

import numpy as np

# The carve does not depend on the training seed: every seed and every pruner position of a config
# select epochs and calibrate the cutoff on the same samples, so their numbers compare.
SPLIT_SEED = 0


def stratified_split(labels, fraction: float, seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """``(train indices, validation indices)``, both sorted, for ``labels`` (one int per sample).

    Each class gives ``round(fraction * n_c)`` of its ``n_c`` samples to the validation split, and at
    least one while it keeps one for training (a class of one sample stays in training); which ones is
    a permutation drawn from ``seed``. ``fraction`` 0 gives an empty validation split.
    """
    labels = np.asarray(labels)
    if not 0 <= fraction < 1:
        raise ValueError(f"stratified_split: fraction must be in [0, 1), got {fraction}")
    if fraction == 0:
        return np.arange(len(labels)), np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng(seed)
    val = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        k = min(max(int(round(fraction * len(members))), 1), len(members) - 1)
        val.append(rng.permutation(members)[:k])
    val = np.sort(np.concatenate(val)).astype(np.int64)
    train = np.setdiff1d(np.arange(len(labels)), val)
    return train, val
