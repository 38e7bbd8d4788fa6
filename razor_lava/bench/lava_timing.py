"""The measurements of ``bench/bench.py``: synops of E1 / E3 / E3 + cutoff, Lava timings (a)-(d), SLAYER
against Lava, and the streamed test set (each returns a JSON-ready dict; ``results`` formats them)."""

from __future__ import annotations

import statistics
import time

import numpy as np

from .meta import log as _logger

log = _logger("bench")


# --------------------------------------------------------------------------- 1. synops


def synops_rows(report_e1: dict, report_e3: dict) -> dict:
    """Rows E1, E3, E3 + cutoff (accuracy, frames pruned fraction, synops/sample, timesteps) from two profiles."""
    T = report_e3["n_frames"]

    def row(rep, key="with_gates"):
        fp = rep["frames_pruned"]
        return {"accuracy": rep["accuracy"][key], "frames_pruned": fp["fraction"] if fp["possible"] else 0.0,
                "frames_pruned_count": fp["total"], "frames_possible": fp["possible"],
                "synops_per_sample": rep["synops_per_sample"][key], "timesteps": float(rep["n_frames"])}

    rows = {"E1": row(report_e1), "E3": row(report_e3)}
    cut = report_e3.get("cutoff")
    if cut:
        rows["E3 + cutoff"] = dict(rows["E3"], accuracy=cut["accuracy"], synops_per_sample=cut["synops_per_sample"],
                                   timesteps=cut["mean_exit_step"] + 1, mean_exit_step=cut["mean_exit_step"],
                                   epsilon=cut["epsilon"],
                                   combined_reduction_same_weights=cut["combined_reduction"])
    rows["E3"]["synops_per_sample_gates_removed"] = report_e3["synops_per_sample"]["without_gates"]
    rows["E3"]["accuracy_gates_removed"] = report_e3["accuracy"]["without_gates"]
    rows["E3"]["n_frames"] = T
    return rows


def measure_synops(nf_e1, nf_e3, frames_e1, frames_e3, labels) -> dict:
    from ..profile.report import profile_network

    t0 = time.perf_counter()
    rep1 = profile_network(nf_e1, frames_e1, labels, cutoff=False)
    rep3 = profile_network(nf_e3, frames_e3, labels, cutoff=None)  # the cutoff section when E3 has a table
    log(f"  synops profiled ({len(labels)} samples, {time.perf_counter() - t0:.1f} s)")
    return synops_rows(rep1, rep3)


# --------------------------------------------------------------------------- 2. Lava timing


def run_plain_netx(path, frames, n_frames: int, tag: str = "fixed_pt", timeout_s: float | None = 600) -> dict:
    """Run one sample through the whole file as ONE plain ``netx.hdf5.Network`` (RingBuffer source and sink).

    What a user without razor_lava would do; the span timed matches ``run_sample``
    (build, compile, run, stop). Returns ``seconds``, ``steps`` and ``output``
    (the sink's raw data; netx ignores graded spikes, so it is a timing baseline).
    """
    from lava.lib.dl import netx
    from lava.proc import io

    from ..deployment.runner import run_config
    from ..lava_run import run_steps

    t0 = time.perf_counter()
    net = netx.hdf5.Network(net_config=str(path))
    src = io.source.RingBuffer(data=ring_data(frames, tuple(net.inp.shape)))
    sink = io.sink.RingBuffer(shape=net.out.shape, buffer=n_frames)
    src.s_out.connect(net.inp)
    net.out.connect(sink.a_in)
    out = run_steps(src, n_frames, run_config(tag), timeout_s=timeout_s, read=lambda _: np.asarray(sink.data.get()))
    return {"seconds": time.perf_counter() - t0, "steps": n_frames, "output": out}


def ring_data(frames: np.ndarray, in_shape: tuple) -> np.ndarray:
    """One sample's SLAYER frames (C, H, W, T) or (C, T) as RingBuffer data in netx's input layout."""
    x = np.asarray(frames)
    if x.ndim == 4 and len(in_shape) == 3:
        x = x.transpose(2, 1, 0, 3)  # C, H, W, T -> W, H, C, T
    return x.reshape(-1, x.shape[-1]).reshape(*in_shape, x.shape[-1]).astype(np.int32) if len(in_shape) == 3 \
        else x.reshape(-1, x.shape[-1]).astype(np.int32)


def lava_variants(nf_e3, n_frames: int, cutoff: bool = True) -> dict:
    """``{name: run(frames) -> {seconds, steps, output, ...}}`` for the Lava timings (a)-(d)."""
    from ..deployment.runner import run_sample

    bare = nf_e3.without_gates()

    def razor(nf, **kw):
        def run(x):
            r = run_sample(nf, x, n_frames, **kw)
            return {"seconds": r.seconds, "steps": r.steps, "output": r.output, "keep": r.keep,
                    "exit_step": r.exit_step, "answer": r.answer}
        return run

    variants = {"with_gates": razor(nf_e3), "without_gates": razor(bare),
                "plain_netx": lambda x: run_plain_netx(nf_e3.path, x, n_frames)}
    if cutoff and nf_e3.cutoff is not None:
        variants["cutoff"] = razor(nf_e3, cutoff=True)
    return variants


