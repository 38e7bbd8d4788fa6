"""Import lava-dl SLAYER without its import-time chatter.

lava-dl 0.6 prints a warning about an optional Prophesee toolbox and torch
prints a CUDA_HOME note when SLAYER is imported; neither concerns our users.
"""

import contextlib
import io

with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    import lava.lib.dl.slayer as slayer  # noqa: E402

__all__ = ["slayer"]
