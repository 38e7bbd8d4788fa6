"""The Razor event pruner: shapes, masks, ratio, gradients, causality, the
integer decision (one batched numpy implementation, run by the torch module and
the Lava gate) against an independent per-sample reference in Python integers,
and the theta-or-ratio rule (``resolve_rule``)."""

import math

import numpy as np
import pytest
import torch

from razor_lava.errors import ConfigError
from razor_lava.fixed_point import GRADED_SCALE
from razor_lava.pruning import decide as np_decide
from razor_lava.pruning import functional as Fp
from razor_lava.pruning.module import EventPruner, payloads
from razor_lava.pruning.params import PrunerParams, n_pruned, resolve_rule


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
    p = EventPruner(3, None, ratio=0.3, input_scale=GRADED_SCALE).eval()
    v = torch.randint(0, 4 * GRADED_SCALE, (4, 3, 10))
    x = v.double() / GRADED_SCALE  # SLAYER graded values, 12 fraction bits
    np.testing.assert_array_equal(payloads(x, GRADED_SCALE), v.numpy())
    keep = p.decide(x).numpy()
    ref = np_decide.decide_batch(v.numpy(), p.quantized())
    np.testing.assert_array_equal(keep, ref)


# ---------------------------------------------------------------------------------------------
# The batched integer decision against a per-sample reference written independently, in Python
# integers (unbounded: equality also shows that int64 did not overflow).

