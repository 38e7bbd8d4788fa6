"""Which Lava backend runs a network: the Loihi 2 simulator or Loihi 2 hardware, and how the board is reached.

``lava.utils.loihi`` ships with the open lava-nc package, so importing it
proves nothing; ``loihi.is_installed()`` tells whether Intel's lava-loihi is
present. A board is reached through SLURM (``loihi.use_slurm_host``:
``--partition`` or ``--board``, or SLURM's own choice) or as an Ethernet host
(``loihi.use_ethernet_host``: ``--host``). Every failure says which of these
is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import RazorLavaError

BACKENDS = ("sim", "loihi2")
CHIP_GENERATIONS = ("N3B2", "N3B3", "N3C1", "N3D1")  # lava.utils.loihi.ChipGeneration (N3B3: most INRC systems)


class BackendUnavailable(RazorLavaError):
    """The requested backend cannot run here; the message says what is missing."""


@dataclass
class Board:
    """How to reach a Loihi 2 board: ``host`` (Ethernet) or ``partition`` / ``board`` (SLURM), and the chip."""

    host: str | None = None
    host_binary: str = "nxcore/bin/nx_driver_server"
    partition: str | None = None
    board: str | None = None
    loihi_gen: str = "N3B3"


def lava_loihi_installed() -> bool:
    """True when Intel's lava-loihi is importable (``lava.utils.loihi.is_installed()``)."""
    from lava.utils import loihi

    return bool(loihi.is_installed())


def require_lava_loihi() -> None:
    """Raise ``BackendUnavailable`` unless lava-loihi is installed."""
    if not lava_loihi_installed():
        raise BackendUnavailable(
            "--backend loihi2 needs Intel's lava-loihi package (for members of the Intel Neuromorphic Research "
            "Community), which is not installed here: lava.utils.loihi.is_installed() is False (the module "
            "lava.utils.loihi itself ships with the open lava-nc). --plan shows where each part would run without "
            "it; --backend sim runs the simulator.")


def check_backend(name: str, board: Board | None = None) -> str:
    """Return the backend name if it can run here (for ``loihi2``: after connecting to the board as ``board``
    says), else raise ``BackendUnavailable`` naming what is missing."""
    if name not in BACKENDS:
        raise BackendUnavailable(f"unknown backend {name!r}; expected one of {BACKENDS}")
    if name == "sim":
        return name
    board = board or Board()
    if board.loihi_gen not in CHIP_GENERATIONS:
        raise BackendUnavailable(f"--loihi-gen {board.loihi_gen!r}: expected one of {', '.join(CHIP_GENERATIONS)}")
    require_lava_loihi()
    from lava.utils import loihi, slurm

    gen = loihi.ChipGeneration(board.loihi_gen)
    if board.host is not None:
        if board.partition is not None or board.board is not None:
            raise BackendUnavailable("--host: give either --host (an Ethernet-attached board) or --partition/--board "
                                     "(SLURM), not both")
        try:
            loihi.use_ethernet_host(board.host, host_binary_path=board.host_binary, loihi_gen=gen)
        except ValueError as e:  # lava-loihi pings the host first
            raise BackendUnavailable(f"--host {board.host}: the Loihi 2 host does not answer ({e})") from None
        return name
    if not slurm.is_available():
        what = "--partition/--board need" if board.partition or board.board else "no --host was given, and reaching a board without one needs"
        raise BackendUnavailable(f"lava-loihi is installed, but {what} SLURM, which is not available on this machine "
                                 "(lava.utils.slurm.is_available() is False): give --host ADDRESS for an "
                                 "Ethernet-attached board (Kapoho Point), or run where SLURM reaches one")
    if board.partition is not None and board.board is not None:
        raise BackendUnavailable("--partition/--board: give one of them (SLURM picks a board of a partition)")
    try:
        loihi.use_slurm_host(partition=board.partition, board=board.board, loihi_gen=gen)
    except (ValueError, RuntimeError) as e:  # an unknown partition or board
        raise BackendUnavailable(f"SLURM cannot reach the Loihi 2 board "
                                 f"({'--partition ' + board.partition if board.partition else ''}"
                                 f"{'--board ' + board.board if board.board else ''}): {e}") from None
    return name
