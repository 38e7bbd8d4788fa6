"""The Razor event pruner: shapes, masks, ratio, gradients, causality, and the
integer decision shared by the torch module and the numpy reference."""

import math

import numpy as np
import pytest
import torch

from razor_lava.errors import ConfigError
from razor_lava.pruning import decide as np_decide
from razor_lava.pruning import functional as Fp
from razor_lava.pruning.module import EventPruner
from razor_lava.pruning.params import n_pruned


def spikes(*shape, p=0.2, seed=0):
    g = torch.Generator().manual_seed(seed)
    # Per-frame densities vary, so scores differ between frames.
    dens = torch.rand(shape[0], *([1] * (len(shape) - 2)), shape[-1], generator=g) * p
    return (torch.rand(*shape, generator=g) < dens).float()


def hand_set(pruner: EventPruner, emb, offset=0.0):
    """Make the mask depend only on the embeddings: weighting conv zero, one embedding."""
    with torch.no_grad():
        pruner.embeddings.copy_(torch.tensor(emb, dtype=torch.float32))
        pruner.weight.zero_()
        pruner.bias.zero_()
        pruner.mask_offset.fill_(offset)


@pytest.mark.parametrize("shape,spatial", [((3, 4, 8, 6, 12), (8, 6)), ((3, 5, 12), None), ((2, 3, 1, 1, 7), (1, 1))])
@pytest.mark.parametrize("mode", ["soft", "ste"])
def test_shapes_are_preserved(shape, spatial, mode):
    p = EventPruner(shape[1], spatial, ratio=0.25, train_mode=mode)
    x = spikes(*shape)
    assert p(x).shape == x.shape
    p.eval()
    y = p(x)
    assert y.shape == x.shape and p.last_keep.shape == (shape[0], shape[-1])
    assert Fp.frame_descriptors(x, (1, 1)).shape == (shape[0], shape[1], shape[-1])


def test_frame_below_theta_is_zeroed_and_kept_frames_pass_unscaled():
    p = EventPruner(2, None, n_embeddings=1, theta=0.5)
    hand_set(p, [[4.0, -4.0]])  # z_t = 4 (f0 - f1) / sqrt(2): keep iff channel 0 beats channel 1
    x = torch.tensor([[[1.0, 0.0, 1.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0, 0.0]]])  # 1 x C=2 x T=5
    p.eval()
    y = p(x)
    assert p.last_keep[0].tolist() == [True, False, False, False, True]  # frame 2 ties (score 0.5), frame 3 empty
    assert torch.equal(y[..., [0, 4]], x[..., [0, 4]])  # kept: unscaled
    assert y[..., 1:4].abs().sum() == 0  # pruned: all zero
    # The float mask agrees with the integer decision here.
    m = p.mask(x)
    assert torch.allclose(m[0, :3], torch.sigmoid(torch.tensor([4.0, -4.0, 0.0]) / math.sqrt(2)))


@pytest.mark.parametrize("ratio", [0.0, 0.1, 0.25, 0.5, 0.9])
def test_ratio_prunes_exactly_that_fraction(ratio):
    t = 20
    p = EventPruner(4, (6, 6), ratio=ratio).eval()
    x = spikes(5, 4, 6, 6, t, p=0.3)
    p(x)
    pruned = (~p.last_keep).sum(dim=1)
    assert pruned.tolist() == [n_pruned(ratio, t)] * 5
    # The frames pruned are the lowest-scoring ones (empty frames first).
    num, _, nonempty = np_decide.scores(x[0].numpy().astype(np.int64), p.quantized())
    key = np.where(nonempty, num, np.iinfo(np.int64).min)
    kept, dropped = key[p.last_keep[0].numpy()], key[~p.last_keep[0].numpy()]
    if len(kept) and len(dropped):
        assert dropped.max() <= kept.min()


@pytest.mark.parametrize("mode", ["soft", "ste"])
@pytest.mark.parametrize("variant,rule", [("window", {"ratio": 0.3}), ("causal", {"theta": 0.9})])
def test_gradients_reach_every_pruner_parameter(mode, variant, rule):
    p = EventPruner(3, (4, 4), n_embeddings=4, train_mode=mode, variant=variant, **rule)
    x = spikes(4, 3, 4, 4, 10, p=0.5)
    target = torch.randn_like(x)
    loss = ((p(x) - target) ** 2).sum()
    loss.backward()
    for name in ("embeddings", "weight", "bias", "mask_offset"):
        g = getattr(p, name).grad
        assert g is not None and torch.isfinite(g).all() and g.abs().sum() > 0, name


