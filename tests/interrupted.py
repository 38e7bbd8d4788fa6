"""A training epoch that fails on its n-th call: a run interrupted (Ctrl-C) or broken (a bad sample) there."""

from __future__ import annotations


def failing_epoch(real, n: int, exc: BaseException):
    """``real`` (the training loop's epoch function) that raises ``exc`` on its ``n``-th call."""
    calls = {"n": 0}

    def epoch(*a, **k):
        calls["n"] += 1
        if calls["n"] == n:
            raise exc
        return real(*a, **k)

    return epoch
