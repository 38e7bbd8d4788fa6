"""A regular (non-editable) install works on its own: built from the sources without network, imported
from outside the checkout, it finds its shipped configs and runs a tiny demo end to end.

pip builds a wheel from a copy of the package sources (pyproject.toml, README.md, razor_lava/) with this
interpreter's setuptools (--no-build-isolation: nothing is downloaded) and installs it into a temporary
folder (--target, --no-deps: the dependencies are this venv's). The programs then run with that folder
on PYTHONPATH and a working directory outside the repository, so neither the checkout nor the editable
install in the venv can stand in for the installed package.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "razor_lava")


def _run(args, cwd, env, timeout):
    r = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{args} exited {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r.stdout


@pytest.mark.slow
@pytest.mark.lava
def test_non_editable_install_runs_outside_the_checkout(tmp_path):
    import setuptools

    assert int(setuptools.__version__.split(".")[0]) >= 64, "pyproject.toml needs setuptools >= 64"
    src, site, elsewhere = tmp_path / "src", tmp_path / "site", tmp_path / "elsewhere"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {
        "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INDEX": "1", "OMP_NUM_THREADS": "1"}
    _run(["-m", "pip", "install", "--quiet", "--no-index", "--no-deps", "--no-build-isolation", "--target",
          str(site), str(src)], elsewhere, env, 600)
    from razor_lava.configs import shipped_configs

    for name in shipped_configs():  # package data: every shipped config is in the installed package
        assert (site / "razor_lava" / "configs" / f"{name}.yaml").is_file(), name

    env["PYTHONPATH"] = str(site)
    where = json.loads(_run(["-c", "import json, razor_lava, razor_lava.config as m, razor_lava.configs as c\n"
                             "print(json.dumps([razor_lava.__file__, m.__file__, str(c.config_path('nmnist')), "
                             "sorted(c.shipped_configs())]))"], elsewhere, env, 120))
    for path in where[:3]:
        assert Path(path).resolve().is_relative_to(site.resolve()), f"{path} is not from the installed copy"
    assert where[3] == sorted(shipped_configs())
    assert "usage:" in _run(["-m", "razor_lava.demo", "--help"], elsewhere, env, 120)
    assert "--config" in _run(["-m", "razor_lava.cli.train", "--help"], elsewhere, env, 120)

    # The smallest end-to-end run the demo offers (as tests/test_demo.py's tiny demo).
    _run(["-m", "razor_lava.demo", "--out", "report", "--epochs", "1", "--train-samples", "60", "--test-samples",
          "20", "--deploy-samples", "1", "--profile-samples", "20", "--lava-check", "1"], elsewhere, env, 900)
    summary = json.loads((elsewhere / "report" / "summary.json").read_text())
    assert summary["train"]["config"] == "razor_lava/configs/synthetic_frontier.yaml"
    assert summary["deploy"]["agreement"] == 1.0 and summary["profile"]["lava_counts_equal"]
    assert (elsewhere / "report" / "summary.md").is_file() and (elsewhere / "report" / "run" / "network.h5").is_file()
