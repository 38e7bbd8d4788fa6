"""A run's data: the training split (augmented when the config asks), the validation split carved from
it, and the test split.

The validation split (``train.val_fraction``, stratified, the same for every seed) picks the exported
epoch and calibrates the cutoff; the test split is evaluated once, on the network that is exported.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch.utils.data import Dataset

from ..data.registry import frame_spec_for, open_split
from ..data.split import stratified_split
from ..data.torch_data import AugmentedFrames, FramedDataset
from ..data.transforms import from_config
from ..errors import ConfigError, DataFormatError


@dataclass
class Splits:
    train: Dataset          # FramedDataset, or AugmentedFrames when train.augment asks for transforms
    val: FramedDataset | None
    test: FramedDataset

    @property
    def spec(self):
        return self.test.spec

    @property
    def classes(self) -> list:
        return self.test.classes


def _framed(name: str, split: str, opts, framing: dict, cfg):
    limit = getattr(opts, f"{split}_samples")
    given = getattr(opts, "sources", None)
    if given is not None:
        if split not in given:
            raise ConfigError("sources", f"RunOptions.sources has no {split!r} data set (it needs 'train' and 'test')")
        source = given[split] if limit is None else _First(given[split], limit)
    else:
        source = open_split(name, split, opts.data_root, limit=limit)
    spec = frame_spec_for(name, source.sensor_size, framing)
    if spec.frame_shape[:-1] != tuple(cfg.input):
        raise ConfigError("input", f"the config's input {list(cfg.input)} does not match the framed data "
                          f"{list(spec.frame_shape[:-1])} (C x H x W) of {name!r}", cfg.source)
    if len(source) == 0:
        raise DataFormatError(opts.data_root or name, f"the {split} split of {name!r} holds no samples")
    key = f"{name}:{opts.data_root}:{split}:{len(source)}" if given is None else None  # objects: no cache key
    return source, FramedDataset(source, spec, cache_dir=opts.cache_dir, cache_key=key, progress=opts.progress)


class _First:
    """The first ``n`` samples of a data set object (``--train-samples`` for ``RunOptions.sources``)."""

    def __init__(self, source, n: int):
        self.source, self.n = source, min(n, len(source))
        self.sensor_size, self.classes = source.sensor_size, list(getattr(source, "classes", []))

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return self.source[i]


def load_data(cfg, opts) -> Splits:
    """The config's data set, framed, as training, validation and test splits (``opts``: RunOptions)."""
    name = cfg.data["dataset"]
    framing = {k: v for k, v in cfg.data.items() if k != "dataset"}
    source, full = _framed(name, "train", opts, framing, cfg)
    _, test = _framed(name, "test", opts, framing, cfg)
    fraction = float(cfg.train["val_fraction"])
    train_idx, val_idx = stratified_split(full.labels, fraction)
    if fraction > 0 and len(val_idx) == 0:
        raise DataFormatError(opts.data_root or name, f"its training split ({len(full)} samples) has no class with "
                              f"2 samples or more, so train.val_fraction {fraction} carves no validation split; "
                              "use more training samples or val_fraction: 0")
    val = None
    if len(val_idx):
        val = FramedDataset.from_arrays(full.frames[val_idx], full.labels[val_idx], full.spec, full.classes)
    transform = from_config(cfg.train["augment"], source.sensor_size)
    if transform is None:
        train = FramedDataset.from_arrays(full.frames[train_idx], full.labels[train_idx], full.spec, full.classes)
    else:  # the events stay in memory and are framed afresh, after the transforms, on every access
        train = AugmentedFrames([source[int(i)][0] for i in train_idx], full.labels[train_idx], full.spec,
                                transform, seed=opts.seed, classes=full.classes)
    return Splits(train, val, test)
