"""Names a package exports but imports on first use: the one helper behind every lazy ``__init__``.

torch, Lava, nir and tonic are heavy imports; ``import razor_lava`` (or ``razor_lava.profile``) must not pay
for them before a name that needs them is used. A package lists its names and where they live::

    __getattr__, __dir__ = lazy_exports(__name__, {"EventPruner": ".module", "deploy": "razor_lava.x:deploy_samples"})

A value is ``"module"`` (the attribute of the same name in it) or ``"module:attribute"``; a module starting with
``.`` is relative to the package. The first look-up imports it and stores the value in the package.
"""

from __future__ import annotations

import importlib
import sys


def lazy_exports(package: str, exports: dict[str, str]):
    """``(__getattr__, __dir__)`` for ``package`` whose ``exports`` (name -> "module[:attribute]") are lazy."""

    def __getattr__(name: str):
        try:
            module, _, attr = exports[name].partition(":")
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module, package), attr or name)
        setattr(sys.modules[package], name, value)  # later look-ups skip this function
        return value

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
