"""Other tools' formats: NIR graphs (``nir_export``, ``nir_import``) and tonic data sets (``tonic_data.TonicSource``, also ``razor_lava.interop.TonicSource``).

The modules import ``nir`` / ``tonic`` on first use: razor_lava runs without them
(they install with ``pip install razor_lava[interop]``).
"""

from ..lazy import lazy_exports


def require(module: str, purpose: str):
    """Import ``module`` (nir, tonic, ...), or a ``UsageError`` that says how to install it."""
    import importlib

    from ..errors import UsageError

    try:
        return importlib.import_module(module)
    except ImportError:
        raise UsageError(module, f"{purpose} needs the '{module}' package: pip install 'razor_lava[interop]' "
                                 f"(or pip install {module})") from None


# razor_lava.interop.TonicSource / read_nir without importing tonic or nir up front
__getattr__, __dir__ = lazy_exports(__name__, {"TonicSource": ".tonic_data", "read_nir": ".nir_import"})
