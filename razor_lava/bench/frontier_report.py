"""The report of ``bench/frontier.py``: the markdown (best points, the Lava check, every point) and the
picture (test accuracy against synop reduction, each method's Pareto front)."""

from __future__ import annotations

from pathlib import Path

from ..formatting import pct, points, ratio, si
from .frontier_points import MAX_LOSS, fmt_settings
from .frontier_result import FrontierResult


def markdown(result: FrontierResult) -> str:
    lines = ["# The accuracy-vs-synops frontier: Razor against trivial baselines", "",
             "Each data set's points are measured side by side in one run of the command under its heading "
             "(finished runs in `--work` are reused, not retrained). Every number is the SLAYER fixed-point reference with the synop counters, which Lava's counters equal "
             "sample for sample (checked below on the best point). Synops are per test sample and include what a "
             "Top-K cutoff spends before its answer. 'reduction' is E1's synops / the point's on the same seeds; "
             "accuracy is the mean over those seeds (test split); the best point is chosen on the validation split "
             f"(largest synop reduction at <= {100 * MAX_LOSS:.0f} pt below E1 on validation, among the points measured "
             "on all of E1's seeds). Baselines 'in Razor's "
             "place' replace the trained gates of a Razor run at the same position and fraction of frames; "
             "'(trained)' ones were in the network's place during training too.", ""]
    for name, ds in result.datasets.items():
        lines += [f"## {name}", "", ds.measured.line(), "",
                  f"{ds.train_samples} training samples ({ds.val_samples} of them the "
                  f"validation split), {ds.test_samples} test samples; E1 {pct(ds.e1['accuracy'])} at "
                  f"{si(ds.e1['synops'])} synops per sample (seeds {ds.e1['seeds']}).", ""]
        for title, key in (("Best point (Razor or a baseline, cutoff allowed)", "best"),
                           ("Best point without the cutoff", "best_without_cutoff")):
            b = getattr(ds, key)
            if b is None:
                lines += [f"**{title}**: none within {100 * MAX_LOSS:.0f} pt of E1 on validation.", ""]
                continue
            lines += [f"**{title}**: {b['method']} ({b['run']}, {fmt_settings(b['settings'])}): "
                      f"**{ratio(b['synops_reduction'])} fewer synops** than E1 at {pct(b['accuracy'])} test accuracy "
                      f"({points(b['accuracy'] - b['accuracy_e1'])} vs E1), {pct(b['frames_pruned'])} of "
                      f"frames pruned, {b['timesteps']:.1f} timesteps; seeds {b['seeds']}.", ""]
        lava = ds.lava
        if lava:
            lines += [f"Lava check of the best point (seed {lava['seed']}, {lava['samples']} test samples streamed): "
                      f"synops per sample {si(lava['lava_synops_per_sample'])} on Lava, "
                      f"{si(lava['frontier_synops_per_sample'])} in the frontier: "
                      f"{'equal' if lava['equal'] else 'NOT equal'} (per sample agreement "
                      f"{pct(lava['synops_agreement'])}, outputs {pct(lava['output_agreement'])}).", ""]
        lines += ["| method | run | settings | cutoff eps | test accuracy | vs E1 | synops/sample | reduction | "
                  "frames pruned | timesteps | seeds |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        for p in sorted(ds.points, key=lambda p: (p["method"], p["run"], -p["synops_reduction"])):
            s = {k: v for k, v in p["settings"].items() if k != "cutoff_epsilon"}
            lines.append(f"| {p['method']} | {p['run']} | {fmt_settings(s)} | {p['settings']['cutoff_epsilon'] or ''} "
                         f"| {pct(p['accuracy'])} +- {pct(p['accuracy_std'])} | "
                         f"{points(p['accuracy'] - p['accuracy_e1'])} | {si(p['synops'])} | "
                         f"{ratio(p['synops_reduction'])} | {pct(p['frames_pruned'])} | {p['timesteps']:.1f} | "
                         f"{p['seeds']} |")
        lines.append("")
    return "\n".join(lines)


def pareto(points: list[dict]) -> list[dict]:
    """The points no other point beats on both test accuracy and synop reduction, by reduction."""
    front, best = [], -1.0
    for p in sorted(points, key=lambda p: (-p["synops_reduction"], -p["accuracy"])):
        if p["accuracy"] > best:
            front.append(p)
            best = p["accuracy"]
    return front[::-1]


def plot(result: FrontierResult, path: Path) -> Path:
    """Test accuracy against synop reduction per data set: each method's points (faint) and its Pareto
    front (line); filled markers and solid lines with the cutoff, hollow and dashed without."""
    from matplotlib.figure import Figure

    from ..plots import save_png

    fig = Figure(figsize=(6.5 * len(result.datasets), 5.0))
    axes = fig.subplots(1, len(result.datasets), squeeze=False)[0]
    colors = {}
    for ax, (name, ds) in zip(axes, result.datasets.items()):
        acc_e1 = 100 * ds.e1["accuracy"]
        ax.axhline(acc_e1, color="k", lw=0.8, ls=":")
        ax.axhline(acc_e1 - 100 * MAX_LOSS, color="k", lw=0.8, ls="--", label="E1 - 1 pt")
        groups: dict[tuple, list] = {}
        for p in ds.points:
            groups.setdefault((p["method"], p["cutoff"]), []).append(p)
        for (method, cut), ps in sorted(groups.items()):
            color = colors.setdefault(method, f"C{len(colors) % 10}")
            ax.scatter([p["synops_reduction"] for p in ps], [100 * p["accuracy"] for p in ps], s=9, color=color,
                       alpha=0.25)
            front = pareto(ps)
            ax.plot([p["synops_reduction"] for p in front], [100 * p["accuracy"] for p in front],
                    "-o" if cut else "--o", color=color, mfc=color if cut else "white", ms=5, lw=1.2,
                    label=f"{method}{' + cutoff' if cut else ''}")
        best = ds.best
        if best:
            ax.plot(best["synops_reduction"], 100 * best["accuracy"], "*", color="k", ms=14, label="best (validation)")
        ax.set(xscale="log", xlabel="synops reduction vs E1 (x, log)", ylabel="test accuracy, %", title=name,
               ylim=(max(0.0, acc_e1 - 25), min(100.0, acc_e1 + 15)))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, loc="lower left")
    fig.tight_layout()
    return save_png(fig, path)