def test_ste_forward_is_the_hard_decision():
    p = EventPruner(3, (4, 4), ratio=0.5, train_mode="ste")
    x = spikes(2, 3, 4, 4, 8, p=0.5)
    y = p(x)
    keep = Fp.broadcast_time(p.last_keep.float(), x)
    assert torch.equal(y.detach(), x * keep)  # values are 0 or unscaled, no soft scaling
    assert (~p.last_keep).sum(dim=1).tolist() == [4, 4]


def test_causal_decisions_never_depend_on_later_frames():
    p = EventPruner(3, (4, 4), n_embeddings=4, theta=0.88, variant="causal").eval()
    with torch.no_grad():  # make the weighting matter
        p.weight.normal_(0, 2.0)
        p.embeddings.normal_(0, 2.0)
    x = spikes(1, 3, 4, 4, 16, p=0.6, seed=3)
    base = p.decide(x)[0]
    assert 0 < base.sum() < 16, "test needs a mix of kept and pruned frames"
    g = torch.Generator().manual_seed(9)
    for t in range(1, 16):
        for _ in range(3):
            x2 = x.clone()
            x2[..., t:] = (torch.rand(x2[..., t:].shape, generator=g) < 0.7).float()
            got = p.decide(x2)[0]
            assert torch.equal(got[:t], base[:t]), f"changing frames >= {t} changed an earlier decision"


def test_window_variant_does_depend_on_later_frames():
    # The counterpart of the causality test: the window weighting sees all T frames.
    p = EventPruner(3, (4, 4), n_embeddings=4, ratio=0.5).eval()
    x = spikes(1, 3, 4, 4, 16, p=0.6, seed=3)
    x2 = x.clone()
    x2[..., 12:] = 1.0
    assert not torch.equal(p.decide(x)[0][:12], p.decide(x2)[0][:12])


@pytest.mark.parametrize(
    "kw",
    [
        dict(ratio=0.3),
        dict(theta=0.7),
        dict(theta=0.6, variant="causal"),
        dict(ratio=0.5, pool=(2, 2)),
        dict(ratio=0.4, n_embeddings=0),
        dict(theta=0.5, n_embeddings=8, kernel=5),
    ],
)
def test_torch_and_numpy_decisions_are_identical(kw):
    torch.manual_seed(1)
    p = EventPruner(4, (8, 8), **kw).eval()
    with torch.no_grad():
        p.weight.normal_(0, 1.0)
        p.embeddings.normal_(0, 1.0)
    x = spikes(16, 4, 8, 8, 25, p=0.4)
    keep = p.decide(x).numpy()
    ref = np_decide.decide_batch(x.numpy().astype(np.int64), p.quantized())
    np.testing.assert_array_equal(keep, ref)


def test_graded_input_is_scaled_to_integer_payloads():
    p = EventPruner(3, None, ratio=0.3, input_scale=64).eval()
    x = torch.randint(0, 300, (4, 3, 10)).float() / 64  # SLAYER graded values, 6 fraction bits
    keep = p.decide(x).numpy()
    ref = np_decide.decide_batch(np.round(x.numpy() * 64).astype(np.int64), p.quantized())
    np.testing.assert_array_equal(keep, ref)


@pytest.mark.parametrize(
    "kw,key",
    [
        (dict(ratio=0.3, theta=0.5), "theta/ratio"),
        (dict(theta=1.5), "theta"),
        (dict(ratio=1.0), "ratio"),
        (dict(ratio=0.2, variant="causal"), "ratio"),
        (dict(kernel=2), "kernel"),
        (dict(train_mode="hard"), "train_mode"),
        (dict(variant="online"), "variant"),
        (dict(pool=(3, 3)), "pool"),
    ],
)
def test_bad_pruner_options_name_the_key(kw, key):
    with pytest.raises(ConfigError, match=key):
        EventPruner(4, (8, 8), **kw)
