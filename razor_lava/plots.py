"""Pictures of frame data, drawn with matplotlib's Agg canvas (no display needed).

Figures are built with ``matplotlib.figure.Figure`` rather than pyplot, so
plotting never touches the global backend or opens windows, and files are
written atomically (temporary file, then rename).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from .atomic import atomic_path
from .errors import DataFormatError

def save_png(fig, path) -> Path:
    """Write a matplotlib figure as PNG to ``path``, atomically (the one home of that for every plot)."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        fig.savefig(f, dpi=110, format="png")
    return path


# ON events red, OFF events blue, on white; pixels with both look dark purple.
_ON_RGB = np.array([0.85, 0.10, 0.10])
_OFF_RGB = np.array([0.10, 0.25, 0.85])


def frames_to_rgb(frame: np.ndarray) -> np.ndarray:
    """One frame ``C x H x W`` (C = 2: channel 0 OFF, 1 ON; C = 1: all events) -> RGB ``H x W x 3`` in [0, 1].

    Counts are scaled by the frame's 99th percentile of non-zero values so a
    single hot pixel does not wash out the rest; binary frames stay binary.
    """
    f = np.asarray(frame, dtype=np.float64)
    nz = f[f > 0]
    scale = max(1.0, float(np.percentile(nz, 99))) if nz.size else 1.0
    f = np.clip(f / scale, 0.0, 1.0)
    on, off = (f[1], f[0]) if f.shape[0] == 2 else (np.zeros_like(f[0]), f[0])
    rgb = 1.0 - on[..., None] * (1.0 - _ON_RGB) - off[..., None] * (1.0 - _OFF_RGB)
    return np.clip(rgb, 0.0, 1.0)


def plot_class_frames(
    frames: np.ndarray,
    labels: Sequence[int],
    class_names: Sequence[str],
    path: str | os.PathLike,
    n_cols: int = 10,
    title: str | None = None,
    *,
    active: np.ndarray | None = None,
    frame_ms: float | None = None,
) -> Path:
    """Draw one row per class: ``n_cols`` frames, evenly spread over time, of its first sample.

    frames: ``N x C x H x W x T`` (C = 1 or 2, SLAYER layout, time last).
    labels: ``N`` class indices into ``class_names``; a class without a
        sample gets an empty row.
    active: optional bool ``N x T``; frames marked False get a grey title
        ("idle"), e.g. the ground truth of ``SyntheticGestures.active_frames``.
    frame_ms: frame length in ms, to label columns with times instead of indices.
    Writes a PNG at ``path`` (parent folders created) and returns it as a Path.
    """
    from matplotlib.figure import Figure

    frames = np.asarray(frames)
    labels = np.asarray(labels).reshape(-1)
    if frames.ndim != 5 or frames.shape[1] not in (1, 2):
        raise DataFormatError("frames", f"expected N x C x H x W x T with C = 1 or 2, got shape {frames.shape}")
    if labels.shape[0] != frames.shape[0]:
        raise DataFormatError("labels", f"expected {frames.shape[0]} labels (one per sample), got {labels.shape[0]}")
    if active is not None and np.shape(active) != (frames.shape[0], frames.shape[-1]):
        raise DataFormatError("active", f"expected shape {(frames.shape[0], frames.shape[-1])}, got {np.shape(active)}")
    n_t = frames.shape[-1]
    n_cols = max(1, min(int(n_cols), n_t))
    cols = np.unique(np.round(np.linspace(0, n_t - 1, n_cols)).astype(int))
    n_rows = len(class_names)

    fig = Figure(figsize=(1.1 * len(cols) + 1.6, 1.15 * n_rows + (0.5 if title else 0.2)), dpi=100)
    axes = fig.subplots(n_rows, len(cols), squeeze=False)
    for r, name in enumerate(class_names):
        hits = np.flatnonzero(labels == r)
        for c, k in enumerate(cols):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if hits.size:
                n = int(hits[0])
                ax.imshow(frames_to_rgb(frames[n, ..., k]), interpolation="nearest", origin="upper")
                idle = active is not None and not bool(active[n, k])
                when = f"{k * frame_ms:g} ms" if frame_ms else f"t={k}"
                ax.set_title(when + (" idle" if idle else ""), fontsize=7, color="0.6" if idle else "black")
            if c == 0:
                label = name if hits.size else f"{name}\n(no sample)"
                ax.set_ylabel(label, fontsize=8, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()

    return save_png(fig, path)
