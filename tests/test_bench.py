"""bench/bench.py: the report formatter, ratios, machine block and argument checks (fast: no training,
no Lava), plus one slow Lava test of the plain-netx timing helper."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import bench_scripts

ROOT = Path(__file__).parents[1]


bench = bench_scripts.load("bench")


def _row(acc, synops, timesteps, pruned=0, possible=0):
    return {"accuracy": acc, "frames_pruned": pruned / possible if possible else 0.0, "frames_pruned_count": pruned,
            "frames_possible": possible, "synops_per_sample": synops, "timesteps": timesteps}


def _timing(mean, steps):
    return {"samples": 4, "seconds_per_sample": mean, "median": mean, "min": mean / 2, "std": 0.0,
            "mean_steps": steps, "seconds": [mean] * 4}


def hand_made() -> dict:
    """Numbers chosen so every ratio is a round, recognisable value."""
    e3 = _row(0.915, 1.6e6, 30.0, pruned=360, possible=1200) | {
        "synops_per_sample_gates_removed": 1.7e6, "accuracy_gates_removed": 0.83, "n_frames": 30}
    cut = dict(e3, accuracy=0.905, synops_per_sample=1.0e6, timesteps=20.0, mean_exit_step=19.0, epsilon=0.01,
               combined_reduction_same_weights=1.7)
    ds = {"status": "ok", "config": "razor_lava/configs/synthetic_small.yaml", "networks": {"E1": "a", "E3": "b"},
          "samples": 20, "n_frames": 30, "gates": [2, 5], "gate_variants": ["window"], "cutoff_epsilon": 0.01,
          "rows": {"E1": _row(0.845, 2.0e6, 30.0), "E3": e3, "E3 + cutoff": cut},
          "lava_samples": 4,
          "lava": {"with_gates": _timing(3.0, 90), "without_gates": _timing(1.0, 30),
                   "plain_netx": _timing(0.75, 30), "cutoff": _timing(1.5, 80), "leftover_workers": 0},
          "slayer": {"samples": 4, "forward_seconds": 0.24, "wall_seconds": 0.4, "seconds_per_sample": 0.06,
                     "wall_seconds_per_sample": 0.1, "prediction_agreement": 1.0, "output_agreement": 0.75,
                     "gate_decision_agreement": 1.0}}
    ds["ratios"] = bench.ratios(ds)
    return {"command": "python bench/bench.py --quick", "wall_seconds": 12.0,
            "machine": {"date": "2026-11-23T10:00:00+00:00", "cpu": "Test CPU 9000", "cores": "2 logical",
                        "ram": "8.0 GiB", "os": "Linux", "python": "3.10.13", "torch": "2.3.1", "lava-nc": "0.10.0",
                        "lava-dl": "0.6.0", "razor_lava": "0.1.0", "load_average": "1.00 1.00 1.00"},
            "settings": {"quick": True},
            "datasets": {"synthetic": ds,
                         "nmnist": {"status": "skipped", "reason": "N-MNIST skipped: data folder /nope is missing"}}}


def table_row(text: str, first_cell: str) -> list[str]:
    """The cells of the markdown table row whose first cell is ``first_cell`` (exactly one such row)."""
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in text.splitlines()
            if line.startswith("|")]
    hits = [r for r in rows if r[0] == first_cell]
    assert len(hits) == 1, (first_cell, hits)
    return hits[0]


def test_ratios_are_e1_over_row_and_timing_quotients():
    r = hand_made()["datasets"]["synthetic"]["ratios"]
    assert r["synops_reduction_vs_e1"] == pytest.approx({"E1": 1.0, "E3": 1.25, "E3 + cutoff": 2.0})
    assert r["timestep_reduction_vs_e1"] == pytest.approx({"E1": 1.0, "E3": 1.0, "E3 + cutoff": 1.5})
    assert r["a_over_b"] == pytest.approx(3.0) and r["a_over_c"] == pytest.approx(4.0)
    assert r["d_over_a"] == pytest.approx(0.5) and r["lava_over_slayer"] == pytest.approx(50.0)


def test_ratios_without_lava_or_with_zero_synops():
    ds = {"rows": {"E1": _row(0.5, 0.0, 30.0), "E3": _row(0.5, 0.0, 30.0)}}
    r = bench.ratios(ds)
    assert r["synops_reduction_vs_e1"]["E3"] is None and "a_over_b" not in r


def test_report_puts_numbers_and_ratios_in_the_right_rows():
    text = bench.format_report(hand_made())
    assert table_row(text, "E1 (no pruner)") == ["E1 (no pruner)", "84.5%", "-", "2e+06", "1.00x", "30.00", "1.00x"]
    assert table_row(text, "E3") == ["E3", "91.5%", "30.0% (360/1200)", "1.6e+06", "1.25x", "30.00", "1.00x"]
    assert table_row(text, "E3 + Top-K cutoff") == ["E3 + Top-K cutoff", "90.5%", "30.0% (360/1200)", "1e+06",
                                                    "2.00x", "20.00", "1.50x"]
    a = table_row(text, bench.LAVA_VARIANTS["with_gates"])
    assert a[1:] == ["90.0", "3.000", "3.000", "1.500", "1.00x"]
    assert table_row(text, bench.LAVA_VARIANTS["without_gates"])[1:] == ["30.0", "1.000", "1.000", "0.500", "0.33x"]
    assert table_row(text, bench.LAVA_VARIANTS["plain_netx"])[1:] == ["30.0", "0.750", "0.750", "0.375", "0.25x"]
    assert table_row(text, bench.LAVA_VARIANTS["cutoff"])[1:] == ["80.0", "1.500", "1.500", "0.750", "0.50x"]
    assert "(a)/(b) = 3.00x, (a)/(c) = 4.00x" in text and "(d)/(a) = 0.50x" in text
    assert table_row(text, "synthetic") == ["synthetic", "4", "3.000", "0.060", "0.100", "50.00x", "100.0%", "75.0%",
                                            "100.0%"]
    assert "1.70x fewer synops" in text  # Razor + cutoff vs neither, same weights


def test_report_has_the_streamed_whole_test_set():
    res = hand_made()
    ds = res["datasets"]["synthetic"]
    run = {"samples": 20, "seconds_per_sample": 0.25, "agreement": 1.0, "synops_agreement": 1.0}
    ds["stream"] = {"with_gates": run, "cutoff": run | {"seconds_per_sample": 0.3, "cutoff_agreement": 1.0},
                    "leftover_workers": 0}
    ds["ratios"] = bench.ratios(ds)
    text = bench.format_report(res)
    assert "## 4." in text
    # (a) is 3.0 s per sample, one network each: the stream is 12x faster
    assert table_row(text, "synthetic: E3 with gates") == ["synthetic: E3 with gates", "20", "0.250", "12.00x",
                                                          "100.0%", "100.0%", ""]
    assert table_row(text, "synthetic: E3 + Top-K cutoff")[1:] == ["20", "0.300", "", "100.0%", "100.0%", "100.0%"]
    assert "left after the streams: synthetic 0" in text


def test_report_has_date_command_machine_and_skip_reason():
    text = bench.format_report(hand_made())
    assert "2026-11-23T10:00:00+00:00" in text and "`python bench/bench.py --quick`" in text
    assert table_row(text, "cpu") == ["cpu", "Test CPU 9000"] and table_row(text, "lava-dl") == ["lava-dl", "0.6.0"]
    assert "N-MNIST skipped: data folder /nope is missing" in text
    assert "ignores graded spikes" in text  # the netx caveat
    # the skipped data set has no rows anywhere
    assert not [line for line in text.splitlines() if line.startswith("| nmnist")]


def test_report_without_lava_or_cutoff_leaves_those_parts_out():
    res = hand_made()
    ds = res["datasets"]["synthetic"]
    for k in ("lava", "slayer", "lava_samples"):
        del ds[k]
    del ds["rows"]["E3 + cutoff"]
    ds["ratios"] = bench.ratios(ds)
    text = bench.format_report(res)
    assert "## 2." not in text and "## 3." not in text and "E3 + Top-K cutoff" not in text
    assert table_row(text, "E3")[4] == "1.25x"


def test_outputs_are_written_markdown_and_json(tmp_path):
    res = hand_made()
    res["datasets"]["synthetic"]["lava"]["with_gates"]["std"] = float("nan")  # JSON has no NaN: null
    md, js = bench.write_outputs(res, tmp_path / "sub" / "R.md")
    assert md.read_text() == bench.format_report(res)
    data = json.loads(js.read_text())
    assert js == tmp_path / "sub" / "R.json"
    assert data["datasets"]["synthetic"]["ratios"]["a_over_c"] == pytest.approx(4.0)
    assert data["datasets"]["synthetic"]["lava"]["with_gates"]["std"] is None
    assert not [p for p in (tmp_path / "sub").iterdir() if ".tmp" in p.name]


def test_synops_rows_from_profile_reports():
    def rep(acc, syn, syn_wo, pruned, possible, cutoff=None):
        r = {"n_frames": 30, "accuracy": {"with_gates": acc, "without_gates": acc - 0.1},
             "synops_per_sample": {"with_gates": syn, "without_gates": syn_wo},
             "frames_pruned": {"total": pruned, "possible": possible, "fraction": pruned / possible if possible else 0}}
        return r | ({"cutoff": cutoff} if cutoff else {})

    cut = {"accuracy": 0.8, "synops_per_sample": 5.0, "mean_exit_step": 14.0, "epsilon": 0.01,
           "combined_reduction": 2.4}
    rows = bench.synops_rows(rep(0.7, 12.0, 12.0, 0, 0), rep(0.9, 10.0, 12.0, 18, 60, cut))
    assert list(rows) == ["E1", "E3", "E3 + cutoff"]
    assert rows["E1"]["frames_pruned"] == 0.0 and rows["E1"]["timesteps"] == 30.0
    assert rows["E3"]["synops_per_sample"] == 10.0 and rows["E3"]["frames_pruned"] == pytest.approx(0.3)
    assert rows["E3"]["synops_per_sample_gates_removed"] == 12.0
    c = rows["E3 + cutoff"]
    assert (c["accuracy"], c["synops_per_sample"], c["timesteps"]) == (0.8, 5.0, 15.0)
    assert "E3 + cutoff" not in bench.synops_rows(rep(0.7, 12.0, 12.0, 0, 0), rep(0.9, 10.0, 12.0, 18, 60))


def test_timing_summary():
    s = bench.timing_summary([1.0, 3.0, 2.0], [30, 30, 30])
    assert (s["samples"], s["seconds_per_sample"], s["median"], s["min"], s["mean_steps"]) == (3, 2.0, 2.0, 1.0, 30)
    assert bench.timing_summary([], [])["seconds_per_sample"] is None


def test_machine_info_has_every_field():
    m = bench.machine_info()
    for key in ("date", "cpu", "cores", "ram", "os", "python", "torch", "lava-nc", "lava-dl"):
        assert isinstance(m.get(key), str) and m[key].strip(), key
    assert m["lava-nc"] == "0.10.0" and m["lava-dl"] == "0.6.0" and m["torch"].startswith("2.3")
    assert m["python"].startswith("3.10") and m["ram"].endswith("GiB")


def test_quick_defaults_and_explicit_flags_win():
    a = bench.parse_args(["--quick", "--lava-samples", "5"])
    assert (a.epochs, a.train_samples, a.lava_samples, a.warmup) == (1, 64, 5, 0)
    assert bench.samples_for(a, "synthetic") == bench.QUICK["samples"]
    full = bench.parse_args([])
    assert (full.epochs, full.train_samples, full.lava_samples, full.warmup) == (None, None, 10, 1)
    assert bench.samples_for(full, "synthetic") == 200 and bench.samples_for(full, "nmnist") == 100


@pytest.mark.parametrize("argv", [["--samples", "0"], ["--lava-samples", "-1"], ["--cutoff-epsilon", "1.5"]])
def test_bad_sizes_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as e:
        bench.parse_args(argv)
    assert e.value.code == 2 and argv[0] in capsys.readouterr().err


def test_missing_run_dir_or_network_names_the_path(tmp_path, capsys):
    missing = tmp_path / "no-such-run"
    assert bench.main(["--synthetic-e3", str(missing), "--work", str(tmp_path / "w"),
                       "--out", str(tmp_path / "R.md")]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "--synthetic-e3" in err and "does not exist" in err
    empty = tmp_path / "run"
    empty.mkdir()
    assert bench.main(["--nmnist-e1", str(empty), "--datasets", "nmnist", "--out", str(tmp_path / "R.md")]) == 2
    err = capsys.readouterr().err
    assert str(empty / "network.h5") in err and "--nmnist-e1" in err
    assert not (tmp_path / "w").exists() and not (tmp_path / "R.md").exists()  # nothing started


def test_network_of_another_data_set_is_refused_before_training(tmp_path, capsys):
    from netfiles import CONV, export_random

    _, path = export_random(tmp_path / "run" / "network.h5", CONV, {"positions": "E1"})  # trained on synthetic
    work = tmp_path / "w"
    assert bench.main(["--nmnist-e1", str(tmp_path / "run"), "--datasets", "nmnist", "--data-root", str(tmp_path),
                       "--work", str(work), "--out", str(tmp_path / "R.md")]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "'synthetic', not 'nmnist'" in err
    assert not work.exists()


def test_run_dir_network_accepts_a_dir_or_the_file(tmp_path):
    (tmp_path / "network.h5").write_bytes(b"")
    assert bench.run_dir_network(tmp_path, "--x") == tmp_path / "network.h5"
    assert bench.run_dir_network(tmp_path / "network.h5", "--x") == tmp_path / "network.h5"


def test_missing_nmnist_folder_is_a_skip_reason(tmp_path):
    args = bench.parse_args(["--data-root", str(tmp_path / "gone")])
    assert str(tmp_path / "gone") in bench.skip_reason(args, "nmnist")
    assert bench.skip_reason(args, "synthetic") is None
    assert bench.skip_reason(bench.parse_args(["--data-root", str(tmp_path)]), "nmnist") is None


@pytest.mark.slow
@pytest.mark.lava
def test_plain_netx_timing_runs_every_sample(tmp_path):
    import numpy as np
    import torch

    from razor_lava.netfile import load_network_file
    from razor_lava.lava_run import leftover_workers

    from netfiles import CONV, T, export_random, random_frames

    torch.set_num_threads(1)
    net, path = export_random(tmp_path / "net.h5", CONV, {"positions": [2], "ratio": 0.25})
    nf = load_network_file(path)
    frames = random_frames(net.cfg.input, 2)
    r = bench.run_plain_netx(path, frames[0], T)
    assert r["seconds"] > 0 and r["steps"] == T and np.asarray(r["output"]).shape == (4, T)
    calls = []
    variants = {"plain_netx": lambda x: calls.append(1) or bench.run_plain_netx(path, x, T),
                "without_gates": bench.lava_variants(nf, T, cutoff=False)["without_gates"]}
    timed = bench.time_variants(variants, frames, warmup=1, progress=None)
    assert len(calls) == 3  # one warm-up + two timed samples
    for v in timed.values():
        assert len(v["seconds"]) == 2 and all(s > 0 for s in v["seconds"]) and v["steps"] == [T, T]
    assert leftover_workers() == []


def test_paths_inside_the_repository_are_shown_relative(tmp_path):
    assert bench.shown_path(ROOT / "runs" / "bench" / "x" / "network.h5") == "runs/bench/x/network.h5"
    assert bench.shown_path(tmp_path / "n.h5") == str(tmp_path / "n.h5")


@pytest.mark.lava
def test_soak_leaves_no_worker_fd_or_shared_memory(capsys):
    """bench/soak.py, short: consecutive deploys, half killed by a time limit, leak nothing that counts."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("soak", ROOT / "bench" / "soak.py")
    soak = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(soak)
    result = soak.soak(8, log=lambda *a: None)
    assert result["failed_on_purpose"] == 4  # the kill path really ran
    assert result["ok"] and result["leaked"] == {"workers": 0, "fds": 0, "shm": 0}, result
