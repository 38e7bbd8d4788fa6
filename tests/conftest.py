"""Shared test helpers live in tests/ (e.g. netfiles.py); pytest puts this folder on sys.path."""

import pytest


@pytest.fixture
def one_torch_thread():
    # A parent that used several torch threads can leave a forked Lava worker that uses torch
    # deadlocked (research notes, section 7): the Lava tests run with one thread.
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
