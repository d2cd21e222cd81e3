"""Recommendations against targets: thresholds per level, directions, severities (mastering.recommendations)."""

import math

import pytest

from mastering import recommendations as r

BANDS = [
    {"band": "low", "energy_share": 0.30},
    {"band": "low_mid", "energy_share": 0.20},
    {"band": "mid", "energy_share": 0.25},
    {"band": "high_mid", "energy_share": 0.15},
    {"band": "high", "energy_share": 0.10},
]
ON_TARGET = {"integrated_lufs": -14.0, "true_peak_dbtp": -1.5, "plr_db": 9.0, "stereo_width": 0.35}


def _with(**changes) -> dict:
    return {**ON_TARGET, **changes}


def test_a_master_on_the_general_targets_gets_no_advice_at_any_level():
    for level in r.LEVELS:
        assert r.recommend(overall=ON_TARGET, bands=BANDS, targets=r.GENERAL, level=level) == []


@pytest.mark.parametrize(
    ("louder_by", "mentioned_at"),
    [(0.5, set()), (1.0, {"aggressive"}), (2.0, {"aggressive", "suggestive"}), (3.5, set(r.LEVELS))],
)
def test_the_level_decides_how_far_loudness_may_be_from_its_target(louder_by, mentioned_at):
    overall = _with(integrated_lufs=-14.0 + louder_by)
    said = set()
    for level in r.LEVELS:
        advice = r.recommend(overall=overall, bands=BANDS, targets=r.GENERAL, level=level)
        if any(item.get("metric") == "integrated_lufs" for item in advice):
            said.add(level)
    assert said == mentioned_at


def test_loudness_advice_says_which_way_and_by_how_much():
    [advice] = [
        item
        for item in r.recommend(overall=_with(integrated_lufs=-8.0), bands=BANDS, targets=r.GENERAL, level="gentle")
        if item.get("metric") == "integrated_lufs"
    ]
    assert advice["action"] == "reduce_loudness" and advice["amount_db"] == -6.0
    assert advice["severity"] == "warning"  # 6 LU is twice the 3 LU threshold: no longer `info`
    assert "6.0 LU louder" in advice["message"]


def test_a_true_peak_over_zero_is_critical_at_every_level():
    for level in r.LEVELS:
        advice = r.recommend(overall=_with(true_peak_dbtp=0.4), bands=BANDS, targets=r.GENERAL, level=level)
        peak = [item for item in advice if item.get("metric") == "true_peak_dbtp"]
        assert peak and peak[0]["severity"] == "critical" and peak[0]["action"] == "lower_ceiling"
    # -0.5 dBTP passes the gentle ceiling (-0.1) but not the suggestive one (-1.0).
    gentle = r.recommend(overall=_with(true_peak_dbtp=-0.5), bands=BANDS, targets=r.GENERAL, level="gentle")
    suggestive = r.recommend(overall=_with(true_peak_dbtp=-0.5), bands=BANDS, targets=r.GENERAL, level="suggestive")
    assert not [i for i in gentle if i.get("metric") == "true_peak_dbtp"]
    assert [i for i in suggestive if i.get("metric") == "true_peak_dbtp"][0]["amount_db"] == -0.5


def test_a_band_below_its_target_is_boosted_by_its_deviation_in_db():
    bands = [dict(b) for b in BANDS]
    bands[1]["energy_share"] = 0.20 / 10 ** (3.0 / 10)  # 3 dB under the low_mid target
    [advice] = [
        i for i in r.recommend(overall=ON_TARGET, bands=bands, targets=r.GENERAL, level="suggestive") if "band" in i
    ]
    assert (advice["band"], advice["action"], advice["amount_db"]) == ("low_mid", "boost", 3.0)
    assert not [
        i for i in r.recommend(overall=ON_TARGET, bands=bands, targets=r.GENERAL, level="gentle") if "band" in i
    ]


def test_inverted_channels_are_always_named():
    advice = r.recommend(overall=_with(phase_correlation=-0.8), bands=BANDS, targets=r.GENERAL, level="gentle")
    assert [i["action"] for i in advice if i.get("metric") == "phase_correlation"] == ["fix_phase"]


def test_targets_from_references_are_their_mean_and_spread_with_a_floor():
    def measure(lufs, low):
        shares = {"low": low, "low_mid": 0.2, "mid": 0.25, "high_mid": 0.15, "high": 0.40 - low}
        return {
            "overall": {"integrated_lufs": lufs, "plr_db": 8.0, "stereo_width": 0.3, "loudness_range_lu": 5.0},
            "bands": [{"band": name, "energy_share": share} for name, share in shares.items()],
        }

    targets = r.targets_from_references([measure(-8.0, 0.30), measure(-10.0, 0.34)])
    assert targets.source == "references" and targets.reference_count == 2
    assert targets.integrated_lufs.mean == -9.0 and targets.integrated_lufs.std == 1.0
    assert math.isclose(targets.band_shares["low"].mean, 0.32) and math.isclose(targets.band_shares["low"].std, 0.02)
    assert targets.plr_db.std == r.MIN_SPREAD["plr_db"]  # identical references: the floor, not zero
    assert r.targets_from_references([]) is None


def test_advice_is_ordered_most_severe_first():
    advice = r.recommend(
        overall=_with(integrated_lufs=-12.9, true_peak_dbtp=0.5), bands=BANDS, targets=r.GENERAL, level="aggressive"
    )
    order = {"critical": 0, "warning": 1, "info": 2}
    assert [order[i["severity"]] for i in advice] == sorted(order[i["severity"]] for i in advice)
    assert advice[0]["metric"] == "true_peak_dbtp"


def test_an_unknown_level_is_refused():
    with pytest.raises(ValueError, match="unknown recommendation level"):
        r.recommend(overall=ON_TARGET, bands=BANDS, targets=r.GENERAL, level="loud")
