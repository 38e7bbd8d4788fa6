"""The main job (``make demo``): its summary table says what the stage results say, its flags reject
bad input with a clear message, and a tiny end-to-end run writes a complete report folder."""

import json

import pytest

from razor_lava import demo
from razor_lava.demo_report import markdown_report, summary_rows, table

TRAIN = {"test_accuracy": 0.915, "test_samples": 200}
DEPLOY = {"samples": 20, "slayer_accuracy": 0.9, "accuracy": 0.9, "agreement": 1.0, "gate_decision_agreement": 1.0,
          "frames_pruned": 360, "frames_total": 1200, "seconds_per_sample": 0.2, "steps": 732, "mode": "stream",
          "period": 32, "latency": 64, "n_frames": 30, "synops_agreement": 1.0,
          "cutoff": {"cutoff_accuracy": 0.85, "cutoff_agreement": 1.0, "steps_variable_schedule": 1590,
                     "synops_agreement": 1.0}}
PROFILE = {"samples": 200, "n_frames": 30, "synops_per_sample": {"with_gates": 1.2e6, "without_gates": 1.5e6},
           "synops_reduction": 1.25, "accuracy": {"with_gates": 0.915, "without_gates": 0.83},
           "lava_counts_equal": True,
           "cutoff": {"epsilon": 0.01, "accuracy": 0.9, "mean_exit_step": 14.0, "timestep_reduction": 2.0,
                      "combined_reduction": 1.6, "energy_uj": {"loihi1": 30.0}},
           "energy_uj": {"snn": {"loihi1": {"with_gates": 40.0, "without_gates": 50.0}}}}


def test_summary_rows_carry_the_stage_numbers():
    rows = dict(summary_rows(TRAIN, DEPLOY, PROFILE))
    assert rows["accuracy, SLAYER (200 test samples)"] == "91.5%"
    assert rows["accuracy, Lava simulator (20 samples)"] == "90.0%"
    assert rows["agreement Lava == SLAYER (identical outputs)"] == "100.0%"
    assert rows["frames pruned (of all gate frames)"] == "30.0%"
    assert rows["synops reduction by Razor (without / with gates)"] == "1.25x"
    assert rows["Top-K cutoff: mean exit frame (of 30)"] == "15.0"  # exit step 14 is the 15th frame
    assert rows["Top-K cutoff: timestep reduction"] == "2.00x"
    assert rows["synops reduction, Razor + cutoff vs neither"] == "1.60x"
    assert rows["Top-K cutoff on Lava: steps of a sample run alone, stopped at its exit / in full"] == "79.5 / 90"
    assert rows["Lava synop counts == SLAYER counts (20 samples)"] == "100.0%"
    assert rows["Lava seconds per sample (stream, with gates)"] == "0.200"
    assert rows["energy estimate loihi1, uJ/sample (neither / gates / gates + cutoff)"] == "50 / 40 / 30"
    no_cut = dict(summary_rows(TRAIN, {k: v for k, v in DEPLOY.items() if k != "cutoff"},
                               {k: v for k, v in PROFILE.items() if k != "cutoff"}))
    assert not any("cutoff" in k for k in no_cut)
    assert no_cut["energy estimate loihi1, uJ/sample (neither / gates)"] == "50 / 40"


def test_markdown_report_links_pictures_relative_to_the_folder(tmp_path):
    data = {"dataset": "synthetic", "description": "d", "train_samples": 10, "test_samples": 5,
            "frame_shape": [2, 32, 32, 30], "window_ms": 10, "events_per_sample_mean": 3.0}
    train = TRAIN | {"config": "razor_lava/configs/x.yaml", "positions": "E3", "n_embeddings": 4, "pruner_rule": "r",
                     "epochs": 1, "rcs_alpha": 0.002, "cutoff_epsilon": 0.01, "run_dir": str(tmp_path / "run")}
    rows = summary_rows(TRAIN, DEPLOY, PROFILE)
    md = markdown_report(tmp_path, data, train, rows, {"Totals": tmp_path / "profile" / "totals.png"}, "cmd", 90)
    assert "![Totals](profile/totals.png)" in md and str(tmp_path) not in md
    assert table(rows) in md and "Wall time: 1.5 min" in md


def test_flags_reject_bad_input(capsys):
    with pytest.raises(SystemExit):
        demo.parse_args(["--dataset", "nmnist"])
    assert "--data-root" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        demo.parse_args(["--deploy-samples", "0"])
    assert "--deploy-samples" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        demo.parse_args(["--dataset", "mnist"])
    args = demo.parse_args([])
    assert (args.dataset, args.train_samples, args.test_samples, args.rcs_alpha) == ("synthetic", 1000, 200, None)
    assert demo.parse_args(["--dataset", "nmnist", "--data-root", "d"]).rcs_alpha is None  # the config decides
    assert demo.parse_args(["--rcs-alpha", "0.001"]).rcs_alpha == 0.001


def test_missing_data_root_names_the_directory(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert demo.main(["--dataset", "nmnist", "--data-root", str(missing), "--out", str(tmp_path / "r")]) == 2
    assert str(missing) in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.lava
def test_tiny_demo_writes_a_complete_report(tmp_path):
    out = tmp_path / "report"
    assert demo.main(["--out", str(out), "--epochs", "1", "--train-samples", "60", "--test-samples", "20",
                      "--deploy-samples", "4", "--profile-samples", "20", "--lava-check", "1"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["deploy"]["agreement"] == 1.0 and summary["deploy"]["cutoff"]["cutoff_agreement"] == 1.0
    assert summary["deploy"]["mode"] == "stream" and summary["deploy"]["samples"] == 4
    assert summary["deploy"]["synops_agreement"] == 1.0 and summary["deploy"]["cutoff"]["synops_agreement"] == 1.0
    assert summary["profile"]["lava_counts_equal"] and summary["profile"]["lava_cutoff_counts_equal"]
    assert summary["profile"]["samples"] == 20 and "combined_reduction" in summary["profile"]["cutoff"]
    for name in ("summary.md", "deploy.json", "deploy_cutoff.json", "data_samples.png", "run/network.h5",
                 "profile/report.json", "profile/synops_per_frame.png", "profile/totals.png"):
        assert (out / name).is_file(), name
    md = (out / "summary.md").read_text()
    assert "profile/totals.png" in md and summary["table"]["agreement Lava == SLAYER (identical outputs)"] in md
