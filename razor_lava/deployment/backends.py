"""Which Lava backend runs a network: the Loihi 2 simulator or Loihi 2 hardware."""

from __future__ import annotations

from ..errors import RazorLavaError

BACKENDS = ("sim", "loihi2")


class BackendUnavailable(RazorLavaError):
    """The requested backend cannot run here; the message says what is missing."""


def check_backend(name: str) -> str:
    """Return the backend name if it can run here, else raise BackendUnavailable."""
    if name not in BACKENDS:
        raise BackendUnavailable(f"unknown backend {name!r}; expected one of {BACKENDS}")
    if name == "sim":
        return name
    try:
        from lava.utils import loihi  # noqa: F401  (ships with the closed lava-loihi package)
    except ImportError:
        raise BackendUnavailable(
            "--backend loihi2 needs Intel's lava-loihi package (for members of the Intel Neuromorphic "
            "Research Community) and a reachable Loihi 2 board; lava-loihi is not installed in this "
            "environment. Run on the simulator with --backend sim."
        ) from None
    if not loihi.is_installed():
        raise BackendUnavailable("lava-loihi is installed but no Loihi 2 board is reachable from this machine "
                                 "(lava.utils.loihi.is_installed() is False). Run with --backend sim.")
    raise BackendUnavailable(
        "lava-loihi and a board were found, but razor_lava's frame gates and LIAF layers have CPU process "
        "models only; running them between Loihi 2 slices (PyToNxAdapter / NxToPyAdapter at every gate) is "
        "not implemented yet. Run with --backend sim.")
