"""Energy estimates: hand-computed arithmetic on a constructed SynopCounts, and every constant cited."""

import numpy as np
import pytest

from razor_lava.errors import ConfigError
from razor_lava.profile.counts import SynopCounts
from razor_lava.profile.energy import CONSTANTS, PROFILES, constants_table, estimate, operation_counts


def tiny_counts(keep=None):
    """2 samples x 2 frames, layers 1 (100 neurons, 1000 MACs/frame) and 3 (10 neurons, 50 MACs/frame)."""
    return SynopCounts(
        layers=[1, 3], names=["conv1", "dense3"],
        events={1: np.array([[2, 0], [1, 1]]), 3: np.array([[1, 1], [0, 2]])},
        synops={1: np.array([[10, 0], [5, 5]]), 3: np.array([[4, 6], [0, 10]])},
        neurons={1: 100, 3: 10}, dense_macs={1: 1000, 3: 50},
        keep=keep if keep is not None else {}, n_frames=2)


def test_operation_counts_are_means_per_sample():
    ops = operation_counts(tiny_counts())
    assert ops == {"samples": 2, "synops": 20.0, "neuron_updates": 220.0, "dense_macs": 2100.0}


def test_estimate_by_hand():
    e = estimate(tiny_counts())
    assert e["unit"] == "uJ per sample"
    loihi = e["snn"]["loihi1"]
    # 20 synops x 23.6 pJ + 110 neurons x 2 frames x 52 pJ = 472 + 11440 pJ
    assert loihi["synop_uj"] == pytest.approx(472e-6)
    assert loihi["neuron_uj"] == pytest.approx(11440e-6)
    assert loihi["total_uj"] == pytest.approx(11912e-6)
    assert loihi["total_uj_upper"] == pytest.approx((472 + 220 * 81) * 1e-6)
    assert loihi["constants"] == {"synop": "loihi1.synop", "neuron_update": "loihi1.neuron_update_inactive",
                                  "neuron_update_upper": "loihi1.neuron_update_active"}
    # 20 ACs x 0.9 pJ; dense ANN: 1050 MACs x 2 frames x 4.6 pJ
    assert e["snn"]["horowitz45nm"]["total_uj"] == pytest.approx(18e-6)
    assert e["dense_ann"]["horowitz45nm"]["total_uj"] == pytest.approx(9660e-6)
    assert e["dense_ann"]["horowitz45nm"]["constants"] == {"mac": "horowitz45nm.fp32_mac"}
    assert "loihi1" not in e["dense_ann"]  # Davies et al. publish no MAC energy


def test_int8_profile_and_unknown_profile():
    e = estimate(tiny_counts(), ("horowitz45nm_int8",))
    assert e["snn"]["horowitz45nm_int8"]["total_uj"] == pytest.approx(20 * 0.03e-6)
    assert e["dense_ann"]["horowitz45nm_int8"]["total_uj"] == pytest.approx(2100 * 0.23e-6)
    with pytest.raises(ConfigError, match="unknown profile 'tpu'"):
        estimate(tiny_counts(), ("tpu",))


def test_every_constant_is_named_and_cited():
    assert CONSTANTS["horowitz45nm.fp32_ac"].pj == 0.9 and CONSTANTS["horowitz45nm.fp32_mac"].pj == 4.6
    assert CONSTANTS["loihi1.synop"].pj == 23.6
    for name, c in CONSTANTS.items():
        assert c.name == name and c.value > 0 and c.unit == "pJ"
        assert c.counts in ("synop", "AC", "MAC", "neuron update")
        assert len(c.source) > 60 and any(y in c.source for y in ("2014", "2018")), name
        assert ("Horowitz" in c.source) or ("Davies" in c.source and "Table 2" in c.source)
    for prof in PROFILES.values():
        assert set(prof.values()) <= set(CONSTANTS)
    assert {c["name"] for c in constants_table(("horowitz45nm",))} == {"horowitz45nm.fp32_ac", "horowitz45nm.fp32_mac"}
