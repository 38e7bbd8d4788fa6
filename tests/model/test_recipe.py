"""The training recipe: the validation split, event transforms, augmented frames, the epoch choice, the
learning-rate schedule, and that dropout / weight norm / learnable delays deploy exactly."""

import numpy as np
import pytest
import torch

from razor_lava.data.events import make_events
from razor_lava.data.framing import FrameSpec, frame_many
from razor_lava.data.split import stratified_split
from razor_lava.data.torch_data import AugmentedFrames
from razor_lava.data import transforms as T
from netfiles import SMALL_CONV  # tests/ is on sys.path
from razor_lava.errors import ConfigError
from razor_lava.config import parse_config
from razor_lava.model.network import RazorNet
from razor_lava.training.loop import lr_at

RAW = SMALL_CONV


# ---- the validation split ---------------------------------------------------------------------------------
def test_stratified_split_is_deterministic_disjoint_and_per_class():
    labels = np.repeat(np.arange(10), [100, 90, 80, 70, 60, 50, 40, 30, 20, 2])
    tr, va = stratified_split(labels, 0.1)
    tr2, va2 = stratified_split(labels, 0.1)
    np.testing.assert_array_equal(va, va2)
    assert set(tr).isdisjoint(va) and len(tr) + len(va) == len(labels)
    counts = np.bincount(labels[va], minlength=10)
    assert counts.tolist() == [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]  # round(0.1 n), at least one per class
    assert not np.array_equal(va, stratified_split(labels, 0.1, seed=1)[1])  # the seed picks which ones
    assert len(stratified_split(labels, 0)[1]) == 0
    # A class of one sample stays in training.
    tr, va = stratified_split(np.array([0, 1, 1, 1]), 0.3)
    assert 0 in tr and len(va) == 1


def test_config_refuses_best_or_cutoff_without_a_validation_split():
    with pytest.raises(ConfigError) as e:
        parse_config(RAW | {"train": {"val_fraction": 0}})
    assert e.value.key == "train.select"
    with pytest.raises(ConfigError) as e:
        parse_config(RAW | {"train": {"val_fraction": 0, "select": "last"}})
    assert e.value.key == "train.cutoff_epsilon"
    parse_config(RAW | {"train": {"val_fraction": 0, "select": "last", "cutoff_epsilon": None}})
    for bad in ({"translate": -1}, {"translate": 1.5}, {"drop_event": 1.0}, {"shear": 1}):
        with pytest.raises(ConfigError) as e:
            parse_config(RAW | {"train": {"augment": bad}})
        assert e.value.key.startswith("train.augment")


# ---- transforms ---------------------------------------------------------------------------------------------
def _events(n=400, seed=0, sensor=(16, 12, 2)):
    rng = np.random.default_rng(seed)
    return make_events(rng.integers(0, sensor[0], n), rng.integers(0, sensor[1], n), rng.integers(0, 2, n),
                       np.sort(rng.integers(0, 50_000, n)))


def test_translate_moves_every_event_by_one_shift_and_drops_those_that_leave():
    ev = _events()
    np.random.seed(3)
    out = T.RandomTranslate(3, (16, 12, 2))(ev)
    # Recover the shift from any surviving event: every event of the sample moved by the same one.
    inside = [(dx, dy) for dx in range(-3, 4) for dy in range(-3, 4)
              if len(out) == int(((ev["x"] + dx >= 0) & (ev["x"] + dx < 16) & (ev["y"] + dy >= 0)
                                  & (ev["y"] + dy < 12)).sum())]
    keep = {(dx, dy): (ev["x"] + dx >= 0) & (ev["x"] + dx < 16) & (ev["y"] + dy >= 0) & (ev["y"] + dy < 12)
            for dx, dy in inside}
    matches = [(dx, dy) for (dx, dy), k in keep.items()
               if np.array_equal(out["x"], ev["x"][k] + dx) and np.array_equal(out["y"], ev["y"][k] + dy)]
    assert len(matches) == 1
    assert out["x"].min() >= 0 and out["x"].max() < 16 and out["y"].max() < 12
    np.testing.assert_array_equal(out["t"], ev["t"][keep[matches[0]]])


