"""run_steps / LavaSession always end, raise a clear error, and leave no Lava worker behind.

The network is source -> Boom (identity; can raise, sleep or fail to build) -> sink.
Plain Lava hangs forever in each failure case below; every test here ends in seconds.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.proc import io

from procs_for_tests.process import Boom
from razor_lava.errors import LavaRunError, LavaTimeoutError
from razor_lava.lava_run import LavaSession, leftover_workers, run_steps

pytestmark = pytest.mark.lava

CFG = Loihi2SimCfg(select_tag="fixed_pt")
N, T = 4, 30
N_WORKERS = 5  # shared-memory manager + runtime service + source, Boom, sink
SLOW_STEPS = 400  # with sleep_s=0.05: a 20 s run, to be interrupted
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def build(steps=T, **boom_kwargs):
    """(source process, sink, input data (N, steps)) of source -> Boom -> sink."""
    data = (np.random.default_rng(0).random((N, steps)) < 0.5).astype(np.int32)
    src = io.source.RingBuffer(data=data)
    boom = Boom(n=N, **boom_kwargs)
    sink = io.sink.RingBuffer(shape=(N,), buffer=steps)
    src.s_out.connect(boom.inp)
    boom.out.connect(sink.a_in)
    return src, sink, data


@pytest.fixture
def new_workers():
    """Returns the workers started by the test and still alive; kills them afterwards so they cannot leak."""
    before = {p.pid for p in leftover_workers()}

    def alive():
        return [p for p in leftover_workers() if p.pid not in before]

    yield alive
    for p in alive():
        p.kill()


def wait_for_workers(count_alive, n=N_WORKERS, timeout_s=30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if count_alive() >= n:
            return True
        time.sleep(0.05)
    return False


def test_normal_run_returns_what_read_saw_and_stops(new_workers):
    src, sink, data = build()
    out = run_steps(src, T, CFG, timeout_s=60, read=lambda _: sink.data.get())
    assert np.array_equal(out, data)  # Boom passes its input through in the same step
    assert new_workers() == []


def test_session_runs_twice_then_stops(new_workers):
    src, sink, data = build()
    with LavaSession(src, CFG) as session:
        session.run(10)
        session.run(T - 10)  # Lava keeps its state between runs
        out = sink.data.get()
        assert len(new_workers()) >= N_WORKERS
    assert np.array_equal(out, data)
    assert new_workers() == []


def test_exception_in_a_process_model_is_raised_and_workers_are_killed(new_workers):
    src, _, _ = build(fail_at=5)
    t0 = time.monotonic()
    with pytest.raises(LavaRunError, match="boom at step 5") as info:
        run_steps(src, T, CFG, timeout_s=60)
    assert time.monotonic() - t0 < 30
    assert "ValueError" in info.value.worker_traceback
    assert new_workers() == []


def test_exception_while_building_workers_is_raised_and_workers_are_killed(new_workers):
    src, _, _ = build(fail_build=True)
    with pytest.raises(LavaRunError, match="refuses to build"):
        run_steps(src, T, CFG, timeout_s=60)
    assert new_workers() == []


def test_a_model_that_requests_stop_ends_the_run_cleanly(new_workers):
    src, _, _ = build(stop_at=5)
    run_steps(src, T, CFG, timeout_s=60)
    assert new_workers() == []


def test_timeout_kills_the_run(new_workers):
    src, _, _ = build(SLOW_STEPS, sleep_s=0.05)
    t0 = time.monotonic()
    with pytest.raises(LavaTimeoutError, match="more than 0.5 s"):
        run_steps(src, SLOW_STEPS, CFG, timeout_s=0.5)
    assert time.monotonic() - t0 < 15
    assert new_workers() == []


def test_sigint_to_this_process_raises_keyboard_interrupt(new_workers):
    src, _, _ = build(SLOW_STEPS, sleep_s=0.05)
    done = threading.Event()

    def interrupt():
        if wait_for_workers(lambda: len(new_workers())):
            time.sleep(0.5)  # well inside the 20 s run
            if not done.is_set():
                os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_steps(src, SLOW_STEPS, CFG, timeout_s=60)
    finally:
        done.set()
    assert new_workers() == []


CHILD = f"""
import sys
sys.path[:0] = [{str(HERE)!r}, {str(ROOT)!r}]
import numpy as np
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.proc import io
from procs_for_tests.process import Boom
from razor_lava.lava_run import leftover_workers, run_steps

src = io.source.RingBuffer(data=np.ones(({N}, {SLOW_STEPS}), np.int32))
boom = Boom(n={N}, sleep_s=0.05)
sink = io.sink.RingBuffer(shape=({N},), buffer={SLOW_STEPS})
src.s_out.connect(boom.inp)
boom.out.connect(sink.a_in)
try:
    run_steps(src, {SLOW_STEPS}, Loihi2SimCfg(select_tag="fixed_pt"), timeout_s=60)
    print("run finished")
except KeyboardInterrupt:
    print("KeyboardInterrupt; leftover workers:", len(leftover_workers()), flush=True)
"""


def test_ctrl_c_to_the_process_group_raises_keyboard_interrupt_and_leaves_no_worker():
    """A terminal's Ctrl-C signals the whole process group, workers included; run it in its own session."""
    child = subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)
    workers = []
    try:
        parent = psutil.Process(child.pid)

        def count():
            workers[:] = [p for p in parent.children(recursive=True) if "resource_tracker" not in " ".join(p.cmdline())]
            return len(workers)

        assert wait_for_workers(count, timeout_s=60), "the child never started its Lava workers"
        time.sleep(0.5)  # well inside the 20 s run
        os.killpg(child.pid, signal.SIGINT)
        out, _ = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        survivors = [p for p in workers if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        for p in survivors:
            p.kill()
    assert "KeyboardInterrupt; leftover workers: 0" in out, out
    assert survivors == []
