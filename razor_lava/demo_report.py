"""The main job's report: the summary table (terminal and markdown) and the report folder's README.

``summary_rows`` turns the demo's stage results into (metric, value) rows;
``markdown_report`` lays them out with the pictures for ``summary.md``.
Kept apart from the flow (``demo.py``) so the table can be tested on a
hand-made result without training anything.
"""

from __future__ import annotations

import os
from pathlib import Path

from .formatting import pct, ratio


def summary_rows(train: dict, deploy: dict, profile: dict) -> list[tuple[str, str]]:
    """The headline numbers, in the order a reader checks them: accuracy, exactness, savings, energy."""
    n_dep, n_prof = deploy["samples"], profile["samples"]
    rows = [
        (f"accuracy, SLAYER ({train['test_samples']} test samples)", pct(train["test_accuracy"])),
        *([(f"selected epoch (by validation accuracy, {train['val_samples']} samples)",
            f"{train['selected_epoch']} of {train['epochs']} ({pct(train['val_accuracy'])})")]
          if train.get("selected_epoch") is not None and train.get("val_accuracy") is not None else []),
        (f"accuracy, SLAYER ({n_dep} deployed samples)", pct(deploy["slayer_accuracy"])),
        (f"accuracy, Lava simulator ({n_dep} samples)", pct(deploy["accuracy"])),
        ("agreement Lava == SLAYER (identical outputs)", pct(deploy["agreement"])),
        ("gate decisions Lava == torch pruner", pct(deploy.get("gate_decision_agreement"))),
        ("frames pruned (of all gate frames)", pct(deploy["frames_pruned"] / max(deploy["frames_total"], 1))),
        (f"synops per sample with / without gates ({n_prof} samples)",
         f"{profile['synops_per_sample']['with_gates']:.3g} / {profile['synops_per_sample']['without_gates']:.3g}"),
        ("synops reduction by Razor (without / with gates)", ratio(profile["synops_reduction"])),
        ("accuracy without gates (same network, SLAYER)", pct(profile["accuracy"]["without_gates"])),
        (f"Lava synop counts == SLAYER counts ({n_dep} samples)",
         pct(deploy["synops_agreement"]) if "synops_agreement" in deploy else _yes(profile.get("lava_counts_equal"))),
    ]
    cut, dcut = profile.get("cutoff"), deploy.get("cutoff")
    if cut:
        rows += [(f"Top-K cutoff (epsilon {cut['epsilon']}): accuracy, SLAYER", pct(cut["accuracy"])),
                 ("Top-K cutoff: mean exit frame (of %d)" % profile["n_frames"], f"{cut['mean_exit_step'] + 1:.1f}"),
                 ("Top-K cutoff: timestep reduction", ratio(cut["timestep_reduction"])),
                 ("synops reduction, Razor + cutoff vs neither", ratio(cut["combined_reduction"]))]
    if dcut:
        rows += [(f"Top-K cutoff on Lava: accuracy ({n_dep} samples)", pct(dcut["cutoff_accuracy"])),
                 ("Top-K cutoff on Lava: exit and answer == SLAYER rule", pct(dcut["cutoff_agreement"])),
                 ("Top-K cutoff on Lava: synop counts == SLAYER's account", pct(dcut.get("synops_agreement"))),
                 ("Top-K cutoff on Lava: steps of a sample run alone, stopped at its exit / in full",
                  f"{dcut['steps_variable_schedule'] / n_dep:.1f} / {_steps_alone(deploy)}")]
    for name, e in profile["energy_uj"]["snn"].items():
        value = f"{e['without_gates']:.3g} / {e['with_gates']:.3g}"
        if cut:
            value += f" / {cut['energy_uj'][name]:.3g}"
        rows.append((f"energy estimate {name}, uJ/sample (neither / gates{' / gates + cutoff' if cut else ''})",
                     value))
    rows.append((f"Lava seconds per sample ({deploy.get('mode', 'per-sample')}, with gates)",
                 f"{deploy['seconds_per_sample']:.3f}"))
    return rows


def _steps_alone(deploy: dict) -> int:
    """Steps of one sample on a network of its own: T per window gate (its latency) plus T."""
    return (deploy["latency"] // deploy["period"] + 1) * deploy["n_frames"]


def _yes(v) -> str:
    return "not checked" if v is None else ("yes" if v else "NO")


def table(rows: list[tuple[str, str]]) -> str:
    """A markdown table that also reads well in a terminal."""
    w = max(len(k) for k, _ in rows)
    lines = [f"| {'metric':<{w}} | value |", f"|{'-' * (w + 2)}|-------|"]
    return "\n".join(lines + [f"| {k:<{w}} | {v} |" for k, v in rows])


def markdown_report(out: Path, data: dict, train: dict, rows: list[tuple[str, str]], pictures: dict,
                    command: str, seconds: float) -> str:
    """``summary.md``: what ran, the table, the pictures (relative links), and where the raw numbers are."""
    rel = lambda p: os.path.relpath(p, out)  # noqa: E731
    lines = [f"# razor_lava demo report: {data['dataset']}", "",
             f"Command: `{command}`  ", f"Wall time: {seconds / 60:.1f} min", "",
             "## Data", "",
             f"- {data['description']}",
             f"- {data['train_samples']} training / {data['test_samples']} test samples, frames "
             f"{' x '.join(map(str, data['frame_shape']))} (C x H x W x T, {data['window_ms']} ms each)",
             f"- {data['events_per_sample_mean']:.0f} events per sample (mean)", "",
             "## Network and training", "",
             f"- config `{train['config']}`: pruners at {train['positions']}, K = {train['n_embeddings']}, "
             f"{train['pruner_rule']}",
             f"- {train['epochs']} epochs, RCS regulariser alpha = {train['rcs_alpha']}, "
             f"cutoff calibrated for epsilon = {train['cutoff_epsilon']} on the validation split",
             f"- run directory `{rel(train['run_dir'])}` (checkpoint, metrics, learning curve, `network.h5`)", "",
             "## Results", "", table(rows), "",
             "Synops are counted exactly (every input event times its true fan-out) on SLAYER's fixed-point "
             "forward pass and checked against counters inside the Lava run. Energies are estimates from cited "
             "per-operation constants (`profile/report.json`, `energy_uj.constants`); they leave out memory "
             "traffic, routing and leakage.", "", "## Pictures", ""]
    for title, path in pictures.items():
        lines += [f"### {title}", "", f"![{title}]({rel(path)})", ""]
    lines += ["## Files", "",
              "- `summary.json`: every number above and more",
              "- `deploy.json`, `deploy_cutoff.json`: per-sample Lava results (prediction, gate decisions, exit step)",
              "- `profile/`: `report.json`, `per_layer.csv`, `per_frame.csv` and the synops pictures", ""]
    return "\n".join(lines)
