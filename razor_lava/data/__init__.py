"""Event data: the ``x, y, p, t`` event currency, readers of the benchmark
release formats, framing into SLAYER tensors, torch data sets, and the
embedded synthetic gesture data set.

torch is imported only when a torch data set is asked for.
"""

from ..lazy import lazy_exports
from .events import EVENT_DTYPE, make_events, validate_events
from .framing import FrameSpec, ToFrame, fit_frames, frame_many, to_frames
from .datasets import CIFAR10DVS, NMNIST, SHD, DVSGesture, NCaltech101

_TORCH_NAMES = {"FramedDataset", "collate_frames", "frame_dataset"}
# Imported on demand so that ``python -m razor_lava.data.synthetic`` runs cleanly.
_SYNTHETIC_NAMES = {"SyntheticGestures", "default_frame_spec"}
__getattr__, __dir__ = lazy_exports(__name__, {**{n: ".torch_data" for n in _TORCH_NAMES},
                                               **{n: ".synthetic" for n in _SYNTHETIC_NAMES}})


__all__ = [
    "EVENT_DTYPE", "make_events", "validate_events",
    "FrameSpec", "ToFrame", "fit_frames", "frame_many", "to_frames",
    "NMNIST", "NCaltech101", "DVSGesture", "CIFAR10DVS", "SHD",
    *sorted(_SYNTHETIC_NAMES),
    *sorted(_TORCH_NAMES),
]
