"""Samples back to back in one Lava run: the timing all razor_lava processes share, and their records.

A stream feeds ``N`` samples of ``T`` frames, one sample every ``P >= T``
steps (the period). A process whose input lags the source by ``start`` steps
(``P`` per window gate upstream) sees frame ``t`` of sample ``n`` at Lava step
``start + n * P + 1 + t`` (Lava counts steps from 1): its *slot* ``(n, t)``.
Slot positions ``T .. P-1`` carry no frame; they give netx's LIF layers time
to settle before their reset (``razor_lava.deployment.stream``). A run of one
sample is the stream with ``N = 1`` and ``P = T``.

Per-sample results go to *records*: ``.npy`` files the runner creates and the
models write in place through numpy memmaps, so a whole stream is read back
at once. (Lava's ``Var.get`` sends one element per message, about 40 000 per
second: far too slow for ``N x T`` tables.) Plain numpy: Lava's compiler
executes this package's modules to discover process models.
"""

from __future__ import annotations

import numpy as np


def slot(time_step: int, start: int, period: int) -> tuple[int, int]:
    """``(n, t)`` of Lava step ``time_step`` for a process ``start`` steps behind the source; ``(-1, -1)`` before."""
    k = int(time_step) - int(start) - 1
    return (-1, -1) if k < 0 else divmod(k, int(period))


def open_records(paths: dict | None) -> dict:
    """The writable memmaps of a process's records (``{name: path}`` from its proc_params; ``{}`` without)."""
    return {name: np.load(path, mmap_mode="r+") for name, path in (paths or {}).items()}


def stream_params(n_frames: int, period: int | None, n_samples: int, records: dict | None) -> dict:
    """The stream keyword arguments every razor_lava process takes, normalised (``check_stream`` checks them)."""
    return {"period": int(n_frames) if period is None else int(period), "n_samples": int(n_samples),
            "records": dict(records or {})}


def check_stream(stream: dict, n_frames: int) -> None:
    """Raise ``ConfigError`` unless ``P >= T`` and ``N >= 1``; call after ``AbstractProcess.__init__``."""
    from razor_lava.errors import ConfigError

    if stream["period"] < n_frames or stream["n_samples"] < 1:
        raise ConfigError("stream", f"expected period >= n_frames ({n_frames}) and n_samples >= 1, "
                          f"got period {stream['period']}, n_samples {stream['n_samples']}")
