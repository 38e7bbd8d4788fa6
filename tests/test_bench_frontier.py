"""bench/frontier.py: the aggregation over seeds and the choice of the best point on the validation split
(fast, hand-made rows), the report kept per data set, and one ``--quick`` run end to end (slow: trains three
tiny runs, checks Lava)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import bench_scripts
from razor_lava.bench.frontier_result import FrontierReportError, FrontierResult
from razor_lava.bench.meta import Measured

COMMITTED = Path(__file__).resolve().parents[1] / "bench" / "FRONTIER.json"
frontier = bench_scripts.load("frontier")


def row(run, seed, method, val_acc, test_acc, val_syn, test_syn, eps=None, **settings):
    split = lambda acc, syn: {"accuracy": acc, "synops": syn, "synops_per_layer": {"dense1": syn},  # noqa: E731
                              "frames_pruned": 0.5 if method != "E1" else 0.0, "timesteps": 30.0}
    return {"run": run, "seed": seed, "out": "x", "method": method, "settings": settings | {"cutoff_epsilon": eps},
            "gates": {}, "beta": None, "val": split(val_acc, val_syn), "test": split(test_acc, test_syn)}


def test_points_are_compared_with_e1_on_the_seeds_they_share_and_the_best_is_chosen_on_validation():
    rows = [row("E1", s, "E1", 0.90, 0.90 + s / 100, 1000, 1000 + 100 * s) for s in (0, 1)]
    # A: 4x on validation within 1 pt there, but worse on test; B: better on test, 1.5 pt down on validation.
    rows += [row("A", s, "razor", 0.895, 0.80, 250, 250, ratio=0.5) for s in (0, 1)]
    rows += [row("B", s, "razor", 0.885, 0.95, 100, 100, ratio=0.7) for s in (0, 1)]
    rows += [row("C", 5, "razor", 0.99, 0.99, 1, 1)]  # a seed without E1: not compared
    rows += [row("D", 0, "razor", 0.95, 0.95, 10, 10)]  # one seed of E1's two: compared, never the best
    points = {p["run"]: p for p in frontier.aggregate(rows)}
    assert set(points) == {"E1", "A", "B", "D"} and points["D"]["seeds"] == [0]
    a = points["A"]
    assert a["seeds"] == [0, 1] and a["synops_e1"] == pytest.approx(1050) and a["synops_reduction"] == pytest.approx(4.2)
    assert a["accuracy_e1"] == pytest.approx(0.905) and a["val_synops_reduction"] == pytest.approx(4.0)
    assert points["E1"]["synops_reduction"] == pytest.approx(1.0)
    assert frontier.best_point(list(points.values()), None)["run"] == "A"  # not B, whose test numbers look better
    assert frontier.best_point(list(points.values()), True) is None  # no point with the cutoff
    assert frontier.label("uniform (trained)") == "uniform subsampling (trained)"


@pytest.mark.slow
def test_quick_frontier_writes_every_point_and_checks_the_best_one_on_lava(tmp_path):
    import logging

    out = tmp_path / "FRONTIER.md"
    level = logging.getLogger("razor_lava.cutoff.calibrate").level
    assert frontier.main(["--quick", "--work", str(tmp_path / "work"), "--out", str(out),
                          "--cache-dir", str(tmp_path / "cache")]) == 0
    assert logging.getLogger("razor_lava.cutoff.calibrate").level == level  # its quieting does not leak
    data = json.loads(out.with_suffix(".json").read_text())
    ds = data["datasets"]["synthetic"]
    points = ds["points"]
    need = {"method", "settings", "accuracy", "accuracy_e1", "synops_reduction", "frames_pruned", "timesteps",
            "synops", "synops_per_layer", "seeds"}
    assert all(need <= set(p) for p in points)
    methods = {p["method"] for p in points}
    assert {"E1 (no pruning)", "Razor", "uniform subsampling (trained)"} <= methods
    for m in ("event-count gate", "uniform subsampling", "random positions", "frozen random embeddings"):
        assert f"{m} (in Razor's place)" in methods
    for p in points:  # E1's synops / the point's, on the same seeds
        assert p["synops_reduction"] == pytest.approx(p["synops_e1"] / p["synops"])
        assert sum(p["synops_per_layer"].values()) == pytest.approx(p["synops"])
        assert p["timesteps"] <= 30 and (p["cutoff"] or p["timesteps"] == 30)
    e1 = [p for p in points if p["method"] == "E1 (no pruning)" and not p["cutoff"]]
    assert len(e1) == 1 and e1[0]["synops_reduction"] == pytest.approx(1.0) and e1[0]["frames_pruned"] == 0
    # Baselines in Razor's place prune the same fraction as the trained ratio (schedules: exactly).
    swapped = [p for p in points if p["method"] in ("uniform subsampling (in Razor's place)",
                                                    "random positions (in Razor's place)", "Razor")
               and p["settings"].get("ratio") == 0.5]
    assert swapped and all(p["frames_pruned"] == pytest.approx(0.5) for p in swapped)
    assert {p["settings"]["cutoff_epsilon"] for p in points} == {None, 0.05}
    lava = ds["lava"]
    assert lava["samples"] == 4 and lava["equal"] is True and lava["synops_agreement"] == 1.0
    assert lava["lava_synops_per_sample"] == lava["frontier_synops_per_sample"]
    assert ds["best"]["val_accuracy"] >= ds["best"]["val_accuracy_e1"] - 0.01 - 1e-9
    text = out.read_text()
    assert "python bench/frontier.py --quick" in text and "FRONTIER.png" in text
    assert out.with_suffix(".png").stat().st_size > 10_000


def test_a_call_on_one_data_set_keeps_the_other_sections_with_their_own_date_and_command(tmp_path):
    committed = FrontierResult.load(COMMITTED)
    assert set(committed.datasets) == {"synthetic", "nmnist"}
    assert all(ds.measured.command.startswith("python bench/frontier.py") for ds in committed.datasets.values())
    old_nmnist = committed.datasets["nmnist"]
    new = FrontierResult({"synthetic": committed.datasets["synthetic"]})
    new.datasets["synthetic"].measured = Measured(date="2099-01-01", machine="m", command="cmd --datasets synthetic",
                                                  minutes=1.0, seeds=[0, 1, 2])
    merged = new.keeping(committed)
    assert list(merged.datasets) == list(committed.datasets)  # the earlier order
    assert merged.datasets["nmnist"] is old_nmnist and merged.datasets["synthetic"] is new.datasets["synthetic"]
    # Round trip through the JSON the bench writes: every number and each section's record survive.
    out = tmp_path / "F.md"
    frontier.write_report(merged, out)
    back = FrontierResult.load(out.with_suffix(".json"))
    assert back.to_json() == json.loads(json.dumps(merged.to_json()))
    text = out.read_text()
    assert "Measured 2099-01-01 on m (1 min), seeds [0, 1, 2]: `cmd --datasets synthetic`" in text
    assert f"Measured {old_nmnist.measured.date} " in text
    # Every table row of the kept section is the one the committed report shows.
    shown = (COMMITTED.with_suffix(".md")).read_text()
    nmnist_rows = [ln for ln in text.split("## nmnist")[1].splitlines() if ln.startswith("| ") and "---" not in ln]
    assert len(nmnist_rows) == len(old_nmnist.points) + 1 and all(ln in shown for ln in nmnist_rows)


@pytest.mark.parametrize("content", ["not json", '{"datasets": {"nmnist": {"points": []}}}'])
def test_a_report_that_cannot_be_kept_stops_the_call_before_any_training(tmp_path, capsys, content):
    out = tmp_path / "FRONTIER.md"
    out.with_suffix(".json").write_text(content)
    with pytest.raises(FrontierReportError):
        FrontierResult.load(out.with_suffix(".json"))
    code = frontier.main(["--datasets", "synthetic", "--work", str(tmp_path / "work"), "--out", str(out),
                          "--cache-dir", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert code == 2 and "not a frontier report" in err and str(out.with_suffix(".json")) in err
    assert not (tmp_path / "work").exists() and out.with_suffix(".json").read_text() == content
