"""Pictures of a profile report (``report.profile_report``), drawn on matplotlib's Agg canvas.

Every function takes the report dict (so report.json can be re-plotted
later), writes one PNG atomically and returns its path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..plots import save_png
from ..formatting import pct, ratio, si

WITH, WITHOUT = "#1f77b4", "#b0b0b0"  # gates on: blue; gates off: grey
CUTOFF = "#2ca02c"  # gates + Top-K cutoff: green
GATE_COLOURS = ("#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b")


def _count_axis(axis) -> None:
    """Tick labels like 1.5M instead of matplotlib's 1e6 offset."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: si(v)))


def _gate_label(report: dict, g: str) -> str:
    names = {str(p["layer"]): p["name"] for p in report["per_layer"]}  # a gate is keyed by the layer it feeds
    return f"gate {g}" + (f" (into {names[g]})" if g in names else "")


def plot_synops_per_frame(report: dict, path) -> Path:
    """Mean synops per frame with and without gates, one sample's gate decisions, pruning frequency per frame."""
    from matplotlib.figure import Figure

    pf, ex = report["per_frame"], report["example"]
    t = np.arange(report["n_frames"])
    gates = list(pf["pruned_fraction"])
    heights = [3.0] + ([0.35 * max(len(gates), 1) + 0.5, 1.8] if gates else [])
    fig = Figure(figsize=(10, sum(heights) + 1.2))
    axes = fig.subplots(len(heights), 1, sharex=True, gridspec_kw={"height_ratios": heights}, squeeze=False)[:, 0]
    ax = axes[0]
    ax.plot(t, pf["synops_mean_without_gates"], color="#555555", marker="s", ms=3, lw=1.5, label="mean, without gates")
    ax.plot(t, pf["synops_mean_with_gates"], color=WITH, marker="o", ms=3, lw=2, label="mean, with gates")
    cut = report.get("cutoff")
    if cut and cut["synops_mean_per_frame"]:
        ax.plot(t, cut["synops_mean_per_frame"], color=CUTOFF, marker="^", ms=3, lw=2,
                label=f"mean, with gates + cutoff (mean exit frame {cut['mean_exit_step']:.1f})")
    if ex["synops_with_gates"]:
        ax.plot(t, ex["synops_with_gates"], color=WITH, ls=":", lw=1.2, label=f"sample {ex['sample']}, with gates")
        any_pruned = np.zeros(len(t), dtype=bool)
        for p in ex["pruned"].values():
            any_pruned |= np.asarray(p, dtype=bool)
        for k, x in enumerate(t[any_pruned]):
            ax.axvspan(x - 0.5, x + 0.5, color="#f4c7c3", alpha=0.5, lw=0,
                       label=f"sample {ex['sample']}: a gate pruned this frame" if k == 0 else None)
    ax.set_ylabel("synops per frame")
    top = max([*pf["synops_mean_without_gates"], *ex["synops_with_gates"], 1.0])
    ax.set_ylim(0, top * 1.3)  # room for the legend
    _count_axis(ax.yaxis)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper right", ncol=2)
    red = report.get("synops_reduction")
    ax.set_title(f"Synaptic operations per frame ({report['samples']} samples"
                 + (f"; {ratio(red)} fewer in total with gates)" if red else ")"))
    if gates:
        ax = axes[1]
        for r, g in enumerate(gates):
            pruned = np.asarray(ex["pruned"].get(g, []), dtype=bool)
            c = GATE_COLOURS[r % len(GATE_COLOURS)]
            ax.broken_barh([(x - 0.45, 0.9) for x in t], (r - 0.4, 0.8), facecolors="#eeeeee")
            ax.broken_barh([(x - 0.45, 0.9) for x in t[pruned]], (r - 0.4, 0.8), facecolors=c)
        ax.set_yticks(range(len(gates)), [_gate_label(report, g) for g in gates], fontsize=8)
        ax.set_ylim(len(gates) - 0.5, -0.5)
        ax.set_title(f"sample {ex['sample']}: frames each gate pruned (coloured) or kept (grey)", fontsize=9)
        ax = axes[2]
        for r, g in enumerate(gates):
            ax.plot(t, 100 * np.asarray(pf["pruned_fraction"][g]), color=GATE_COLOURS[r % len(GATE_COLOURS)],
                    marker="o", ms=3, label=_gate_label(report, g))
        ax.set_ylabel("samples pruned\nthis frame (%)", fontsize=9)
        ax.set_ylim(-3, 103)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper right", ncol=min(len(gates), 3))
    axes[-1].set_xlabel("frame index")
    axes[-1].set_xticks(t[:: max(1, len(t) // 15)])
    fig.tight_layout()
    return save_png(fig, path)


def plot_synops_per_layer(report: dict, path) -> Path:
    """Grouped bars: synops per sample in each weighted layer, with and without gates (log scale if wide-ranging)."""
    from matplotlib.figure import Figure

    rows, n = report["per_layer"], max(report["samples"], 1)
    with_g = np.array([r["synops_with_gates"] / n for r in rows], dtype=float)
    without = np.array([r["synops_without_gates"] / n for r in rows], dtype=float)
    x = np.arange(len(rows))
    fig = Figure(figsize=(max(6.0, 1.3 * len(rows) + 2.5), 4.2))
    ax = fig.subplots()
    ax.bar(x - 0.2, without, 0.4, color=WITHOUT, edgecolor="#555555", label="without gates")
    ax.bar(x + 0.2, with_g, 0.4, color=WITH, label="with gates")
    positive = np.concatenate([with_g, without])
    positive = positive[positive > 0]
    log = positive.size and positive.max() / positive.min() > 100
    if log:
        ax.set_yscale("log")
    top = max(float(without.max(initial=0)), float(with_g.max(initial=0)), 1.0)
    ax.set_ylim(top=top * (8 if log else 1.2))
    for xi, a, b in zip(x, without, with_g):
        ax.text(xi + 0.2, max(b, 1e-9) * (1.15 if log else 1) + (0 if log else 0.01 * top), si(b),
                ha="center", va="bottom", fontsize=7, color=WITH)
        if b > 0 and a > b:
            ax.text(xi, max(a, b) * (2.6 if log else 1) + (0 if log else 0.07 * top), ratio(a / b),
                    ha="center", va="bottom", fontsize=8, fontweight="bold")
    ax.set_xticks(x, [f"{r['name']}\n(layer {r['layer']})" for r in rows], fontsize=8)
    ax.set_ylabel("synops per sample" + (" (log)" if log else ""))
    _count_axis(ax.yaxis)
    ax.set_title("Synaptic operations per layer (bold: reduction by the gates)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return save_png(fig, path)


def plot_totals(report: dict, path) -> Path:
    """Pruned vs unpruned synops per sample (accuracy annotated) and the energy estimates per sample."""
    from matplotlib.figure import Figure

    sps, acc, en = report["synops_per_sample"], report["accuracy"], report["energy_uj"]
    fig = Figure(figsize=(11, 4.2))
    a1, a2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
    cut = report.get("cutoff")
    vals = [sps["without_gates"], sps["with_gates"]] + ([cut["synops_per_sample"]] if cut else [])
    accs = [acc["without_gates"], acc["with_gates"]] + ([cut["accuracy"]] if cut else [])
    names = ["without gates", "with gates"] + (["gates + cutoff"] if cut else [])
    bars = a1.bar(range(len(vals)), vals, 0.6, color=[WITHOUT, WITH, CUTOFF][: len(vals)], edgecolor="#555555")
    for b, v, a in zip(bars, vals, accs):
        a1.text(b.get_x() + b.get_width() / 2, v, f"{si(v)} synops\naccuracy {pct(a)}",
                ha="center", va="bottom", fontsize=9)
    a1.set_xticks(range(len(vals)), names)
    a1.set_ylim(0, max(vals + [1.0]) * 1.3)
    a1.set_ylabel("synops per sample")
    _count_axis(a1.yaxis)
    red = report.get("synops_reduction")
    title = f"Totals: {ratio(red)} fewer synops with gates" if red else "Totals"
    if cut and cut["combined_reduction"]:
        title += f",\n{ratio(cut['combined_reduction'])} with gates + cutoff"
    a1.set_title(title, fontsize=10)
    a1.grid(axis="y", alpha=0.3)

    labels, values, colours = [], [], []
    for name, e in en["snn"].items():
        labels += [f"SNN {name}\nwithout gates", f"SNN {name}\nwith gates"]
        values += [e["without_gates"], e["with_gates"]]
        colours += [WITHOUT, WITH]
        if cut and name in cut["energy_uj"]:
            labels.append(f"SNN {name}\ngates + cutoff")
            values.append(cut["energy_uj"][name])
            colours.append(CUTOFF)
    for name, v in en["dense_ann"].items():
        labels.append(f"dense ANN\n{name}")
        values.append(v)
        colours.append("#e8a33d")
    y = np.arange(len(values))
    a2.barh(y, values, color=colours, edgecolor="#555555")
    a2.set_yticks(y, labels, fontsize=8)
    a2.invert_yaxis()
    positive = [v for v in values if v > 0]
    if positive and min(positive) * 100 < max(positive):
        a2.set_xscale("log")
        a2.set_xlim(left=min(positive) / 3)
    for yi, v in zip(y, values):
        a2.text(v, yi, f" {v:.3g} uJ", va="center", fontsize=8)
    a2.set_xlim(right=max(values + [1e-9]) * (6 if a2.get_xscale() == "log" else 1.3))
    a2.set_xlabel("estimated energy per sample (uJ" + (", log)" if a2.get_xscale() == "log" else ")"))
    a2.set_title("Energy estimates (per-op constants in report.json)", fontsize=10)
    notes = [f"SNN {n}: synops + neuron updates" for n, e in en["snn"].items() if "with_gates_upper" in e]
    if notes:
        a2.set_xlabel(a2.get_xlabel() + "\n" + "; ".join(notes) + "; others: synops only", fontsize=9)
    a2.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return save_png(fig, path)


def plot_report(report: dict, out_dir) -> dict[str, Path]:
    """All three pictures into ``out_dir``: synops_per_frame.png, synops_per_layer.png, totals.png."""
    out = Path(out_dir)
    return {"synops_per_frame": plot_synops_per_frame(report, out / "synops_per_frame.png"),
            "synops_per_layer": plot_synops_per_layer(report, out / "synops_per_layer.png"),
            "totals": plot_totals(report, out / "totals.png")}
