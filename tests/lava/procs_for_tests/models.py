"""Model of ``Boom`` (absolute import: Lava's discovery executes this file outside the package)."""

import time

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from procs_for_tests.process import Boom


@implements(proc=Boom, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyBoom(PyLoihiProcessModel):
    inp: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)

    def __init__(self, proc_params):
        super().__init__(proc_params)
        if proc_params["fail_build"]:
            raise RuntimeError("Boom refuses to build")

    def run_spk(self):
        x = self.inp.recv()
        if self.proc_params["sleep_s"]:
            time.sleep(self.proc_params["sleep_s"])
        if self.time_step == self.proc_params["fail_at"]:
            raise ValueError(f"boom at step {self.time_step}")
        self.out.send(x)
        if self.time_step == self.proc_params["stop_at"]:
            self._req_stop = True
