"""``Boom``: an identity process that can fail, sleep or refuse to build, to test run control."""

from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess


class Boom(AbstractProcess):
    """Passes (n,) int input through in the same step.

    ``fail_at``: raise ValueError in run_spk at this step (0: never);
    ``sleep_s``: seconds to sleep every step; ``fail_build``: raise in the
    model's ``__init__``, i.e. while the runtime builds its workers;
    ``stop_at``: ask the runtime to stop after this step (0: never).
    """

    def __init__(self, *, n: int, fail_at: int = 0, sleep_s: float = 0.0, fail_build: bool = False,
                 stop_at: int = 0):
        super().__init__(n=n, fail_at=fail_at, sleep_s=sleep_s, fail_build=fail_build, stop_at=stop_at)
        self.inp = InPort(shape=(n,))
        self.out = OutPort(shape=(n,))
