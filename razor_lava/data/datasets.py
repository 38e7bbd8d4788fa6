"""tonic-style data sets over release directories the user already has (no downloads).

Each class has ``sensor_size`` (W, H, P), ``classes`` (names, index = label),
``targets`` (label of every item), ``len()`` and ``ds[i] -> (events, label)``
with ``events`` an EVENT_DTYPE array (``t`` in microseconds) after the
optional ``transform``. A directory that lacks what its release always has
raises DatasetLayoutError listing what was expected; a malformed label or
split file raises DataFormatError naming it. Files are listed in natural
order (``img_2`` before ``img_10``), so item order is stable.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..errors import DataFormatError, DatasetLayoutError
from .events import validate_events
from .readers import (
    DVS128_SENSOR_SIZE,
    NCALTECH101_SENSOR_SIZE,
    NMNIST_SENSOR_SIZE,
    SHD_SENSOR_SIZE,
    SHDFile,
    read_aedat2,
    read_aedat3,
    read_ncaltech101,
    read_nmnist,
)

Transform = Callable[[np.ndarray], np.ndarray]


def _natural_key(path: Path):
    # re.split with a group alternates text, digits, text...: compare digit runs as numbers.
    return [int(s) if k % 2 else s for k, s in enumerate(re.split(r"(\d+)", path.name))]


def _listed(folder: Path, suffix: str) -> list[Path]:
    return sorted((p for p in folder.glob("*" + suffix) if p.is_file()), key=_natural_key)


def _is_uint(text: str) -> bool:
    return re.fullmatch(r"[0-9]+", text) is not None


def _root(root, expected: str) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise DatasetLayoutError(root, f"data set directory not found; expected {expected}")
    return root


def _check_split(split: str, choices: Sequence[str]) -> str:
    if split not in choices:
        raise ValueError(f"split={split!r}: expected one of {list(choices)}")
    return split


def _missing(root: Path, what: str, names: list[str], expected: str):
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return DatasetLayoutError(root, f"missing {what}: {shown}; expected {expected}")


def _text_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, stripped text) of the non-blank lines of a text file."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # tolerate a BOM
    except (OSError, UnicodeDecodeError) as e:
        raise DataFormatError(path, f"cannot be read as UTF-8 text ({e}); expected a text file") from None
    return [(n, s.strip()) for n, s in enumerate(text.splitlines(), 1) if s.strip()]


class EventDataset:
    """Base class: ``self._items[i] = (path, label)`` read with ``self._read(path)``."""

    sensor_size: tuple[int, int, int]
    classes: tuple[str, ...]

    def __init__(self, transform: Transform | None = None):
        self.transform = transform
        self._items: list = []

    def _read(self, path: Path) -> np.ndarray:
        raise NotImplementedError

    def _load(self, i: int) -> tuple[np.ndarray, int]:
        path, label = self._items[i]
        return self._read(path), label

    @property
    def targets(self) -> list[int]:
        return [item[1] for item in self._items]

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        events, label = self._load(i)
        if self.transform is not None:
            events = self.transform(events)
        return events, int(label)

    def _select(self, indices: Sequence[int] | None) -> None:
        """Keep only ``indices`` of the full item list (for the sets without an official split)."""
        if indices is not None:
            n = len(self._items)
            bad = [i for i in indices if not -n <= int(i) < n]
            if bad:
                raise IndexError(f"indices {bad[:5]} out of range for {n} items")
            self._items = [self._items[int(i)] for i in indices]


class NMNIST(EventDataset):
    """N-MNIST: the original release (``Train/<digit>/*.bin``, ``Test/<digit>/*.bin``)
    or the small subset layout (``<id>.bs2`` with ``train1K.txt``/``test100.txt``
    label files: a ``#`` header line, then ``id<TAB>class``). ``layout`` tells
    which was found."""

    sensor_size = NMNIST_SENSOR_SIZE
    classes = tuple(str(d) for d in range(10))
    SUBSET_LABEL_FILES = {"train": "train1K.txt", "test": "test100.txt"}
    _EXPECTED = (
        "the original release (Train/<digit>/*.bin and Test/<digit>/*.bin) or the subset layout "
        "(train1K.txt, test100.txt and <id>.bs2 files)"
    )

    def __init__(self, root, split: str = "train", transform: Transform | None = None):
        super().__init__(transform)
        root = _root(root, self._EXPECTED)
        _check_split(split, ("train", "test"))
        if (root / "Train").is_dir() or (root / "Test").is_dir():
            self.layout = "original"
            folder = root / split.capitalize()
            missing = [f"{folder.name}/{d}/" for d in self.classes if not (folder / d).is_dir()]
            if missing:
                raise _missing(root, "digit folders", missing, "Train/<digit>/*.bin and Test/<digit>/*.bin, digits 0-9")
            self._items = [(p, int(d)) for d in self.classes for p in _listed(folder / d, ".bin")]
            if not self._items:
                raise DatasetLayoutError(root, f"no .bin files under {folder.name}/<digit>/: expected N-MNIST samples")
        elif any((root / name).is_file() for name in self.SUBSET_LABEL_FILES.values()):
            self.layout = "subset"
            label_file = root / self.SUBSET_LABEL_FILES[split]
            if not label_file.is_file():
                raise _missing(root, "label file", [label_file.name], "train1K.txt and test100.txt")
            self._items = self._read_subset_labels(root, label_file)
        else:
            raise DatasetLayoutError(root, f"no N-MNIST layout found; expected {self._EXPECTED}")

    def _read_subset_labels(self, root: Path, label_file: Path) -> list[tuple[Path, int]]:
        items = []
        for n, line in _text_lines(label_file):
            if line.startswith("#"):
                continue
            fields = line.split()
            if len(fields) != 2 or not all(map(_is_uint, fields)) or int(fields[1]) > 9:
                raise DataFormatError(label_file, f"line {n} {line!r}: expected 'id<TAB>class' with class 0-9")
            items.append((root / f"{fields[0]}.bs2", int(fields[1])))
        if not items:
            raise DataFormatError(label_file, "lists no samples: expected '#sample #class' then id<TAB>class lines")
        present = set(os.listdir(root))
        missing = [p.name for p, _ in items if p.name not in present]
        if missing:
            raise _missing(root, f"sample files listed in {label_file.name}", missing, "an <id>.bs2 per listed id")
        return items

    def _read(self, path: Path) -> np.ndarray:
        return read_nmnist(path)


class NCaltech101(EventDataset):
    """N-Caltech101: ``root/<category>/image_XXXX.bin``, 101 categories plus
    BACKGROUND_Google. Class index = position of the category folder name in
    Python's sorted() order (code points: upper case first, as tonic's
    ``dirs.sort()``), so BACKGROUND_Google is class 0. There is no official
    split; ``indices`` selects items of the full list."""

    sensor_size = NCALTECH101_SENSOR_SIZE

    def __init__(self, root, indices: Sequence[int] | None = None, transform: Transform | None = None):
        super().__init__(transform)
        expected = "one folder per category (101 + BACKGROUND_Google) holding image_XXXX.bin files"
        root = _root(root, expected)
        cats = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith((".", "__")))
        if not cats:
            raise DatasetLayoutError(root, f"no category folders; expected {expected}")
        self.classes = tuple(cats)
        for label, cat in enumerate(cats):
            files = _listed(root / cat, ".bin")
            if not files:
                raise DatasetLayoutError(root, f"category folder '{cat}/' holds no .bin files; expected {expected}")
            self._items += [(p, label) for p in files]
        self._select(indices)

    def _read(self, path: Path) -> np.ndarray:
        return read_ncaltech101(path)


class CIFAR10DVS(EventDataset):
    """CIFAR10-DVS: ``root/<class>/*.aedat`` (jAER AEDAT 2.0) for the 10 CIFAR-10
    classes; label = index in ``classes``. ``orientation`` as in read_aedat2.
    There is no official split; ``indices`` selects items of the full list
    (within a class, files are in natural order, cifar10_<class>_0 first)."""

    sensor_size = DVS128_SENSOR_SIZE
    classes = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

    def __init__(
        self,
        root,
        indices: Sequence[int] | None = None,
        transform: Transform | None = None,
        orientation: str = "spikingjelly",
    ):
        super().__init__(transform)
        expected = "folders " + ", ".join(self.classes) + " holding .aedat files"
        root = _root(root, expected)
        missing = [f"{c}/" for c in self.classes if not (root / c).is_dir()]
        if missing:
            raise _missing(root, "class folders", missing, expected)
        for label, cls in enumerate(self.classes):
            files = _listed(root / cls, ".aedat")
            if not files:
                raise DatasetLayoutError(root, f"class folder '{cls}/' holds no .aedat files; expected {expected}")
            self._items += [(p, label) for p in files]
        self.orientation = orientation
        self._select(indices)

    def _read(self, path: Path) -> np.ndarray:
        return read_aedat2(path, self.orientation)


class DVSGesture(EventDataset):
    """IBM DVS128 Gesture: ``root/userXX_<lighting>.aedat`` with
    ``userXX_<lighting>_labels.csv`` (``class,startTime_usec,endTime_usec``,
    classes 1..11 -> labels 0..10) and split lists ``trials_to_train.txt`` /
    ``trials_to_test.txt``. One item per labelled gesture: the events with
    ``start <= t < end``, ``t`` re-based so the gesture starts at 0 us.
    Only the CSVs are parsed up front; the last recording read is cached."""

    sensor_size = DVS128_SENSOR_SIZE
    classes = (
        "hand_clapping", "right_hand_wave", "left_hand_wave", "right_arm_clockwise",
        "right_arm_counter_clockwise", "left_arm_clockwise", "left_arm_counter_clockwise",
        "arm_roll", "air_drums", "air_guitar", "other_gestures",
    )  # fmt: skip
    SPLIT_FILES = {"train": "trials_to_train.txt", "test": "trials_to_test.txt"}
    _EXPECTED = "trials_to_train.txt and trials_to_test.txt listing userXX_<lighting>.aedat files"

    def __init__(self, root, split: str = "train", transform: Transform | None = None):
        super().__init__(transform)
        root = _root(root, self._EXPECTED)
        list_file = root / self.SPLIT_FILES[_check_split(split, ("train", "test"))]
        if not list_file.is_file():
            raise _missing(root, "split list", [list_file.name], self._EXPECTED)
        names = [line for _, line in _text_lines(list_file)]
        if not names:
            raise DataFormatError(list_file, "lists no recordings: expected one .aedat file name per line")
        pairs = [(root / name, root / f"{Path(name).stem}_labels.csv") for name in names]
        absent = [p.name for pair in pairs for p in pair if not p.is_file()]
        if absent:
            raise _missing(root, f"files listed in {list_file.name}", absent, "each .aedat with its _labels.csv")
        for aedat, csv in pairs:
            self._items += [(aedat, *g) for g in self._read_csv(csv)]
        self._cache: tuple[Path | None, np.ndarray | None] = (None, None)

    def _read_csv(self, path: Path) -> list[tuple[int, int, int]]:
        lines = _text_lines(path)
        header = "class,startTime_usec,endTime_usec"
        if not lines or lines[0][1].replace(" ", "") != header:
            raise DataFormatError(path, f"first line is not the header: expected '{header}'")
        gestures = []
        for n, line in lines[1:]:
            fields = [f.strip() for f in line.split(",")]
            ok = len(fields) == 3 and all(map(_is_uint, fields))
            c, start, end = (int(f) for f in fields) if ok else (0, 0, 0)
            if not (1 <= c <= len(self.classes) and start < end):
                expected = f"expected '{header}' values with class 1..11 and start < end"
                raise DataFormatError(path, f"line {n} {line!r}: {expected}")
            gestures.append((c - 1, start, end))
        if not gestures:
            raise DataFormatError(path, "lists no gestures: expected at least one line after the header")
        return gestures

    def _load(self, i: int) -> tuple[np.ndarray, int]:
        path, label, start, end = self._items[i]
        if self._cache[0] != path:
            self._cache = (path, read_aedat3(path))
        events = self._cache[1]
        lo, hi = np.searchsorted(events["t"], [start, end], side="left")  # t is sorted
        gesture = events[lo:hi].copy()
        gesture["t"] -= start
        source = f"{path} [gesture {start}-{end} us, class {label + 1}]"
        return validate_events(gesture, self.sensor_size, source=source), label


class SHD(EventDataset):
    """Spiking Heidelberg Digits: ``root/shd_train.h5`` and ``root/shd_test.h5``
    (decompressed). The HDF5 file is opened once (see SHDFile)."""

    sensor_size = SHD_SENSOR_SIZE

    def __init__(self, root, split: str = "train", transform: Transform | None = None):
        super().__init__(transform)
        expected = "shd_train.h5 and shd_test.h5 (gunzipped)"
        root = _root(root, expected)
        path = root / f"shd_{_check_split(split, ('train', 'test'))}.h5"
        if not path.is_file():
            hint = " (found the .gz: decompress it)" if path.with_name(path.name + ".gz").exists() else ""
            raise _missing(root, "HDF5 file", [path.name + hint], expected)
        self.file = SHDFile(path)
        self.classes = self.file.class_names

    @property
    def targets(self) -> list[int]:
        return self.file.labels.tolist()

    def __len__(self) -> int:
        return len(self.file)

    def _load(self, i: int) -> tuple[np.ndarray, int]:
        return self.file.read(i), self.file.label(i)
