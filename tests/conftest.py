"""Shared test helpers live in tests/ (e.g. netfiles.py); pytest puts this folder on sys.path.

``make test`` runs the suite in two processes (pytest-xdist, ``--dist loadgroup``): tests that must share one
process (the notebooks, which hand a network from one to the next) carry ``pytest.mark.xdist_group``.
"""

import os
import shutil

import pytest


def pytest_configure(config):
    """In a worker process of ``make test``: torch, and the programs tests start, use one thread.

    Two workers on two cores with two torch threads each spend their time waiting for each other's threads."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        import torch

        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


def pytest_collection_modifyitems(config, items):
    """Heaviest modules first (the most ``slow`` tests), each module's tests in their own order.

    With two workers the suite ends when the last long test ends: started first, the long ones overlap and the
    many short tests fill in behind them. Without workers the order changes nothing but the order."""
    by_module: dict = {}
    for item in items:
        by_module.setdefault(item.nodeid.split("::")[0], []).append(item)
    weight = {m: sum(1 for i in its if i.get_closest_marker("slow")) for m, its in by_module.items()}
    order = sorted(by_module, key=lambda m: -weight[m])  # sorted() is stable: ties keep the collection order
    items[:] = [i for m in order for i in by_module[m]]


@pytest.fixture
def one_torch_thread():
    # A parent that used several torch threads can leave a forked Lava worker that uses torch
    # deadlocked (docs/design.md: no torch inside a Lava process model): the Lava tests run with one thread.
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A finished run of the embedded default (``synthetic_small``: 1 epoch, 40 training and 20 test samples,
    cutoff calibrated), trained once per test process. Tests only read it; one that changes a run works on a
    copy (``copy_of_tiny_run``)."""
    from razor_lava.config import load_config
    from razor_lava.training.options import RunOptions
    from razor_lava.training.run import train

    run = tmp_path_factory.mktemp("tiny_run") / "run"
    train(load_config("synthetic_small"), RunOptions(out=run, epochs=1, train_samples=40, test_samples=20,
                                                     progress=False), log=lambda *a: None)
    return run


@pytest.fixture
def copy_of_tiny_run(tiny_run, tmp_path):
    """A copy of ``tiny_run`` this test may change."""
    return shutil.copytree(tiny_run, tmp_path / "run")
