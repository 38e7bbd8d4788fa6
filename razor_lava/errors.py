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
