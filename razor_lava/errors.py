"""Exceptions a user can cause, each naming the offending input."""

from __future__ import annotations

import os


class RazorLavaError(Exception):
    """Base class of all errors raised on purpose by razor_lava."""


class DataFormatError(RazorLavaError, ValueError):
    """A data file or event stream is not what its format promises.

    The message always names the file (or the stream) and what was expected.
    """

    def __init__(self, source: str | os.PathLike | None, problem: str):
        self.source = None if source is None else os.fspath(source)
        self.problem = problem
        where = f"{self.source}: " if self.source else ""
        super().__init__(f"{where}{problem}")


class DatasetLayoutError(RazorLavaError, FileNotFoundError):
    """A data set directory lacks files or folders its release always has."""

    def __init__(self, root: str | os.PathLike, problem: str):
        self.root = os.fspath(root)
        self.problem = problem
        super().__init__(f"{self.root}: {problem}")


class ConfigError(RazorLavaError, ValueError):
    """A configuration value is missing or inconsistent; names the key."""

    def __init__(self, key: str, problem: str, source: str | None = None):
        self.key = key
        self.problem = problem
        where = f"{source}: " if source else ""
        super().__init__(f"{where}config key '{key}': {problem}")


class UsageError(RazorLavaError, ValueError):
    """A command-line option (or its library argument) is wrong or clashes with another; names it."""

    def __init__(self, option: str, problem: str):
        self.option = option
        self.problem = problem
        super().__init__(f"{option}: {problem}")


class LavaRunError(RazorLavaError, RuntimeError):
    """A Lava run failed: a process model raised, a worker died, or it timed out.

    The runtime's workers have been killed when this is raised, so the network
    cannot be run again; build a new one. ``worker_traceback`` holds the
    traceback text of the failing process model, when there is one.
    """

    def __init__(self, problem: str, worker_traceback: str | None = None):
        self.problem = problem
        self.worker_traceback = worker_traceback
        detail = f"\n--- traceback in the Lava worker ---\n{worker_traceback}" if worker_traceback else ""
        super().__init__(f"{problem}{detail}")


class LavaTimeoutError(LavaRunError, TimeoutError):
    """A Lava run took longer than its time limit; its workers have been killed."""
