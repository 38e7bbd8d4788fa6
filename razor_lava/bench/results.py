"""The report of ``bench/bench.py``: ratios and markdown tables from a results dict (pure: no measurement).

``lava_timing`` measures and ``bench/bench.py`` fills the dict; this module only formats it
(numbers through ``razor_lava.formatting``), so tests/test_bench.py checks the
tables against hand-made numbers.
"""

from __future__ import annotations

from pathlib import Path

from ..formatting import pct, ratio, seconds
from .report import md_table as _table, write_json

LAVA_VARIANTS = {
    "with_gates": "(a) E3 with gates",
    "without_gates": "(b) E3, gates removed (razor_lava assembly)",
    "plain_netx": "(c) whole file as one plain netx.hdf5.Network",
    "cutoff": "(d) E3 with gates + Top-K cutoff",
}
NETX_NOTE = ("(c) is a timing baseline only: netx builds the LIAF layers as binary LIF and ignores "
             "graded spikes, so its outputs are not expected to match (a) or SLAYER.")


def _div(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


def ratios(ds: dict) -> dict:
    """Reductions vs E1 (E1 / row: > 1 means fewer), and the timing ratios of parts 2 and 3."""
    rows = ds.get("rows", {})
    e1 = rows.get("E1", {})
    out = {"synops_reduction_vs_e1": {}, "timestep_reduction_vs_e1": {}}
    for name, r in rows.items():
        out["synops_reduction_vs_e1"][name] = _div(e1.get("synops_per_sample"), r["synops_per_sample"])
        out["timestep_reduction_vs_e1"][name] = _div(e1.get("timesteps"), r["timesteps"])
    lava = ds.get("lava")
    if lava:
        s = {k: (v.get("seconds_per_sample") if isinstance(v, dict) else None) for k, v in lava.items()}
        out["a_over_b"] = _div(s.get("with_gates"), s.get("without_gates"))
        out["a_over_c"] = _div(s.get("with_gates"), s.get("plain_netx"))
        out["b_over_c"] = _div(s.get("without_gates"), s.get("plain_netx"))
        out["d_over_a"] = _div(s.get("cutoff"), s.get("with_gates"))
        out["lava_over_slayer"] = _div(s.get("with_gates"), (ds.get("slayer") or {}).get("seconds_per_sample"))
    stream = (ds.get("stream") or {}).get("with_gates")
    if lava and stream:
        out["a_over_stream"] = _div(lava["with_gates"].get("seconds_per_sample"), stream.get("seconds_per_sample"))
    return out


ROW_NAMES = {"E1": "E1 (no pruner)", "E3": "E3", "E3 + cutoff": "E3 + Top-K cutoff"}


def format_synops(name: str, ds: dict) -> list:
    rat = ds.get("ratios") or ratios(ds)
    rows = []
    for key, r in ds["rows"].items():
        fp = f"{pct(r['frames_pruned'])} ({r['frames_pruned_count']}/{r['frames_possible']})" \
            if r.get("frames_possible") else "-"
        rows.append([ROW_NAMES.get(key, key), pct(r["accuracy"]), fp, f"{r['synops_per_sample']:.4g}",
                     ratio(rat["synops_reduction_vs_e1"].get(key)), f"{r['timesteps']:.2f}",
                     ratio(rat["timestep_reduction_vs_e1"].get(key))])
    lines = [f"### {name}: {ds['samples']} test samples x {ds['n_frames']} frames, "
             f"gates {ds['gates'] or 'none'} ({', '.join(ds['gate_variants']) or '-'}), "
             f"cutoff epsilon {ds['cutoff_epsilon'] if ds['cutoff_epsilon'] is not None else 'n/a (no table)'}", ""]
    lines += _table(["network", "accuracy", "frames pruned (gate frames)", "synops / sample", "synops vs E1",
                     "timesteps / sample", "timesteps vs E1"], rows)
    e3 = ds["rows"]["E3"]
    lines += ["", f"E3 with its gates removed (same weights): {pct(e3['accuracy_gates_removed'])} accuracy, "
                  f"{e3['synops_per_sample_gates_removed']:.4g} synops / sample."]
    cut = ds["rows"].get("E3 + cutoff")
    if cut:
        lines.append(f"Razor + cutoff vs neither on the same E3 weights: {ratio(cut['combined_reduction_same_weights'])} "
                     f"fewer synops (profile_network's combined_reduction); mean exit frame "
                     f"{cut['mean_exit_step']:.2f} (0-based).")
    return lines + [""]


def format_lava(name: str, ds: dict) -> list:
    lava, rat = ds["lava"], ds.get("ratios") or ratios(ds)
    rows = []
    for key, label in LAVA_VARIANTS.items():
        v = lava.get(key)
        if not v:
            continue
        rows.append([label, f"{v['mean_steps']:.1f}", seconds(v["seconds_per_sample"]), seconds(v["median"]), seconds(v["min"]),
                     ratio(_div(v["seconds_per_sample"], lava["with_gates"]["seconds_per_sample"]))])
    lines = [f"### {name}: {ds['lava_samples']} samples, interleaved", ""]
    lines += _table(["run", "steps / sample", "s / sample (mean)", "median", "min", "vs (a)"], rows)
    lines += ["", f"(a)/(b) = {ratio(rat['a_over_b'])}, (a)/(c) = {ratio(rat['a_over_c'])}, "
                  f"(b)/(c) = {ratio(rat['b_over_c'])}"
              + (f", (d)/(a) = {ratio(rat['d_over_a'])}" if rat.get("d_over_a") is not None else "") + ".",
              f"Lava worker processes left after the runs: {lava.get('leftover_workers', 'n/a')}.", ""]
    return lines


def format_slayer_row(name: str, ds: dict) -> list:
    sl, rat = ds["slayer"], ds.get("ratios") or ratios(ds)
    return [name, sl["samples"], seconds(ds["lava"]["with_gates"]["seconds_per_sample"]), seconds(sl["seconds_per_sample"]),
            seconds(sl["wall_seconds_per_sample"]), ratio(rat["lava_over_slayer"]), pct(sl["prediction_agreement"]),
            pct(sl["output_agreement"]), pct(sl["gate_decision_agreement"])]


def format_report(results: dict) -> str:
    """The markdown report of a results dict (see ``bench_dataset``); pure, no measurement."""
    m = results["machine"]
    lines = ["# razor_lava benchmark", "",
             f"Date: {m['date']}  ", f"Command: `{results['command']}`  ",
             f"Wall time: {results['wall_seconds']:.0f} s" if results.get("wall_seconds") is not None else "", "",
             "## Machine", ""]
    lines += _table(["", ""], [[k, v] for k, v in m.items() if k != "date"])
    st = results.get("settings", {})
    if st:
        lines += ["", "Settings: " + ", ".join(f"{k} {v}" for k, v in st.items()), ""]
    done = {k: v for k, v in results["datasets"].items() if v.get("status") == "ok"}
    for k, v in results["datasets"].items():
        if v.get("status") != "ok":
            lines += [f"**{k}: {v.get('reason', 'skipped')}**", ""]
    lines += ["## 1. Accuracy, frames pruned, synops, timesteps (SLAYER fixed point, profile_network)", "",
              "Reductions are E1 / row (> 1 = fewer). Timesteps: frames run per sample (E3 + cutoff: mean exit "
              "frame + 1). Frames pruned: fraction of the gate frames (samples x frames x gates) pruned; with the "
              "cutoff, the gates' decisions after the exit no longer matter.", ""]
    for k, v in done.items():
        lines += format_synops(k, v)
    timed = {k: v for k, v in done.items() if v.get("lava")}
    if timed:
        lines += ["## 2. Lava simulator (Loihi2SimCfg fixed_pt): seconds per sample", "",
                  "Each run builds, compiles, runs and stops a fresh network (run_sample / run_plain_netx: "
                  "one network per sample; part 4 streams); the "
                  "variants are interleaved sample by sample. Window gates add T steps of latency each. "
                  + NETX_NOTE, ""]
        for k, v in timed.items():
            lines += format_lava(k, v)
        lines += ["## 3. SLAYER fixed-point batch vs the Lava simulator (E3 with gates)", "",
                  "SLAYER: slayer_reference on the same samples as one batch (forward time / samples; wall also "
                  "counts building the reference network). Agreement: Lava (a) vs SLAYER on those samples.", ""]
        lines += _table(["data set", "samples", "Lava s / sample", "SLAYER s / sample", "SLAYER wall s / sample",
                         "Lava / SLAYER", "prediction agreement", "output agreement (exact)", "gate agreement"],
                        [format_slayer_row(k, v) for k, v in timed.items()])
        lines.append("")
    streamed = {k: v for k, v in done.items() if v.get("stream")}
    if streamed:
        lines += ["## 4. The whole test set streamed through one Lava network (E3 with gates)", "",
                  "deploy_counting (mode='stream'): one compiled network, the samples back to "
                  "back, Lava's synop counters in the same run, build to stop timed. Agreement: outputs equal to "
                  "SLAYER's; synops: Lava's counts equal SLAYER's on every sample (with the cutoff: SLAYER's "
                  "account of what was spent before each answer).", ""]
        rows = []
        for k, v in streamed.items():
            rat = v.get("ratios") or ratios(v)
            for key, label in (("with_gates", "E3 with gates"), ("cutoff", "E3 + Top-K cutoff")):
                r = v["stream"].get(key)
                if r:
                    rows.append([f"{k}: {label}", r["samples"], seconds(r["seconds_per_sample"]),
                                 ratio(rat.get("a_over_stream")) if key == "with_gates" else "",
                                 pct(r["agreement"]), pct(r["synops_agreement"]),
                                 pct(r.get("cutoff_agreement")) if key == "cutoff" else ""])
        lines += _table(["data set: run", "samples", "s / sample", "(a) / stream", "agreement", "synops equal",
                         "cutoff exit+answer equal"], rows)
        lines += ["", "Lava worker processes left after the streams: "
                  + ", ".join(f"{k} {v['stream'].get('leftover_workers', 'n/a')}" for k, v in streamed.items()) + ".",
                  ""]
    return "\n".join(lines).rstrip() + "\n"


def write_outputs(results: dict, out) -> tuple[Path, Path]:
    """Write the markdown report to ``out`` and every number to ``out`` with .json, both atomically."""
    from ..atomic import write_text_atomic

    out = Path(out)
    md = write_text_atomic(out, format_report(results))
    return md, write_json(out.with_suffix(".json"), results)
