"""Progress bars that do not break Lava.

tqdm creates a multiprocessing lock with its first bar, which fixes
multiprocessing's start method; Lava later calls ``set_start_method("fork")``
when its runtime is imported, and that raises "context has already been set".
So Lava's runtime module is imported before the first bar (about 0.2 s), and
every progress bar in razor_lava comes from here.
"""

from __future__ import annotations

from typing import Iterable


def progress(iterable: Iterable, enabled: bool = True, **kwargs):
    """``tqdm(iterable, **kwargs)`` when ``enabled``, else ``iterable`` itself."""
    if not enabled:
        return iterable
    import lava.magma.runtime.message_infrastructure.multiprocessing  # noqa: F401  (sets "fork" first)
    from tqdm.auto import tqdm

    return tqdm(iterable, **kwargs)
