"""The public API (``razor_lava/__init__.py``): every name resolves, and ``import razor_lava`` stays cheap."""

import subprocess
import sys

import razor_lava


def test_import_razor_lava_imports_neither_torch_nor_lava():
    code = ("import sys, razor_lava\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'lava'))\n"
            "print(heavy[:5])\n"
            "sys.exit(1 if heavy else 0)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"import razor_lava imported {r.stdout.strip()} {r.stderr[-2000:]}"


def test_every_public_name_resolves_to_its_single_home():
    from razor_lava.deployment.evaluate import deploy_samples
    from razor_lava.config import load_config
    from razor_lava.netfile import NetworkFile, load_network_file
    from razor_lava.profile.report import profile_network
    from razor_lava.training.options import RunOptions
    from razor_lava.training.run import train

    for name in razor_lava.__all__:
        assert getattr(razor_lava, name) is not None, name
    assert razor_lava.deploy is deploy_samples and razor_lava.profile_network is profile_network
    assert razor_lava.train is train and razor_lava.RunOptions is RunOptions
    assert razor_lava.load_network_file is load_network_file and razor_lava.NetworkFile is NetworkFile
    assert razor_lava.load_config is load_config
    assert set(razor_lava.__all__) <= set(dir(razor_lava))


def test_the_profile_subpackage_is_not_shadowed():
    import razor_lava.profile.report

    assert razor_lava.profile is sys.modules["razor_lava.profile"]
    assert razor_lava.profile.report.profile_network is razor_lava.profile_network


def test_unknown_names_raise_attribute_error():
    try:
        razor_lava.no_such_name
    except AttributeError as e:
        assert "no_such_name" in str(e)
    else:
        raise AssertionError("expected AttributeError")


def test_the_method_nir_and_calibration_are_public():
    from razor_lava.cutoff.calibrate import calibrate
    from razor_lava.interop.nir_import import read_nir, write_network_file
    from razor_lava.pruning.module import EventPruner
    from razor_lava.pruning.params import PrunerParams

    assert razor_lava.EventPruner is EventPruner and razor_lava.PrunerParams is PrunerParams
    assert razor_lava.calibrate_cutoff is calibrate and razor_lava.read_nir is read_nir
    assert razor_lava.write_nir_network_file is write_network_file


def test_every_lazy_package_uses_the_one_helper():
    """No package writes its own ``__getattr__``: ``razor_lava.lazy.lazy_exports`` is the one way."""
    from pathlib import Path

    pkg = Path(razor_lava.__file__).parent
    own = [str(p.relative_to(pkg)) for p in pkg.rglob("*.py") if "def __getattr__" in p.read_text()]
    assert own == ["lazy.py"], own
    code = ("import sys, razor_lava.profile as p, razor_lava.data as d, razor_lava.pruning as r\n"
            "assert 'count_lava' in dir(p) and 'FramedDataset' in dir(d) and 'EventPruner' in dir(r)\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'lava'))\n"
            "assert not heavy, heavy[:5]\n"
            "assert r.EventPruner.__module__ == 'razor_lava.pruning.module' and 'torch' in sys.modules\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