def time_variants(variants: dict, frames, warmup: int = 1, progress=log) -> dict:
    """Run every variant on every sample, interleaved (sample 0: a, b, c; sample 1: ...).

    ``warmup`` untimed runs of each variant on sample 0 come first. Returns
    ``{name: {"seconds": [...], "steps": [...], "results": [...]}}``.
    """
    for _ in range(warmup):
        for run in variants.values():
            run(frames[0])
    out = {name: {"seconds": [], "steps": [], "results": []} for name in variants}
    for n in range(len(frames)):
        for name, run in variants.items():
            r = run(frames[n])
            out[name]["seconds"].append(float(r["seconds"]))
            out[name]["steps"].append(int(r["steps"]))
            out[name]["results"].append(r)
        if progress:
            progress(f"  lava sample {n + 1}/{len(frames)}: "
                     + ", ".join(f"{name} {out[name]['seconds'][-1]:.2f} s" for name in variants))
    return out


def timing_summary(seconds: list, steps: list) -> dict:
    """Mean / median / min / std seconds per sample and mean steps of one variant."""
    if not seconds:
        return {"samples": 0, "seconds_per_sample": None}
    return {"samples": len(seconds), "seconds_per_sample": statistics.fmean(seconds),
            "median": statistics.median(seconds), "min": min(seconds),
            "std": statistics.stdev(seconds) if len(seconds) > 1 else 0.0,
            "mean_steps": statistics.fmean(steps), "seconds": [round(s, 4) for s in seconds]}


# --------------------------------------------------------------------------- 3. SLAYER vs Lava


def slayer_vs_lava(nf_e3, frames, lava_with_gates: list) -> dict:
    """SLAYER fixed-point batch (all ``frames`` in one batch) and its agreement with the Lava runs (a)."""
    from ..deployment.evaluate import slayer_reference
    from ..metrics import predict

    t0 = time.perf_counter()
    ref = slayer_reference(nf_e3, frames, batch=max(len(frames), 1))
    wall = time.perf_counter() - t0
    n = len(frames)
    lava_out = np.stack([r["output"] for r in lava_with_gates])
    equal = [bool(np.array_equal(lava_out[i], ref["output"][i])) for i in range(n)]
    gates_equal = [all(np.array_equal(r["keep"][g], ref["keep"][g][i]) for g in nf_e3.pruners)
                   for i, r in enumerate(lava_with_gates)]
    return {"samples": n, "forward_seconds": ref["seconds"], "wall_seconds": wall,
            "seconds_per_sample": ref["seconds"] / max(n, 1), "wall_seconds_per_sample": wall / max(n, 1),
            "prediction_agreement": float((predict(lava_out) == predict(ref["output"])).mean()),
            "output_agreement": float(np.mean(equal)), "gate_decision_agreement": float(np.mean(gates_equal))}


def measure_lava(nf_e3, frames, warmup: int, cutoff: bool) -> dict:
    """Parts 2 and 3 for one data set: Lava timings (a)-(d), then SLAYER on the same samples."""
    from ..lava_run import leftover_workers

    n_frames = frames.shape[-1]
    variants = lava_variants(nf_e3, n_frames, cutoff=cutoff)
    log(f"  timing Lava on {len(frames)} samples: {', '.join(variants)} (warm-up {warmup} per variant)")
    raw = time_variants(variants, frames, warmup=warmup)
    lava = {name: timing_summary(v["seconds"], v["steps"]) for name, v in raw.items()}
    if "cutoff" in raw:
        lava["cutoff"]["mean_exit_step"] = statistics.fmean(r["exit_step"] for r in raw["cutoff"]["results"])
    lava["leftover_workers"] = len(leftover_workers())
    log("  timing SLAYER on the same samples (one batch)")
    return {"lava": lava, "slayer": slayer_vs_lava(nf_e3, frames, raw["with_gates"]["results"])}


def measure_stream(nf_e3, frames, labels, cutoff: bool) -> dict:
    """Part 4: every test sample streamed through one network, Lava's synop counters in the same run
    (``profile.deploy_synops.deploy_counting``), without and with the cutoff."""
    from ..profile.deploy_synops import deploy_counting
    from ..lava_run import leftover_workers

    def run(**kw):
        report = deploy_counting(nf_e3, frames, labels, progress=False, **kw)
        return {k: v for k, v in report.items() if k != "per_sample"}

    out = {"with_gates": run()}
    if cutoff and nf_e3.cutoff is not None:
        out["cutoff"] = run(cutoff=True)
    out["leftover_workers"] = len(leftover_workers())
    return out
