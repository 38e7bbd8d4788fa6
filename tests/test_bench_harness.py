"""razor_lava.bench, the harness every program of bench/ shares: the JSON encoder, the report writer, the
job sweep, the data set defaults and the run metadata (fast: nothing trains)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from razor_lava.bench import datasets, jobs, meta, report


def test_one_encoder_writes_numpy_nan_tuples_and_dataclasses_as_json(tmp_path):
    @dataclass
    class P:
        a: int
        b: tuple

    data = {1: np.float32(0.5), "n": np.int64(3), "nan": float("nan"), "inf": np.float64("inf"),
            "arr": np.arange(3), "t": (1, 2), "p": P(1, (2.0, float("nan"))), "path": Path("x/y"), "ok": np.bool_(True)}
    text = report.json_text(data)
    assert text.endswith("}\n") and "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {"1": 0.5, "n": 3, "nan": None, "inf": None, "arr": [0, 1, 2], "t": [1, 2],
                                "p": {"a": 1, "b": [2.0, None]}, "path": "x/y", "ok": True}


def test_report_writer_writes_json_picture_and_markdown_linking_it(tmp_path):
    def plot(path):
        path.write_bytes(b"png")
        return path

    out = tmp_path / "sub" / "R.md"
    paths = report.write_report(out, {"x": 1}, "# title\n\nintro\n## part\n", plot=plot, alt="a picture")
    assert paths == {"json": out.with_suffix(".json"), "png": out.with_suffix(".png"), "md": out}
    assert out.read_text() == "# title\n\nintro\n![a picture](R.png)\n\n## part\n"
    assert json.loads(out.with_suffix(".json").read_text()) == {"x": 1}
    assert not [p for p in out.parent.iterdir() if ".tmp" in p.name]


def test_sweep_runs_in_order_and_reports_each_result_as_it_comes():
    seen = []
    assert jobs.sweep(lambda x: x * x, [1, 2, 3], on_result=lambda r, done: seen.append((r, list(done)))) == [1, 4, 9]
    assert seen == [(1, [1]), (4, [1, 4]), (9, [1, 4, 9])]
    assert jobs.threads_per_job(2) == 1 and jobs.threads_per_job(1) >= 1
    assert jobs.run_dir("w", "synthetic", "E1", seed=2) == str(Path("w/synthetic/E1/seed2"))


def test_data_set_defaults_and_the_missing_folder_error(tmp_path, monkeypatch):
    assert datasets.data_root("synthetic") is None and datasets.data_root("nmnist", tmp_path) == str(tmp_path)
    assert datasets.config_for("synthetic").name == "synthetic_frontier.yaml"
    assert datasets.BASE_CONFIGS["nmnist"] == "nmnist"
    monkeypatch.setitem(datasets.DEFAULT_ROOTS, "nmnist", tmp_path / "gone")
    errors = []
    assert datasets.required_data_root("nmnist", None, errors.append, flag="--datasets") is None
    assert errors == ["--datasets nmnist needs --data-root DIR (the N-MNIST folder)"]


def test_run_metadata():
    m = meta.machine_info()
    assert {"date", "cpu", "cores", "ram", "os", "python", "torch", "lava-nc", "lava-dl"} <= set(m)
    assert meta.command_line("bench/x.py", ["--out", "a b"]).endswith("bench/x.py --out 'a b'")
    assert meta.short_command("bench/x.py", ["--quick"]) == "python bench/x.py --quick"
    assert meta.shown_path(meta.REPO / "bench" / "R.md") == "bench/R.md"
    commit = meta.git_commit()
    assert commit is None or len(commit.split("+")[0]) >= 7
    assert len(meta.today()) == 10


@pytest.mark.parametrize("script", ["bench", "frontier", "recipe", "streaming", "nir_interop", "nir_paper_cnn",
                                    "razor_finetune_nir_cnn", "gpu_check", "soak", "optimise_nir_cnn"])
def test_no_bench_script_puts_bench_on_sys_path(script):
    text = (meta.REPO / "bench" / f"{script}.py").read_text()
    assert 'ROOT / "bench"))' not in text and "from bench import" not in text
    assert len(text.splitlines()) <= 350


def test_paths_beside_the_checkout_are_shown_relative_to_it(tmp_path):
    assert meta.shown_path(meta.REPO / "runs" / "x.h5") == "runs/x.h5"
    assert meta.shown_path(meta.REPO.parent / "shared" / "data") == "../shared/data"
    assert meta.shown_path(tmp_path) == str(tmp_path)


@pytest.mark.parametrize("report", sorted([*(meta.REPO / "bench").glob("*.md"), *(meta.REPO / "bench").glob("*.json")]),
                         ids=lambda p: p.name)
def test_committed_reports_name_no_path_of_the_machine_that_wrote_them(report):
    import re

    text = report.read_text()
    assert str(meta.REPO) not in text and str(meta.REPO.parent / "shared") not in text
    found = re.findall(r"(?<![\w.])/[\w.-]+/[\w./-]*shared/data[\w./-]*", text)  # ../shared/data is fine
    assert not found, f"{report.name} names the data by a machine path: {found[:3]}"


@dataclass
class _Inner:
    x: float
    tags: list[str]


@dataclass
class _Outer:
    name: str
    inner: _Inner
    many: list[_Inner]
    by_key: dict[str, _Inner]
    maybe: _Inner | None = None
    later: int = 3


def test_one_decoder_rebuilds_nested_result_dataclasses_from_their_json():
    o = _Outer("a", _Inner(1.5, ["t"]), [_Inner(float("nan"), [])], {"k": _Inner(2.0, ["u", "v"])})
    back = report.result_from_json(_Outer, json.loads(report.json_text(o)))
    assert isinstance(back.inner, _Inner) and isinstance(back.many[0], _Inner) and isinstance(back.by_key["k"], _Inner)
    assert back.many[0].x is None  # JSON's null for the NaN the encoder could not write
    assert (back.name, back.inner, back.by_key, back.maybe, back.later) == ("a", o.inner, o.by_key, None, 3)
    # A report without a field that has a default (an older report) still reads; one without a required field not.
    assert report.result_from_json(_Outer, {"name": "b", "inner": {"x": 1, "tags": []}, "many": [], "by_key": {}}).later == 3
    with pytest.raises(TypeError):
        report.result_from_json(_Outer, {"name": "b"})
