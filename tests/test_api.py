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
    from razor_lava.model.config import load_config
    from razor_lava.netfile import NetworkFile, load_network_file
    from razor_lava.profile.report import profile_network
    from razor_lava.training.run import RunOptions, train

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
