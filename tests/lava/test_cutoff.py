"""The Top-K cutoff on Lava: for every sample the ``Cutoff`` process exits at
the frame and with the answer of ``rule.exit_decisions`` on SLAYER's payloads,
the run really stops there, no worker is left, and the deploy report has the
cutoff fields. Networks: dense, with window and causal gates (whose
``stop_in`` the cutoff feeds), binary and graded (LIAF) outputs."""

import numpy as np
import pytest
import torch

from razor_lava.cutoff.rule import accumulate, exit_decisions, gap
from razor_lava.deployment.evaluate import deploy_samples, slayer_reference
from razor_lava.deployment.runner import run_sample
from razor_lava.errors import ConfigError
from razor_lava.netfile import export_network, load_network_file
from razor_lava.lava_run import leftover_workers


from netfiles import DENSE, T, export_random, random_frames

pytestmark = pytest.mark.lava
GRADED_OUT = dict(DENSE, layers=DENSE["layers"][:-1] + [{"type": "dense", "out": 5, "neuron": "liaf",
                                                          "weight_scale": 5}])
CASES = [(DENSE, {"positions": [2, 3], "ratio": 0.3}),
         (GRADED_OUT, {"positions": [1, 4], "theta": 0.75, "ratio": None, "variant": "causal"})]
IDS = ["window-binary-out", "causal-graded-out"]
N = 4


def make_file(tmp_path, raw, pruner, seed=0):
    return export_random(tmp_path / "net.h5", raw, pruner, seed)


def frames_for(net, n, seed=1):
    return random_frames(net.cfg.input, n, seed)


def hand_beta(out) -> np.ndarray:
    """A table under which some samples exit early and some never do.

    At the first frame ``t0`` where the samples' gaps differ, beta is the
    smallest gap + 0.5 (a non-integer: checks the floor of integer_thresholds);
    everywhere else +inf. Samples above it exit at ``t0``, the others at T - 1.
    """
    g = gap(accumulate(out))
    t0 = next(t for t in range(T - 1) if g[:, t].max() > g[:, t].min())
    beta = np.full(T, np.inf)
    beta[t0] = g[:, t0].min() + 0.5
    return beta


def cutoff_file(tmp_path, raw, pruner):
    torch.set_num_threads(1)
    net, path = make_file(tmp_path, raw, pruner)
    frames = frames_for(net, N)
    ref = slayer_reference(load_network_file(path), frames)
    beta = hand_beta(ref["output"])
    spec = load_network_file(path).frame_spec
    path = export_network(net, tmp_path / "cut.h5", spec, cutoff={"beta": beta})
    return load_network_file(path), frames, ref["output"], beta


@pytest.mark.parametrize("raw,pruner", CASES, ids=IDS)
def test_lava_cutoff_equals_the_integer_rule_and_stops_early(tmp_path, raw, pruner):
    nf, frames, out, beta = cutoff_file(tmp_path, raw, pruner)
    assert nf.cutoff is not None and np.array_equal(nf.cutoff["beta"], beta)
    want_exit, want_answer = exit_decisions(out, beta)
    assert (want_exit < T - 1).any() and (want_exit == T - 1).any()  # early and never-exit samples
    latency = T * sum(p.variant == "window" for p in nf.pruners.values())
    full = run_sample(nf, frames[0], T).steps
    for n in range(N):
        res = run_sample(nf, frames[n], T, cutoff=True)
        assert (res.exit_step, res.answer) == (want_exit[n], want_answer[n]), n
        assert res.steps == latency + res.exit_step + 1  # measured: the pause ended the run there
        assert np.array_equal(res.output[:, : res.exit_step + 1], out[n][:, : res.exit_step + 1])
        if res.exit_step < T - 1:
            assert res.steps < full
    assert leftover_workers() == []


def test_deploy_report_has_the_cutoff_fields(tmp_path):
    nf, frames, out, beta = cutoff_file(tmp_path, *CASES[0])
    labels = np.arange(N) % 5
    report = deploy_samples(nf, frames, labels, progress=False, cutoff=True)
    exit_step, answer = exit_decisions(out, beta)
    assert report["cutoff_agreement"] == 1.0 and report["agreement"] == 1.0
    assert [s["exit_step"] for s in report["per_sample"]] == exit_step.tolist()
    assert report["mean_exit_step"] == pytest.approx(exit_step.mean())
    assert report["timestep_reduction"] == pytest.approx(T / (exit_step + 1).mean())
    assert report["cutoff_accuracy"] == pytest.approx((answer == labels).mean())
    # Streamed: one network, the two window gates' latency paid once, a sample every period.
    p = report["period"]
    assert report["mode"] == "stream" and report["latency"] == 2 * p
    full = 2 * p + (N - 1) * p + T
    assert report["steps"] == (full if exit_step[-1] == T - 1 else 2 * p + (N - 1) * p + exit_step[-1] + 1)
    # Each sample alone, stopped at its exit (what --mode per-sample runs): 2T of latency each.
    assert report["steps_variable_schedule"] == int((2 * T + exit_step + 1).sum())
    per_sample = deploy_samples(nf, frames, labels, progress=False, cutoff=True, mode="per-sample")
    assert per_sample["steps"] == report["steps_variable_schedule"]
    assert {k: v for k, v in per_sample.items() if k not in VARYING} == \
        {k: v for k, v in report.items() if k not in VARYING}
    assert leftover_workers() == []


# What differs between a stream and a run per sample: timing and schedule, nothing computed.
VARYING = {"mode", "steps", "period", "latency", "seconds", "seconds_per_sample", "samples_per_second",
           "slayer_seconds_per_sample"}


def test_cutoff_without_a_table_says_how_to_get_one(tmp_path):
    _, path = make_file(tmp_path, DENSE, {"positions": [2], "ratio": 0.3})
    nf = load_network_file(path)
    with pytest.raises(ConfigError, match="--cutoff-epsilon"):
        run_sample(nf, np.zeros((30, T), dtype=np.uint8), T, cutoff=True)
    assert leftover_workers() == []
