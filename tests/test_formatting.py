"""razor_lava.formatting: the one number formatter of reports, tables, plots and notebooks."""

import numpy as np
import pytest

from razor_lava.formatting import pct, ratio, seconds, si


@pytest.mark.parametrize("v,text", [(1.5e6, "1.5M"), (980_000, "980k"), (2.5e9, "2.5G"), (12, "12"),
                                    (0, "0"), (-2500, "-2.5k"), (np.int64(1234567), "1.23M"), (None, "n/a"),
                                    (float("nan"), "n/a"), (999_600, "1M"), (999.6, "1k"), (-999_600, "-1M"),
                                    (999_400, "999k")])
def test_si(v, text):
    assert si(v) == text


def test_pct_ratio_seconds():
    assert (pct(0.915), pct(1.0), pct(0.0), pct(0.12345, 2)) == ("91.5%", "100.0%", "0.0%", "12.35%")
    assert (ratio(1.234), ratio(2), ratio(1.1344, 3), ratio(0.5)) == ("1.23x", "2.00x", "1.134x", "0.50x")
    assert (seconds(3.1), seconds(0.0025)) == ("3.100", "2.50e-03")
    for f in (pct, ratio, seconds):
        assert f(None) == f(float("inf")) == f(np.float32("nan")) == "n/a"
