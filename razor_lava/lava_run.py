"""Run Lava networks so that they always end, and leave no worker process behind.

Lava 0.10 runs every process model in a forked worker. Its own ``run()`` and
``stop()`` hang in several everyday situations (measured on the CPU simulator):

- a process model raises during a blocking ``run()``: the runtime service waits
  for every model, the others wait in ``recv()``, so ``run()`` never returns;
- Ctrl-C sends SIGINT to the whole process group: every worker dies of
  ``KeyboardInterrupt`` and ``stop()`` then waits forever for their answers;
- ``stop()`` of a runtime that never ran, or with dead workers, blocks in
  ``join()``, and so does interpreter exit, since the workers are not daemons.

``LavaSession`` avoids all three: workers are forked with SIGINT blocked (only
this process sees Ctrl-C), runs are non-blocking and polled for worker
exceptions, dead workers and a time limit, and on any failure every worker is
killed. Usage::

    with LavaSession(net, Loihi2SimCfg(select_tag="fixed_pt")) as session:
        session.run(100, timeout_s=60)      # may be called again: state carries over
        out = sink.data.get()               # read Vars while the runtime is paused
    # the runtime is stopped here, also when the block raised

``run_steps`` is the one-shot form: run, call ``read(proc)``, stop.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import signal
import threading
import time
from typing import Any, Callable

import psutil
from lava.magma.core.run_conditions import RunSteps

from .errors import LavaRunError, LavaTimeoutError

POLL_S = 0.02  # how often a running network is checked for failed workers
STOP_TIMEOUT_S = 10.0  # a healthy stop() takes about 0.2 s


class LavaSession:
    """The runtime of the Lava network that contains ``proc``, from compile to stop.

    ``run_cfg`` picks the process models (e.g. ``Loihi2SimCfg(select_tag="fixed_pt")``).
    Compilation happens on the first ``run``. ``close()`` (or leaving the
    ``with`` block) stops the runtime; after a failed run the workers are
    already killed and the network cannot run again.
    """

    def __init__(self, proc, run_cfg, compile_config: dict | None = None):
        self.proc = proc
        self.run_cfg = run_cfg
        self.compile_config = compile_config
        self._killed = False

    def __enter__(self) -> "LavaSession":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()

    def run(self, num_steps: int, timeout_s: float | None = None) -> None:
        """Run ``num_steps`` time steps (compiling first if needed) and pause.

        ``timeout_s`` limits the stepping (seconds, compilation not included).
        Raises ``LavaRunError`` if a process model raised or a worker died,
        ``LavaTimeoutError`` past the time limit, and re-raises
        ``KeyboardInterrupt``; in all three cases the workers are killed first.
        """
        if num_steps < 1:
            raise ValueError(f"num_steps must be >= 1, got {num_steps}")
        if self._killed:
            raise LavaRunError("this network's Lava workers were killed after an earlier failure; build a new network")
        if self.proc.runtime is None:
            self._create_runtime()
        rt = self.proc.runtime
        t0 = time.monotonic()
        try:
            self.proc.run(RunSteps(num_steps=num_steps, blocking=False))
            # runtime.wait() blocks until every model answered, i.e. forever once one has
            # failed, so it waits in a daemon thread while this thread watches the workers.
            waiter = _Waiter(rt)
            while waiter.is_alive():
                _raise_for_failed_workers(rt)
                if timeout_s is not None and time.monotonic() - t0 > timeout_s:
                    raise LavaTimeoutError(f"the Lava run of {num_steps} steps took more than {timeout_s} s")
                waiter.join(POLL_S)
            if waiter.error is not None:
                raise LavaRunError(f"the Lava runtime failed: {waiter.error!r}")
        except BaseException:
            self.kill()
            raise

    def close(self) -> None:
        """Stop the runtime and end its workers; does nothing if there is none.

        A paused runtime gets Lava's own ``stop()``; if that does not finish in
        ``STOP_TIMEOUT_S`` or is interrupted, the workers are killed.
        """
        rt = self.proc.runtime
        if rt is None or self._killed:
            return
        if not rt._is_started:  # never ran (stop() would hang) or a model requested stop
            self.kill()
            return
        stopper = _Waiter(rt, "stop")
        try:
            stopper.join(STOP_TIMEOUT_S)
        except BaseException:
            self.kill()
            raise
        if stopper.is_alive() or stopper.error is not None:
            self.kill()
            problem = "timed out" if stopper.is_alive() else f"failed: {stopper.error!r}"
            raise LavaRunError(f"Lava's stop() {problem}; its workers were killed")

    def kill(self) -> None:
        """Kill every worker of the runtime at once and free its shared memory."""
        self._killed = True
        rt = self.proc.runtime
        if rt is not None:
            _hard_kill(rt)

    def _create_runtime(self) -> None:
        exe = self.proc.compile(self.run_cfg, self.compile_config)  # no workers yet: Ctrl-C is harmless here
        try:
            with _sigint_deferred():
                self.proc.create_runtime(executable=exe)
        except Exception as e:  # a model's __init__ raised in its worker; the other workers live on
            self.kill()
            raise LavaRunError(f"building the Lava workers failed: {e!r}", getattr(e, "trace", None)) from e
        except BaseException:
            self.kill()
            raise


def run_steps(proc, num_steps: int, run_cfg, timeout_s: float | None = None,
              read: Callable[[Any], Any] | None = None) -> Any:
    """Compile and run the network containing ``proc`` for ``num_steps``, then stop it.

    ``read(proc)`` is called after the run and before the stop, the only time
    Vars (sink data, counters) can be read; its result is returned (None
    without ``read``). Errors are as in ``LavaSession.run``; in every case the
    runtime's workers are gone when this returns or raises.
    """
    with LavaSession(proc, run_cfg) as session:
        session.run(num_steps, timeout_s)
        return read(proc) if read is not None else None


def leftover_workers() -> list[psutil.Process]:
    """Live child processes of this process, ignoring zombies and multiprocessing's resource_tracker.

    After a stopped or killed Lava network this should be empty; the
    resource_tracker lives as long as this process and is harmless.
    """
    alive = []
    for p in psutil.Process().children(recursive=True):
        try:
            if p.status() == psutil.STATUS_ZOMBIE or "resource_tracker" in " ".join(p.cmdline()):
                continue
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        alive.append(p)
    return alive


@contextlib.contextmanager
def _sigint_deferred():
    """Fork Lava's workers with SIGINT blocked, and hold back a Ctrl-C until they all exist.

    Forked workers inherit the signal mask, so they ignore a Ctrl-C sent to
    the process group for good and stay able to answer stop(). In this
    process a Ctrl-C is raised as KeyboardInterrupt when the block ends, so
    it never lands between a fork and Lava's record of the new worker.
    """
    interrupted = []
    in_main = threading.current_thread() is threading.main_thread()  # signal.signal works only there
    old_handler = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True)) if in_main else None
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        if in_main:
            signal.signal(signal.SIGINT, old_handler if old_handler is not None else signal.default_int_handler)
    if interrupted:
        raise KeyboardInterrupt


class _Waiter(threading.Thread):
    """Calls ``runtime.<method>()`` in a daemon thread and keeps the exception it raises."""

    def __init__(self, runtime, method: str = "wait"):
        super().__init__(daemon=True, name=f"lava-{method}")
        self._call = getattr(runtime, method)
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self._call()
        except BaseException as e:  # reported by the watching thread, not printed by threading
            self.error = e


def _actors(rt) -> list:
    mi = rt._messaging_infrastructure
    return list(mi.actors) if mi is not None else []


def _raise_for_failed_workers(rt) -> None:
    """Raise LavaRunError if a worker reported an exception or died during a run."""
    actors = _actors(rt)
    # Exceptions first: a failing worker sends its traceback, then exits.
    for a in actors:
        try:
            exc = a.exception  # (exception, traceback text) or None
        except (OSError, EOFError, ValueError):  # pipe closed by a concurrent join()
            continue
        if exc is not None:
            raise LavaRunError(f"a Lava process model raised {exc[0]!r}", exc[1])
    for a in actors:
        try:
            alive = a.is_alive()
        except ValueError:  # already joined and closed
            continue
        if not alive and a.exitcode != 0:  # 0: a clean exit, after a model requested stop
            raise LavaRunError(f"Lava worker {a.name} (pid {a.pid}) exited with code {a.exitcode} during a run")


def _hard_kill(rt, reap_timeout_s: float = 2.0) -> None:
    """SIGKILL every worker of ``rt``, free its shared memory, and make a later stop() a no-op."""
    actors = _actors(rt)
    for a in actors:
        try:
            if a.is_alive():
                a.kill()
        except ValueError:  # closed: it was joined already
            pass
    for a in actors:
        try:
            mp.Process.join(a, reap_timeout_s)  # reap; Lava's own join() has no timeout
        except (ValueError, AssertionError):
            pass
        # Release what the killed worker held in this process: its exception pipe and its
        # process sentinel (otherwise two or three file descriptors per worker per kill leak).
        for conn in (getattr(a, "_pconn", None), getattr(a, "_cconn", None)):
            try:
                if conn is not None:
                    conn.close()
            except OSError:
                pass
        try:
            if a.exitcode is not None:
                mp.Process.close(a)
        except (ValueError, AttributeError):
            pass
    mi = rt._messaging_infrastructure
    # rt.join() ends the runtime's port threads in this process. A _Waiter thread stays
    # blocked in runtime.wait() for good: a daemon thread, it does not delay exit.
    for shutdown in (rt.join, lambda: mi.smm.shutdown(), lambda: rt._watchdog_manager.stop()):
        try:
            shutdown()
        except Exception:  # half-built runtime: nothing to shut down
            pass
    # Runtime.__del__ and Process.stop() call stop() while _is_started, which would hang.
    rt._is_started = rt._is_running = False
