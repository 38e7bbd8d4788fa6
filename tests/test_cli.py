"""The command-line programs (razor_lava.cli): one module per command, thin scripts in train/ and deploy/,
``python -m razor_lava.cli.<command>``, and one way to end on an error or on Ctrl-C."""

import importlib
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from razor_lava.cli import COMMANDS
from razor_lava.cli.common import run_main
from razor_lava.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = {"train": "train/train.py", "export": "train/export.py", "calibrate": "train/calibrate.py",
           "optimise": "train/optimise.py",
           "ablation": "train/ablation.py", "convert_checkpoint": "train/convert_checkpoint.py",
           "import_nir": "deploy/import_nir.py", "deploy": "deploy/deploy.py", "synops": "deploy/synops.py"}


def test_run_main_endings(capsys):
    assert run_main(lambda: None) == 0 and run_main(lambda a, b: a + b, 1, 2) == 3

    def bad():
        raise ConfigError("--x", "nope")

    assert run_main(bad) == 2
    assert capsys.readouterr().err == "error: config key '--x': nope\n"

    def interrupted():
        raise KeyboardInterrupt

    assert run_main(interrupted, interrupted="interrupted: kept it") == 130
    assert capsys.readouterr().err == "\ninterrupted: kept it\n"
    with pytest.raises(ZeroDivisionError):  # a bug keeps its traceback
        run_main(lambda: 1 / 0)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_parse_args_run_main_and_a_thin_script(command):
    mod = importlib.import_module(f"razor_lava.cli.{command}")
    assert all(callable(getattr(mod, f, None)) for f in ("parse_args", "run", "main"))
    script = (ROOT / SCRIPTS[command]).read_text()
    assert f"from razor_lava.cli.{command} import main" in script and "sys.exit(main())" in script
    assert len(script.splitlines()) < 20, "the script should only call razor_lava.cli"


@pytest.mark.parametrize("command", COMMANDS)
def test_python_m_runs_the_command(command, monkeypatch, capsys):
    """``python -m razor_lava.cli.<command> --help`` (in-process: runpy is what -m does)."""
    monkeypatch.setattr(sys, "argv", [f"{command}.py", "--help"])
    monkeypatch.delitem(sys.modules, f"razor_lava.cli.{command}", raising=False)  # as in a fresh interpreter
    with pytest.raises(SystemExit) as e:
        runpy.run_module(f"razor_lava.cli.{command}", run_name="__main__", alter_sys=True)
    assert e.value.code == 0 and "usage:" in capsys.readouterr().out


@pytest.mark.slow
def test_python_m_in_a_subprocess_names_bad_input():
    r = subprocess.run([sys.executable, "-m", "razor_lava.cli.export", "/nonexistent/run"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and r.stderr.startswith("error: ") and "/nonexistent/run" in r.stderr, r.stderr
    r = subprocess.run([sys.executable, str(ROOT / "train" / "train.py"), "--config", "no_such_config",
                        "--out", "/nonexistent/x"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "'no_such_config'" in r.stderr and "synthetic_small" in r.stderr, r.stderr


def test_interrupts_keep_each_command_s_message(monkeypatch, capsys):
    from razor_lava.cli import deploy, train

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "run", interrupted)
    assert train.main(["--config", "synthetic_small", "--out", "runs/x"]) == 130
    err = capsys.readouterr().err
    assert "runs/x/checkpoint.pt" in err and "continue with --resume" in err
    monkeypatch.setattr(deploy, "run", interrupted)
    assert deploy.main(["net.h5"]) == 130 and "Lava workers stopped" in capsys.readouterr().err


def test_demo_uses_the_shared_ending(monkeypatch, capsys):
    from razor_lava import demo

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(demo, "run", interrupted)
    assert demo.main(["--out", "reports/x"]) == 130
    assert "reports/x/run/checkpoint.pt" in capsys.readouterr().err


@pytest.mark.parametrize("command", COMMANDS + ("demo",))
def test_the_razor_lava_command_runs_each_program(command, capsys):
    from razor_lava.cli.main import main

    with pytest.raises(SystemExit) as e:
        main([command.replace("_", "-"), "--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0 and f"usage: razor-lava {command.replace('_', '-')}" in out


def test_the_razor_lava_command_names_an_unknown_one(capsys):
    from razor_lava.cli.main import main

    assert main(["trian"]) == 2 and "unknown command 'trian'" in capsys.readouterr().err
    assert main([]) == 2 and "commands: train" in capsys.readouterr().out


@pytest.mark.slow
def test_the_installed_console_script_is_the_same_program():
    """pyproject.toml's [project.scripts] entry, installed into the venv by ``make setup``."""
    exe = Path(sys.executable).parent / "razor-lava"
    if not exe.exists():
        pytest.skip("razor-lava is not installed in this environment (make setup installs it)")
    r = subprocess.run([str(exe), "export", "/nonexistent/run"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and r.stderr.startswith("error: ") and "/nonexistent/run" in r.stderr, r.stderr