def test_drop_jitter_rotate_and_compose():
    ev = _events(2000)
    np.random.seed(0)
    dropped = T.DropEvent(0.25)(ev)
    assert 0.2 < 1 - len(dropped) / len(ev) < 0.3
    jit = T.TimeJitter(1000)(ev)
    assert len(jit) == len(ev) and (np.diff(jit["t"]) >= 0).all() and jit["t"].min() >= 0
    assert not np.array_equal(jit["t"], ev["t"])
    rot = T.RandomRotate(10, (16, 12, 2))(ev)
    assert len(rot) <= len(ev) and rot["x"].max() < 16 and rot["y"].max() < 12
    assert T.from_config({"translate": 0, "rotate_deg": 0, "drop_event": 0, "time_jitter_us": 0}, (16, 12, 2)) \
        is None
    comp = T.from_config({"translate": 2, "drop_event": 0.1}, (16, 12, 2))
    assert [type(t).__name__ for t in comp.transforms] == ["DropEvent", "RandomTranslate"]
    assert T.RandomTranslate(0, (16, 12, 2))(ev) is ev  # 0 = off, the sample untouched


def test_augmented_frames_depend_on_seed_epoch_and_index_only():
    spec = FrameSpec((16, 12, 2), window_ms=5, n_frames=10)
    events = [_events(300, s) for s in range(4)]
    data = AugmentedFrames(events, [0, 1, 2, 0], spec, T.Compose([T.DropEvent(0.3), T.RandomTranslate(2, (16, 12, 2))]),
                           seed=7)
    data.set_epoch(1)
    a = data[2][0]
    np.random.seed(123)
    np.random.random(5)  # whatever else draws numbers in between
    b = data[2][0]
    assert torch.equal(a, b) and a.shape == (2, 12, 16, 10)
    data.set_epoch(2)
    assert not torch.equal(a, data[2][0])  # a new epoch, new augmentation
    state = np.random.get_state()[1].copy()
    data[0]
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # the caller's stream is untouched
    # With identity transforms the item is the plain framing.
    plain = AugmentedFrames(events, [0, 1, 2, 0], spec, T.Compose([]))
    np.testing.assert_array_equal(plain[1][0].numpy(), frame_many([events[1]], spec)[0])


# ---- the schedule and the layers ---------------------------------------------------------------------------
def test_lr_schedule():
    assert lr_at("constant", 0.01, 7, 10) == 0.01
    assert lr_at("cosine", 0.01, 1, 10) == pytest.approx(0.01)
    assert lr_at("cosine", 0.01, 6, 10) == pytest.approx(0.005)
    assert 0 < lr_at("cosine", 0.01, 10, 10) < 0.0003


def test_dropout_acts_in_training_only_and_spares_the_output_block():
    raw = RAW | {"train": {"dropout": 0.5}}
    torch.manual_seed(0)
    net = RazorNet(parse_config(raw))
    drops = [getattr(getattr(b, "neuron", None), "drop", None) for b in net.blocks]
    assert drops[0] is not None and drops[2] is not None and drops[3] is None  # conv, dense yes; output no
    x = (torch.rand(2, 2, 8, 8, 6) < 0.5).float()
    net.eval()
    assert torch.equal(net(x), net(x))


def test_weight_norm_and_delays_deploy_exactly(tmp_path):
    """A network with weight norm and learnable axonal delays, trained a few steps: SLAYER's eval output
    equals the reference built from its exported file (the path Lava is checked against), bit for bit."""
    from razor_lava.netfile import export_network, load_network_file
    from razor_lava.model.reference import reference_network

    raw = dict(RAW, layers=[
        {"type": "conv", "out": 4, "kernel": 3, "stride": 2, "padding": 1, "weight_norm": True},
        {"type": "flatten"},
        {"type": "dense", "out": 16, "weight_norm": True, "delay": True},
        {"type": "dense", "out": 3, "neuron": "liaf"},
    ], train={"dropout": 0.05})
    torch.manual_seed(1)
    net = RazorNet(parse_config(raw))
    x = (torch.rand(6, 2, 8, 8, 12) < 0.4).float()
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    for _ in range(3):
        loss = net(x).sum(-1).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    # Delays as training leaves them are fractional; make them span several steps so the test bites.
    net.block(3).delay.delay.data = torch.rand(16, generator=torch.Generator().manual_seed(0)) * 5
    assert (net.block(3).delay.delay.floor() >= 2).sum() > 4
    net.eval()
    with torch.no_grad():
        ours = net(x)
    nf = load_network_file(export_network(net, tmp_path / "n.h5"))
    assert nf.layers[3].delay is not None
    with torch.no_grad():
        ref = reference_network(nf)(x)
    assert torch.equal(ours, ref)
