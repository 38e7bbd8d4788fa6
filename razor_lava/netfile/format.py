"""The network file's format: its version, its layout and its checksum (read by ``read.py``, written by ``write.py``).

Layout (format version 2; ``read.py`` also reads version 1)::

    layer/0 ...            netx layers (lava-dl block export; plain netx reads them)
    razor/                 attrs: format_version, generator, config (YAML),
                           frame_spec (JSON), classes (JSON), checksum (``content_digest``)
    razor/pruners/<k>/     pruner at the input of layer k (the layer index, spec.py):
                           attrs variant, ratio, theta, theta_int, pool, input_scale,
                           area, in_shape; datasets weight, bias, embeddings, lut,
                           frame_bias (only where the pruner has one: the schedule baselines)
                           (``pruning.params.pruner_record`` / ``pruner_from_record``)
    razor/cutoff/          Top-K cutoff table (dataset beta, one per timestep), when calibrated
"""

from __future__ import annotations

import hashlib

import h5py
import numpy as np

FORMAT_VERSION = 2  # 2: razor/pruners/<layer index>; 1: keyed by config index (layer index - 1)


def content_digest(f: h5py.File) -> str:
    """SHA-256 of every dataset (path, dtype, shape, bytes) and every attribute under ``layer/`` and
    ``razor/`` but ``razor``'s own ``checksum``: a file damaged after it was written no longer matches."""
    h = hashlib.sha256()

    def add_attrs(name, obj):
        for k in sorted(obj.attrs):
            if not (obj.name == "/razor" and k == "checksum"):
                h.update(f"{name}@{k}={np.asarray(obj.attrs[k]).tobytes().hex()}".encode())

    def visit(name, obj):
        add_attrs(name, obj)
        if isinstance(obj, h5py.Dataset):
            v = np.asarray(obj[()])
            h.update(f"{name}:{v.dtype.str}:{v.shape}".encode())
            h.update(np.ascontiguousarray(v).tobytes())

    for top in ("layer", "razor"):
        if top in f:
            add_attrs(top, f[top])
            f[top].visititems(lambda name, obj, top=top: visit(f"{top}/{name}", obj))
    return h.hexdigest()
