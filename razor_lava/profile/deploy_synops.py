"""Deploy with Lava's synop counters in the same run, and check them against SLAYER's, sample by sample.

``deploy_counting`` is ``deployment.evaluate.deploy_samples`` with a ``SynopTap``
(a ``SynopCounter`` in front of every weighted layer): the report gains
``synops_agreement`` (the fraction of samples whose Lava events and synops per
layer and frame equal SLAYER's; with the cutoff, SLAYER's account of what was
spent before each answer, ``cutoff_spent.spent_counts``), per-sample
``synops_equal`` and ``synops``, and the synops per sample of both. It lives
here, not in ``deployment``: deployment knows measurements only as taps.
"""

from __future__ import annotations

import numpy as np

from ..netfile import NetworkFile


def deploy_counting(nf: NetworkFile, frames: np.ndarray, labels, cutoff: bool = False, results: list | None = None,
                    **kw) -> dict:
    """``deploy_samples(nf, frames, labels, cutoff=cutoff, **kw)`` with the synop counters and their check; the
    deploy's SLAYER reference is the counting pass (its ``slayer_seconds_per_sample`` includes the counting)."""
    from ..deployment.evaluate import deploy_samples
    from .lava_counter import SynopTap
    from .slayer_counter import count_reference

    slayer, ref = count_reference(nf, frames)  # one SLAYER pass: the counts and the deploy's reference
    runs = [] if results is None else results
    report = deploy_samples(nf, frames, labels, cutoff=cutoff, taps=[SynopTap()], results=runs, reference=ref, **kw)
    return report | _synops_check(nf, frames, runs[-1], slayer, ref["output"], cutoff, report["per_sample"])


def _synops_check(nf: NetworkFile, frames: np.ndarray, res, slayer, out, cutoff: bool, per_sample: list) -> dict:
    """Lava's counts (``res.taps``) against SLAYER's, per sample; with the cutoff, against SLAYER's account
    of what was spent before each exit of the rule on SLAYER's outputs (``cutoff_equal`` says whether
    Lava exited there too). Marks ``synops_equal`` in every ``per_sample`` row."""
    from .counts import build_counts, fanout_maps
    from .cutoff_spent import spent_counts

    counted = res.taps["synops"]
    lava = build_counts(nf, counted["events"], counted["synops"], {}, frames.shape[-1], fanout_maps(nf))
    if cutoff:
        from ..cutoff.rule import exit_decisions

        slayer = spent_counts(nf, slayer, exit_decisions(out, nf.cutoff["beta"])[0])
    for i, row in enumerate(per_sample):
        row["synops_equal"] = all(np.array_equal(lava.events[k][i], slayer.events[k][i]) and
                                  np.array_equal(lava.synops[k][i], slayer.synops[k][i]) for k in lava.layers)
        row["synops"] = int(sum(int(lava.synops[k][i].sum()) for k in lava.layers))
    n = max(len(per_sample), 1)
    return {"synops_agreement": float(np.mean([r["synops_equal"] for r in per_sample])) if per_sample else 1.0,
            "lava_synops_per_sample": lava.total() / n, "slayer_synops_per_sample": slayer.total() / n}
