"""Each recommendation rule's whole answer (action, amount, severity, words), worked out by hand.

Numbers are chosen so that a changed threshold, rounding or direction gives another answer.
"""

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
CALM = {"integrated_lufs": -14.0, "true_peak_dbtp": -1.5, "plr_db": 9.0, "stereo_width": 0.35}


def advice(level="suggestive", bands=BANDS, targets=r.GENERAL, **overall):
    return r.recommend(overall={**CALM, **overall}, bands=bands, targets=targets, level=level)


def test_louder_than_the_streaming_norm():
    assert advice("gentle", integrated_lufs=-8.0) == [
        {
            "metric": "integrated_lufs",
            "action": "reduce_loudness",
            "amount_db": -6.0,
            "severity": "warning",
            "message": "The master is 6.0 LU louder than the streaming norm (-8.0 against -14.0 LUFS): "
            "ease the limiter off; streaming services will turn it down anyway.",
        }
    ]


def test_quieter_than_the_genres_references():
    targets = r.Targets(
        source="references",
        integrated_lufs=r.Stat(-9.0, 0.5),
        plr_db=r.Stat(9.0, 2.0),
        stereo_width=r.Stat(0.35, 0.12),
        band_shares=r.GENERAL.band_shares,
    )
    assert advice("suggestive", targets=targets, integrated_lufs=-15.0, true_peak_dbtp=-6.0) == [
        {
            "metric": "integrated_lufs",
            "action": "increase_loudness",
            "amount_db": 6.0,
            "severity": "critical",  # 6 LU is four times the 1.5 LU threshold
            "message": "The master is 6.0 LU quieter than the genre's references (-15.0 against -9.0 LUFS): "
            "raise the level into the limiter, watching the true peak.",
        }
    ]
    assert advice("suggestive", targets=targets, integrated_lufs=-10.49, true_peak_dbtp=-6.0) == []


def test_a_true_peak_over_the_ceiling_and_unused_headroom():
    assert advice("suggestive", true_peak_dbtp=-0.5) == [
        {
            "metric": "true_peak_dbtp",
            "action": "lower_ceiling",
            "amount_db": -0.5,
            "severity": "warning",
            "message": "The true peak reaches -0.5 dBTP: set the limiter's ceiling to -1.0 dBTP or lower "
            "so the encoded versions do not clip.",
        }
    ]
    assert advice("suggestive", true_peak_dbtp=-0.8)[0]["severity"] == "info"
    assert advice("gentle", true_peak_dbtp=0.4)[0]["severity"] == "critical"
    assert advice("suggestive", true_peak_dbtp=-1.0) == []  # at the ceiling is fine
    assert advice("aggressive", true_peak_dbtp=-4.0) == [
        {
            "metric": "true_peak_dbtp",
            "action": "use_headroom",
            "amount_db": 1.0,
            "severity": "info",
            "message": "The true peak is -4.0 dBTP: 1.0 dB of headroom is unused.",
        }
    ]
    assert advice("aggressive", true_peak_dbtp=-3.0) == []
    assert advice("suggestive", true_peak_dbtp=-4.0) == []  # only the aggressive level counts headroom


def test_squashed_and_too_dynamic_masters():
    assert advice("suggestive", plr_db=5.0) == [
        {
            "metric": "plr_db",
            "action": "less_compression",
            "amount_db": 4.0,
            "severity": "warning",  # 2 spreads where 1 is allowed
            "message": "Peak-to-loudness ratio is 5.0 dB against about 9.0 dB: the master is squashed; "
            "back off the limiting or bus compression to keep the transients.",
        }
    ]
    assert advice("suggestive", plr_db=12.5) == [
        {
            "metric": "plr_db",
            "action": "more_compression",
            "amount_db": -3.5,
            "severity": "info",
            "message": "Peak-to-loudness ratio is 12.5 dB against about 9.0 dB: the master is more dynamic "
            "than the genre; more bus compression or limiting would match it.",
        }
    ]
    assert advice("suggestive", plr_db=11.0) == []  # exactly one spread away
    assert advice("aggressive", plr_db=10.5)[0]["severity"] == "info"  # 0.75 spreads, 0.5 allowed


def test_narrow_wide_and_cancelling_stereo():
    assert advice("suggestive", stereo_width=0.05) == [
        {
            "metric": "stereo_width",
            "action": "widen",
            "amount_db": None,
            "severity": "warning",
            "message": "Stereo width is 0.05 against about 0.35: widen pads and effects (keep the low end mono).",
        }
    ]
    wide = advice("suggestive", stereo_width=0.60)
    assert [(i["action"], i["severity"]) for i in wide] == [("narrow", "warning")]
    assert wide[0]["message"] == (
        "Stereo width is 0.60 against about 0.35: the image is wider than the genre's; check mono compatibility."
    )
    assert advice("gentle", phase_correlation=-0.8) == [
        {
            "metric": "phase_correlation",
            "action": "fix_phase",
            "amount_db": None,
            "severity": "critical",
            "message": "Phase correlation is -0.80: the channels cancel in mono. Look for a polarity-inverted "
            "channel or an extreme stereo widener.",
        }
    ]
    assert advice("aggressive", phase_correlation=0.0) == []


