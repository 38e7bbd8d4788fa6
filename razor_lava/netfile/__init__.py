"""The network file: one model (``spec``), one reader (``read``), one writer (``write``)."""

from .format import FORMAT_VERSION
from .read import SUPPORTED_TYPES, load_network_file
from .spec import LayerSpec, NetworkFile, NeuronSpec
from .write import export_network, write_cutoff, write_operating_point

__all__ = ["FORMAT_VERSION", "SUPPORTED_TYPES", "LayerSpec", "NetworkFile", "NeuronSpec", "export_network",
           "load_network_file", "write_cutoff", "write_operating_point"]
