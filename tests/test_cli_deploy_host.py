"""deploy/deploy.py --host: an IP address or an RFC 1123 host name only (it reaches ``ping`` as an argument,
where a value starting with ``-`` would be an option); anything else is argparse's exit 2 naming --host."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from razor_lava.cli import deploy
from razor_lava.cli.common import host_address

ROOT = Path(__file__).resolve().parents[1]

GOOD = ["192.168.1.2", "10.0.0.1", "::1", "fe80::1", "2001:db8::8a2e:370:7334", "localhost", "board1",
        "ncl-ext.intel-research.net", "a.b.", "x" * 63 + ".example.org", "1host.example"]
BAD = ["-c1", "--help", "-oProxyCommand=x", "-", "", " ", "host name", "a;rm -rf ~", "$(touch x)", "`id`",
       "bad_underscore.example", "x" * 64, "1.2.3.999", "256.1.1.1", "x..y", ".lead", "-leading.example",
       "trailing-.example", "a/b", "host\n-c1", ("a." * 127) + "bc", "123"]


@pytest.mark.parametrize("host", GOOD)
def test_addresses_and_host_names_are_accepted(host):
    assert host_address(host) == host
    assert deploy.parse_args(["net.h5", "--backend", "loihi2", f"--host={host}"]).host == host


@pytest.mark.parametrize("host", BAD)
def test_anything_else_is_refused_with_exit_2(host, capsys):
    with pytest.raises(SystemExit) as e:
        deploy.parse_args(["net.h5", "--backend", "loihi2", f"--host={host}"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "argument --host" in err and "expected an IP address or a host name" in err, err


def test_the_script_refuses_an_option_as_host():
    r = subprocess.run([sys.executable, str(ROOT / "deploy" / "deploy.py"), "net.h5", "--backend", "loihi2",
                        "--host=-c1"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "argument --host" in r.stderr and "'-c1'" in r.stderr, r.stderr