def test_band_advice_in_db_of_energy_share():
    bands = [dict(b) for b in BANDS]
    bands[1]["energy_share"] = 0.20 / 10**0.3  # 3 dB under low_mid's target
    bands[0]["energy_share"] = 0.30 * 10**0.8  # 8 dB over low's: the advice stops at 6 dB
    assert advice("suggestive", bands=bands) == [
        {
            "band": "low",
            "action": "cut",
            "amount_db": -8.0,
            "severity": "warning",
            "message": "The low band holds 8.0 dB more of the mix's energy than the target: "
            "cut it by about 6.0 dB with a broad EQ band.",
        },
        {
            "band": "low_mid",
            "action": "boost",
            "amount_db": 3.0,
            "severity": "info",
            "message": "The low-mid band holds 3.0 dB less of the mix's energy than the target: "
            "boost it by about 3.0 dB with a broad EQ band.",
        },
    ]
    silent_band = [dict(b) for b in BANDS]
    silent_band[4]["energy_share"] = None
    assert advice("aggressive", bands=silent_band) == []


def test_unknown_measures_are_passed_over():
    none = dict.fromkeys(CALM)
    assert r.recommend(overall=none, bands=[], targets=r.GENERAL, level="aggressive") == []


def test_targets_ignore_missing_values_and_keep_a_floor():
    def measure(lufs, width):
        return {
            "overall": {"integrated_lufs": lufs, "plr_db": None, "stereo_width": width, "loudness_range_lu": 4.0},
            "bands": [{"band": name, "energy_share": 0.2} for name in r.BANDS],
        }

    targets = r.targets_from_references([measure(-8.0, 0.2), measure(None, 0.6), {"overall": None, "bands": []}])
    assert targets.reference_count == 2
    assert (targets.integrated_lufs.mean, targets.integrated_lufs.std) == (-8.0, 0.5)  # one value: the floor
    assert math.isnan(targets.plr_db.mean)  # none measured: unknown, and recommend skips it
    assert targets.stereo_width.mean == pytest.approx(0.4) and targets.stereo_width.std == pytest.approx(0.2)
    assert targets.loudness_range_lu.std == r.MIN_SPREAD["loudness_range_lu"]
    assert targets.band_shares["mid"].std == 0.01
    assert r.recommend(overall={**CALM, "plr_db": 2.0}, bands=BANDS, targets=targets, level="aggressive")
    assert not [i for i in advice("aggressive", targets=targets, plr_db=2.0) if i.get("metric") == "plr_db"]


def test_amounts_are_rounded_to_a_tenth_of_a_db():
    assert advice("gentle", integrated_lufs=-7.56)[0]["amount_db"] == -6.4
    assert advice("suggestive", true_peak_dbtp=-0.44)[0]["amount_db"] == -0.6
    assert advice("aggressive", true_peak_dbtp=-4.37)[0]["amount_db"] == 1.4
    assert advice("suggestive", plr_db=4.56)[0]["amount_db"] == 4.4
    bands = [dict(b) for b in BANDS]
    bands[2]["energy_share"] = 0.25 / 10**0.337  # 3.37 dB under mid's target
    assert advice("suggestive", bands=bands)[0]["amount_db"] == 3.4


def test_boundaries_of_each_rule():
    assert advice("suggestive", integrated_lufs=-12.5)[0]["metric"] == "integrated_lufs"  # exactly the threshold
    assert advice("aggressive", integrated_lufs=-13.1)[0]["action"] == "reduce_loudness"  # louder by under 1 LU
    assert advice("gentle", true_peak_dbtp=0.0)[0]["severity"] == "info"  # at 0 dBTP, not over it
    assert advice("gentle", plr_db=1.0)[0]["severity"] == "warning"  # 4 spreads where 2 are allowed


def test_most_severe_first_whatever_rule_found_it():
    assert [i["metric"] for i in advice("gentle", integrated_lufs=-8.0, true_peak_dbtp=0.4)] == [
        "true_peak_dbtp",
        "integrated_lufs",
    ]
    found = advice("aggressive", integrated_lufs=-12.9, plr_db=6.5)
    assert [(i["metric"], i["severity"]) for i in found] == [("plr_db", "warning"), ("integrated_lufs", "info")]


def test_degenerate_targets_give_no_advice_and_no_error():
    targets = r.Targets(
        source="references",
        integrated_lufs=r.Stat(-14.0, 1.0),
        plr_db=r.Stat(9.0, 0.0),
        stereo_width=r.Stat(math.nan, math.nan),
        band_shares={"low": r.Stat(0.0, 0.01), "mid": r.Stat(0.25, 0.01), "high": r.Stat(0.10, 0.01)},
    )
    bands = [dict(b) for b in BANDS]
    bands[2]["energy_share"] = None  # a band without signal, then one that deviates after it
    # (low's target share is 0: no ratio to speak of, so low is passed over rather than divided by 0)
    bands[4]["energy_share"] = 0.10 * 10**0.5
    found = advice("aggressive", bands=bands, targets=targets, plr_db=3.0, stereo_width=0.9)
    assert [(i.get("band"), i["action"]) for i in found] == [("high", "cut")]


def test_a_reference_without_bands_does_not_count():
    partial = {"overall": {"integrated_lufs": -30.0}, "bands": []}
    full = {
        "overall": {"integrated_lufs": -8.0, "plr_db": 8.0, "stereo_width": 0.3, "loudness_range_lu": 5.0},
        "bands": [{"band": name, "energy_share": 0.2} for name in r.BANDS],
    }
    targets = r.targets_from_references([partial, full, dict(full)])
    assert targets.reference_count == 2 and targets.integrated_lufs.mean == -8.0
    assert targets.stereo_width.std == r.MIN_SPREAD["stereo_width"]
    nothing = r.targets_from_references([{"overall": {"integrated_lufs": None}, "bands": full["bands"]}])
    assert math.isnan(nothing.integrated_lufs.mean) and math.isnan(nothing.integrated_lufs.std)
