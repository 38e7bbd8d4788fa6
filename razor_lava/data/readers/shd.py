"""Reader of the Spiking Heidelberg Digits HDF5 files (``shd_train.h5``, ``shd_test.h5``).

Layout (Cramer et al. 2020): ``spikes/times`` (ragged float arrays, seconds),
``spikes/units`` (ragged uint16, 0..699), ``labels`` (uint16, 20 classes), and
optionally ``extra/keys`` (the 20 class names). Events come out with
``x = unit, y = 0, p = 0, t = round(time * 1e6)`` microseconds, in time order (out-of-order times raise),
on the sensor (700, 1, 1).
"""

from __future__ import annotations

import os

import h5py
import numpy as np

from ...errors import DataFormatError
from ..events import EVENT_DTYPE, validate_events

SHD_SENSOR_SIZE = (700, 1, 1)
SHD_NUM_CLASSES = 20
# Fallback when a file lacks extra/keys: English digits (labels 0-9), then
# German digits (labels 10-19), the order of the release's extra/keys.
SHD_CLASS_NAMES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    "null", "eins", "zwei", "drei", "vier", "fuenf", "sechs", "sieben", "acht", "neun",
)  # fmt: skip
_KEYS = ("spikes/times", "spikes/units", "labels")
_MAX_SECONDS = 2.0**62 / 1e6  # keeps t = time * 1e6 inside int64


class SHDFile:
    """One SHD HDF5 file, opened once, read sample by sample.

    ``len(f)`` is the number of samples, ``f.labels`` an int64 array of shape
    ``(len(f),)`` with values in 0..19, ``f.class_names`` the 20 names and
    ``f.read(i)`` the events of sample ``i``. The HDF5 handle is opened on
    first use in each process (pickling drops it), so the object can be handed
    to DataLoader workers. Raises FileNotFoundError for a missing file and
    DataFormatError naming the file for anything a malformed file can cause.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise FileNotFoundError(2, f"no such SHD file: {self.path}", self.path)
        self._h5: h5py.File | None = None
        try:
            self._load_index(self._file())
        except BaseException:
            self.close()
            raise

    def _load_index(self, f: h5py.File) -> None:
        """Check the keys and shapes, read the labels and class names."""
        for key in _KEYS:
            if not isinstance(_get(f, key), h5py.Dataset):
                raise DataFormatError(
                    self.path, f"missing dataset '{key}': expected datasets {', '.join(_KEYS)}"
                )
        try:
            labels = np.asarray(f["labels"][()])
            shapes = {key: f[key].shape for key in _KEYS}
        except (OSError, TypeError, ValueError) as e:
            raise DataFormatError(self.path, f"cannot read 'labels' ({e}); expected a 1-D integer array") from None
        if labels.ndim != 1 or labels.dtype.kind not in "iu":
            raise DataFormatError(
                self.path, f"'labels' has shape {labels.shape}, dtype {labels.dtype}: expected a 1-D integer array"
            )
        if any(len(s) != 1 for s in shapes.values()) or len(set(shapes.values())) != 1:
            raise DataFormatError(
                self.path, f"datasets have shapes {shapes}: expected three 1-D datasets of equal length"
            )
        bad = np.flatnonzero((labels < 0) | (labels >= SHD_NUM_CLASSES))
        if bad.size:
            i = int(bad[0])
            raise DataFormatError(
                self.path, f"labels[{i}] = {int(labels[i])}: expected a class in 0..{SHD_NUM_CLASSES - 1}"
            )
        self.labels = labels.astype(np.int64)
        self.class_names = self._read_class_names(f)

    def _read_class_names(self, f: h5py.File) -> tuple[str, ...]:
        keys = _get(f, "extra/keys")
        try:
            names = [k.decode() if isinstance(k, bytes) else str(k) for k in keys[()]] if keys is not None else []
        except (OSError, TypeError, ValueError, UnicodeDecodeError):
            names = []
        return tuple(names) if len(names) == SHD_NUM_CLASSES else SHD_CLASS_NAMES

    def _file(self) -> h5py.File:
        if self._h5 is None:
            try:
                self._h5 = h5py.File(self.path, "r")
            except OSError as e:
                raise DataFormatError(self.path, f"not a readable HDF5 file ({e}); expected an SHD .h5 file") from None
        return self._h5

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def label(self, i: int) -> int:
        """Class of sample ``i`` (0..19)."""
        return int(self.labels[i])

    def read(self, i: int) -> np.ndarray:
        """Events of sample ``i``: EVENT_DTYPE, shape ``(n,)``, in time order (``t`` in us; times that go backwards raise DataFormatError).

        Raises IndexError outside ``0 <= i < len(self)`` (negative indices
        count from the end) and DataFormatError for a malformed sample.
        """
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"{self.path}: sample {i} out of range for {n} samples")
        i = int(i) % n
        source = f"{self.path} [sample {i}]"
        f = self._file()
        try:
            times = np.asarray(f["spikes/times"][i], dtype=np.float64)
            units = np.asarray(f["spikes/units"][i])
        except (OSError, TypeError, ValueError) as e:
            raise DataFormatError(source, f"cannot read spikes ({e}); expected ragged float times and int units")
        if times.ndim != 1 or units.shape != times.shape or (units.size and units.dtype.kind not in "iu"):
            raise DataFormatError(
                source,
                f"times shape {times.shape}, units shape {units.shape} dtype {units.dtype}: "
                "expected 1-D arrays of equal length, integer units",
            )
        if times.size and not (np.isfinite(times).all() and np.abs(times).max() < _MAX_SECONDS):
            raise DataFormatError(source, "spike times are not finite: expected times in seconds")
        if units.size and (int(units.min()) < 0 or int(units.max()) >= SHD_SENSOR_SIZE[0]):
            raise DataFormatError(
                source,
                f"unit ids span {int(units.min())}..{int(units.max())}: expected 0..{SHD_SENSOR_SIZE[0] - 1}",
            )
        t = np.rint(times * 1e6).astype(np.int64)
        events = np.zeros(t.size, dtype=EVENT_DTYPE)
        events["x"] = units
        events["t"] = t
        # No silent sort: the release stores each sample's spikes in time order, and spike
        # times that go backwards are an error (validate_events names the first one).
        return validate_events(events, SHD_SENSOR_SIZE, source=source)

    def close(self) -> None:
        """Close the HDF5 handle (it reopens on the next read)."""
        if self._h5 is not None:
            self._h5.close()
            self._h5 = None

    def __enter__(self) -> "SHDFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __getstate__(self) -> dict:
        # h5py handles cannot cross process boundaries; reopen lazily there.
        return {**self.__dict__, "_h5": None}


def _get(f: h5py.File, key: str):
    """``f[key]`` or None; h5py raises for paths through datasets or broken links."""
    try:
        return f.get(key)
    except (KeyError, TypeError, ValueError, OSError):
        return None
