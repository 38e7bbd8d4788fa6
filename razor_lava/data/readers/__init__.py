"""Readers of the original release formats of the benchmark event data sets.

Every reader returns an EVENT_DTYPE array (``x, y, p, t``; ``t`` in
microseconds, non-decreasing) checked by ``validate_events`` against the data
set's sensor, and raises DataFormatError naming the file for any malformed
input (FileNotFoundError for a file that does not exist).
"""

from .aedat import DVS128_SENSOR_SIZE, decode_aedat2, decode_aedat3, read_aedat2, read_aedat3
from .atis import (
    NCALTECH101_SENSOR_SIZE,
    NMNIST_SENSOR_SIZE,
    decode_atis,
    read_atis,
    read_ncaltech101,
    read_nmnist,
)
from .shd import SHD_CLASS_NAMES, SHD_SENSOR_SIZE, SHDFile

__all__ = [
    "DVS128_SENSOR_SIZE",
    "NCALTECH101_SENSOR_SIZE",
    "NMNIST_SENSOR_SIZE",
    "SHD_CLASS_NAMES",
    "SHD_SENSOR_SIZE",
    "SHDFile",
    "decode_aedat2",
    "decode_aedat3",
    "decode_atis",
    "read_aedat2",
    "read_aedat3",
    "read_atis",
    "read_ncaltech101",
    "read_nmnist",
]
