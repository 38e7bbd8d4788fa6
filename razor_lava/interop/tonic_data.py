"""tonic data sets as razor_lava sources: ``TonicSource(ds)`` frames and trains as our own readers do.

A tonic data set yields ``(events, target)`` with events a structured array of
fields ``x, y, p, t`` (``t`` in microseconds) and knows its ``sensor_size``
``(width, height, polarities)``, as razor_lava's readers do. ``TonicSource``
casts the events to ``EVENT_DTYPE``, checks them against the sensor
(``validate_events``: an error names the data set and the sample) and exposes
``sensor_size`` / ``classes``, so ``FramedDataset(TonicSource(ds), spec)`` and
training take it. Transforms compose both ways: razor_lava's event transforms
(``razor_lava.data.transforms``) are callables on event arrays like tonic's, so
``tonic.transforms.Compose([RandomTranslate(...), tonic.transforms.DropEvent(0.1)])``
works as ``transform=`` of a tonic data set, and ``TonicSource(ds, transform=...)``
applies one after the cast.
"""

from __future__ import annotations

import numpy as np

from ..data.events import EVENT_DTYPE, validate_events
from ..errors import DataFormatError

FIELDS = ("x", "y", "p", "t")


class TonicSource:
    """A tonic data set (any object with ``__getitem__`` -> (events, target), ``__len__``, ``sensor_size``)."""

    def __init__(self, dataset, sensor_size=None, classes=None, transform=None):
        self.dataset = dataset
        size = sensor_size if sensor_size is not None else getattr(dataset, "sensor_size", None)
        if size is None or len(tuple(size)) != 3:
            raise DataFormatError(type(dataset).__name__, f"sensor_size {size!r}: expected (width, height, "
                                  "polarities), from the data set or given as sensor_size=")
        self.sensor_size = tuple(int(v) for v in size)
        self.classes = list(classes if classes is not None else getattr(dataset, "classes", []) or [])
        self.transform = transform
        self.name = type(dataset).__name__

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int):
        events, target = self.dataset[i]
        where = f"{self.name}[{i}]"
        names = getattr(getattr(events, "dtype", None), "names", None) or ()
        missing = [f for f in FIELDS if f not in names]
        if missing:
            raise DataFormatError(where, f"events lack the fields {missing}: expected a structured array with "
                                  f"{', '.join(FIELDS)} (tonic's convention)")
        ev = np.empty(len(events), dtype=EVENT_DTYPE)
        for f in FIELDS:
            ev[f] = events[f]
        if self.transform is not None:
            ev = self.transform(ev)
        try:
            label = int(np.asarray(target).item())
        except (TypeError, ValueError):
            raise DataFormatError(where, f"target {target!r}: expected one integer class index") from None
        return validate_events(ev, self.sensor_size, source=where), label