def reference_decide(x: np.ndarray, p: PrunerParams) -> list[bool]:
    """decide.py's steps 1-5 for one sample ``C x H x W x T`` or ``C x T``, frame by frame, in Python ints."""
    t_n = x.shape[-1]
    if x.ndim == 4:
        c_n, h, w, _ = x.shape
        (ph, pw), bh, bw = p.pool, h // p.pool[0], w // p.pool[1]
        f = [[int(x[c, i * bh:(i + 1) * bh, j * bw:(j + 1) * bw, t].sum()) for t in range(t_n)]
             for c in range(c_n) for i in range(ph) for j in range(pw)]
    else:
        f = [[int(v) for v in row] for row in x]
    k_n, d_n, ker = p.weight.shape
    wt, emb, bias, lut = p.weight.tolist(), p.embeddings.tolist(), p.bias.tolist(), p.lut.tolist()
    causal, den = p.variant == "causal", p.area * p.input_scale
    left = ker - 1 if causal else ker // 2
    conv = [[sum(wt[k][d][j] * f[d][t - left + j] for j in range(ker) for d in range(d_n)
                 if 0 <= t - left + j < t_n) for t in range(t_n)] for k in range(k_n)]
    num, den_e = [], []
    for t in range(t_n):
        if causal:
            logit = [sum(conv[k][: t + 1]) // ((t + 1) * den) + bias[k] for k in range(k_n)]
        else:
            logit = [sum(conv[k]) // (t_n * den) + bias[k] for k in range(k_n)]
        e = [lut[min(max(logit) - a, len(lut) - 1)] for a in logit]
        num.append(sum(e[k] * sum(emb[k][d] * f[d][t] for d in range(d_n)) for k in range(k_n)))
        den_e.append(sum(e))
    nonempty = [bool(np.any(x[..., t])) for t in range(t_n)]
    if p.ratio is None:
        return [ne and n > p.theta_int * de for ne, n, de in zip(nonempty, num, den_e)]
    ranked = sorted(range(t_n), key=lambda t: (num[t] if nonempty[t] else -math.inf, t))  # ties: earlier first
    pruned = set(ranked[: n_pruned(p.ratio, t_n)])
    return [t not in pruned for t in range(t_n)]


def trained_like(pruner: EventPruner, seed: int) -> PrunerParams:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for prm, std in ((pruner.weight, 1.0), (pruner.bias, 0.5), (pruner.embeddings, 1.0)):
            prm.copy_(torch.randn(prm.shape, generator=g) * std)
        pruner.mask_offset.fill_(0.0)
    return pruner.eval().quantized()


def awkward_frames(shape, n: int, t: int, seed: int, scale: int = 1) -> np.ndarray:
    """``n x shape x t`` integer frames with empty frames, repeated frames (score ties) and, for ``scale`` > 1,
    graded payloads of up to 4 units."""
    rng = np.random.default_rng(seed)
    dens = rng.random((n,) + (1,) * len(shape) + (t,)) * 0.6
    x = (rng.random((n, *shape, t)) < dens).astype(np.int64)
    if scale > 1:
        x *= rng.integers(1, 4 * scale, x.shape)
    x[..., [1, t // 2]] = 0  # empty frames
    x[0] = 0  # an empty sample
    x[1] = x[1, ..., :1]  # every frame the same: all scores tie
    x[2, ..., 5:8] = x[2, ..., 4:5]  # a run of equal frames
    return x


PARAM_CASES = {
    "conv-window-ratio": (dict(ratio=0.3, pool=(2, 2)), (3, 4, 6), 1),
    "conv-window-theta": (dict(theta=0.5), (3, 4, 6), 1),
    "conv-causal-theta": (dict(theta=0.5, variant="causal", kernel=5, pool=(2, 3)), (3, 4, 6), 1),
    "dense-window-ratio-K0": (dict(ratio=0.5, n_embeddings=0), (7,), 1),
    "dense-causal-graded": (dict(theta=0.4, variant="causal"), (7,), GRADED_SCALE),
    "dense-window-ratio-graded": (dict(ratio=0.25, n_embeddings=6), (7,), GRADED_SCALE),
}


@pytest.mark.parametrize("case", list(PARAM_CASES))
def test_batched_decision_equals_the_per_sample_reference(case):
    kw, shape, scale = PARAM_CASES[case]
    t = 14
    spatial = shape[1:] if len(shape) == 3 else None
    p = trained_like(EventPruner(shape[0], spatial, input_scale=scale, **kw), seed=len(case))
    x = awkward_frames(shape, 6, t, seed=len(case), scale=scale)
    keep = np_decide.decide_batch(x, p)
    assert keep.shape == (6, t) and keep.dtype == bool
    for n in range(len(x)):
        want = reference_decide(x[n], p)
        np.testing.assert_array_equal(keep[n], want, err_msg=f"sample {n}")
        np.testing.assert_array_equal(np_decide.decide(x[n], p), want)  # the batch of one (the gate's call)
    assert not keep[0].any() or p.ratio is not None and keep[0].sum() == t - n_pruned(p.ratio, t)
    assert 0 < keep[2:].sum() < keep[2:].size, "the case needs kept and pruned frames"
    # The torch pruner at eval: SLAYER's float frames -> the same payloads -> the same decision.
    net_keep = EventPruner.decide(_with_params(shape[0], spatial, p), torch.from_numpy(x / scale))
    np.testing.assert_array_equal(net_keep.numpy(), keep)


def _with_params(channels, spatial, p: PrunerParams) -> EventPruner:
    m = EventPruner(channels, spatial, ratio=0.3).eval()
    m.use_quantized(p)
    return m


@pytest.mark.parametrize("case", [c for c in PARAM_CASES if "causal" in c])
def test_causal_decision_of_frame_t_needs_frames_up_to_t_only(case):
    kw, shape, scale = PARAM_CASES[case]
    spatial = shape[1:] if len(shape) == 3 else None
    p = trained_like(EventPruner(shape[0], spatial, input_scale=scale, **kw), seed=7)
    x = awkward_frames(shape, 3, 12, seed=8, scale=scale)
    full = np_decide.decide_batch(x, p)
    for t in range(12):  # what the causal gate computes when frame t arrives
        np.testing.assert_array_equal(np_decide.decide_batch(x[..., : t + 1], p)[:, -1], full[:, t])


def test_decision_refuses_float_frames():
    p = EventPruner(3, None, ratio=0.3).quantized()
    with pytest.raises(ValueError, match="integer"):
        np_decide.decide_batch(np.zeros((1, 3, 5)), p)


# ---------------------------------------------------------------------------------------------
# "A threshold theta or a razor ratio, not both": resolve_rule is its one home.

@pytest.mark.parametrize(
    "args,overrides,want",
    [
        ((None, 0.3, "window"), None, (None, 0.3)),
        ((0.5, None, "causal"), None, (0.5, None)),
        ((None, 0.3, "window"), {"theta": 0.5}, (0.5, None)),  # a theta given alone replaces the ratio
        ((0.5, None, "window"), {"ratio": 0.2}, (None, 0.2)),  # and a ratio given alone the theta
        ((None, 0.3, "window"), {"theta": 0.5, "ratio": None}, (0.5, None)),
        ((None, 0.3, "window"), {"theta": None}, (None, 0.3)),  # None alone: nothing given
        ((None, 0.3, "window"), {"variant": "causal", "n_embeddings": 2}, (None, 0.3)),  # other keys: ignored
    ],
)
def test_resolve_rule(args, overrides, want):
    assert resolve_rule(*args, overrides) == want


@pytest.mark.parametrize(
    "args,kw,key",
    [
        ((0.5, 0.3, "window"), {}, r"pruner\.theta/ratio"),
        ((None, None, "window"), {}, r"pruner\.theta/ratio"),
        ((None, 0.3, "window"), {"overrides": {"theta": 0.5, "ratio": 0.2}}, r"pruner\.theta/ratio"),
        ((1.5, None, "window"), {}, r"'pruner\.theta'"),
        ((None, 1.0, "window"), {}, r"'pruner\.ratio'"),
        ((None, 0.3, "causal"), {}, r"'pruner\.ratio'"),
        ((0.5, None, "online"), {}, r"'pruner\.variant'"),
        ((7, 0.3, "window"), {"threshold": "theta_int", "key": "gate"}, r"gate\.theta_int/ratio"),
        ((0.5, None, "window"), {"threshold": "theta_int", "key": "gate"}, r"'gate\.theta_int'"),
        ((None, 0.3, "causal"), {"source": "cfg.yaml"}, r"cfg\.yaml: config key 'pruner\.ratio'"),
    ],
)
def test_resolve_rule_names_the_key(args, kw, key):
    with pytest.raises(ConfigError, match=key):
        resolve_rule(*args, **kw)


def test_integer_thresholds_are_any_integers():
    assert resolve_rule(-12345, None, "causal", threshold="theta_int") == (-12345, None)
    assert resolve_rule(np.int64(3), None, "window", threshold="theta_int") == (3, None)


def test_pruner_params_check_the_rule():
    q = EventPruner(3, None, theta=0.6).quantized()
    fields = dict(weight=q.weight, bias=q.bias, embeddings=q.embeddings, variant="window")
    PrunerParams(theta=None, theta_int=q.theta_int, ratio=None, **fields)  # the gate knows theta_int only
    with pytest.raises(ConfigError, match=r"pruner\.theta_int'"):
        PrunerParams(theta=0.6, theta_int=None, ratio=None, **fields)
    with pytest.raises(ConfigError, match=r"pruner\.theta/ratio"):
        PrunerParams(theta=0.6, theta_int=q.theta_int, ratio=0.3, **fields)
    with pytest.raises(ConfigError, match=r"pruner\.theta_int/ratio"):
        PrunerParams(theta=None, theta_int=None, ratio=None, **fields)
    with pytest.raises(ConfigError, match=r"pruner\.ratio"):
        PrunerParams(theta=None, theta_int=None, ratio=0.3, **(fields | {"variant": "causal"}))


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


def test_infer_ratio_prunes_at_inference_what_training_does_not():
    from razor_lava.config import parse_config
    from netfiles import CONV

    x = (torch.rand(3, 2, 4, 4, 20, generator=torch.Generator().manual_seed(0)) < 0.5).float()
    p = EventPruner(2, (4, 4), ratio=0.3, train_mode="ste", infer_ratio=0.5)
    p.train()
    p(x)
    assert (p.last_keep.sum(dim=1) == 14).all()  # training: 30% of 20 frames pruned
    p.eval()
    p(x)
    assert (p.last_keep.sum(dim=1) == 10).all() and p.quantized().ratio == 0.5  # inference and export: 50%
    with pytest.raises(ConfigError, match="pruner.infer_ratio"):
        parse_config(dict(CONV, pruner={"positions": [2], "theta": 0.5, "infer_ratio": 0.5}))
    with pytest.raises(ConfigError, match="pruner.infer_ratio"):
        EventPruner(2, (4, 4), method="uniform", ratio=0.3, infer_ratio=0.5)
