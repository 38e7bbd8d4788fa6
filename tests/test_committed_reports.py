"""Each committed bench report is exactly what its bench writes from the result in its JSON: the markdown was
not edited by hand, and a bench's result dataclass holds everything its report shows (fast: nothing runs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import bench_scripts
from razor_lava.bench.report import result_from_json, with_picture

BENCH = Path(__file__).resolve().parents[1] / "bench"


def committed(name: str) -> tuple[dict, str]:
    return json.loads((BENCH / f"{name}.json").read_text()), (BENCH / f"{name}.md").read_text()


def test_the_paper_cnn_report():
    mod = bench_scripts.load("nir_paper_cnn")
    data, md = committed("NIR_PAPER_CNN")
    assert mod.markdown(result_from_json(mod.PaperCnnResult, data)) == md


def test_the_streaming_report():
    mod = bench_scripts.load("streaming")
    data, md = committed("STREAMING")
    result = result_from_json(mod.StreamingResult, data)
    assert isinstance(result.datasets["nmnist"], mod.NetworkStreaming)
    assert mod.format_report(result) == md


def test_the_frontier_report():
    from razor_lava.bench.frontier_report import markdown
    from razor_lava.bench.frontier_result import FrontierResult

    _, md = committed("FRONTIER")
    text = markdown(FrontierResult.load(BENCH / "FRONTIER.json"))
    assert with_picture(text, BENCH / "FRONTIER.png", "accuracy vs synops", "\n## ") == md


@pytest.mark.parametrize("name", ["NIR"])
def test_the_nir_report(name):
    mod = bench_scripts.load("nir_interop")
    data, md = committed(name)
    if "measured" not in data:
        pytest.skip(f"bench/{name}.json predates the result dataclasses (rerun bench/nir_interop.py)")
    result = mod.NirResult(runs=result_from_json(list[mod.NirRun], data["results"]),
                           measured=result_from_json(mod.meta.Measured, data["measured"]))
    assert mod.markdown(result) == md


@pytest.mark.parametrize("name", ["RECIPE_synthetic", "RECIPE_nmnist", "RECIPE_nmnist_no_augment"])
def test_the_recipe_reports(name):
    mod = bench_scripts.load("recipe")
    data, md = committed(name)
    if "measured" not in data:
        pytest.skip(f"bench/{name}.json predates the result dataclasses (rerun its command, in the report)")
    result = result_from_json(mod.RecipeResult, data)
    assert isinstance(result.rows[0].test_accuracy, mod.Spread)
    assert with_picture(mod.markdown(result), BENCH / f"{name}.png", "test accuracy per variant",
                        "\nPer seed test accuracy") == md
