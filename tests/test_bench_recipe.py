"""bench/recipe.py: the seed aggregation (fast, hand-made runs) and one tiny end-to-end run (slow)."""

from __future__ import annotations

import json
import math
import statistics

import pytest

import bench_scripts
from razor_lava.bench.meta import Measured

recipe = bench_scripts.load("recipe")


def test_summary_is_mean_and_sample_std_over_seeds_per_variant():
    runs = [{"variant": "recipe", "seed": s, "test_accuracy": a, "val_accuracy": 0.9, "selected_epoch": e,
             "train_minutes": 2.0, "cutoff_accuracy": a - 0.01, "timestep_reduction": 1.7, "frames_pruned_mean": 0.0}
            for s, a, e in ((0, 0.95, 40), (1, 0.97, 50), (2, 0.93, 60))]
    runs.append({"variant": "no-augment", "seed": 0, "test_accuracy": 0.8, "val_accuracy": 0.9, "selected_epoch": 9,
                 "train_minutes": 1.0, "frames_pruned_mean": 0.0})
    rows = {r.variant: r for r in recipe.summarise(runs, ["recipe", "no-augment"])}
    assert rows["recipe"].test_accuracy.mean == pytest.approx(0.95)
    assert rows["recipe"].test_accuracy.std == pytest.approx(statistics.stdev([0.95, 0.97, 0.93]))
    assert rows["recipe"].selected_epoch.mean == 50 and rows["recipe"].seeds == [0, 1, 2]
    assert rows["no-augment"].test_accuracy.std == 0.0  # one seed
    assert rows["no-augment"].cutoff_accuracy.n == 0 and math.isnan(rows["no-augment"].cutoff_accuracy.mean)  # no cutoff
    result = recipe.RecipeResult(dataset="d", config="c", train_samples=10, val_samples=1, test_samples=5,
                                 rows=list(rows.values()), runs=runs,
                                 measured=Measured(date="x", machine="m", command="python bench/recipe.py", minutes=1,
                                                   seeds=[0, 1, 2]))
    md = recipe.markdown(result)
    assert "| recipe |" in md and "95.0% +- 2.0%" in md and "-15.0 pt" in md and "n/a" in md
    assert "Measured x on m (1 min), seeds [0, 1, 2]: `python bench/recipe.py`" in md


def test_variants_change_what_they_say():
    base = recipe.variant_config("nmnist", "recipe")
    assert base.pruner_layers() == []  # E1
    assert recipe.variant_config("nmnist", "E3").pruner_layers() == [3]
    assert recipe.variant_config("nmnist", "no-augment").train["augment"]["translate"] == 0
    assert base.train["augment"]["translate"] > 0 and base.train["dropout"] > 0
    assert recipe.variant_config("nmnist", "no-dropout").train["dropout"] == 0
    r1 = recipe.variant_config("nmnist", "plain")
    assert (r1.train["epochs"], r1.train["select"], r1.train["lr_schedule"]) == (10, "last", "constant")
    assert all(l.delay for l in recipe.variant_config("nmnist", "delays").layers[1:3])


@pytest.mark.slow
def test_tiny_run_writes_the_table_and_every_run(tmp_path):
    out = tmp_path / "R.md"
    rc = recipe.main(["--dataset", "synthetic", "--variants", "E3", "--seeds", "0", "1", "--epochs", "1",
                      "--train-samples", "60", "--test-samples", "20", "--jobs", "1", "--work", str(tmp_path / "w"),
                      "--cache-dir", str(tmp_path / "c"), "--out", str(out)])
    assert rc == 0
    data = json.loads(out.with_suffix(".json").read_text())
    assert len(data["runs"]) == 2 and {r["variant"] for r in data["runs"]} == {"E3"}
    for row in data["rows"]:
        accs = [r["test_accuracy"] for r in data["runs"] if r["variant"] == row["variant"]]
        assert row["test_accuracy"]["mean"] == pytest.approx(statistics.fmean(accs))
        assert row["per_seed_test_accuracy"] == accs
    e3 = next(r for r in data["rows"] if r["variant"] == "E3")
    assert e3["frames_pruned"]["mean"] == pytest.approx(0.3)
    assert "python bench/recipe.py" in out.read_text() and (tmp_path / "w" / "E3" / "seed1" / "network.h5").is_file()
    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "R.png" in out.read_text()
