"""What a producer should change, from a mix's measures and the targets of its genre. No Django imports.

Targets (`Targets`) are either the statistics of the genre's reference masters (mean and spread
of each measure over the built-in and the user's own references) or, for a genre without any,
the general targets below. A measure is mentioned when it is further from its target than the
level's threshold; the further, the more severe.

Recommendation levels: how far from the target a measure must be before it is mentioned.

| level | loudness (LU) | band balance (dB) | true peak headroom | dynamics, stereo |
|---|---|---|---|---|
| `gentle` | 3.0 | 4.0 | true peak above -0.1 dBTP | 2.0 spreads from the genre's mean |
| `suggestive` | 1.5 | 2.5 | above -1.0 dBTP | 1.0 spread |
| `aggressive` | 0.75 | 1.5 | above -1.0 dBTP, and under -3.0 (headroom given away) | 0.5 spread |

A band's deviation is its energy share against the target share, in dB (10·log10 of their
ratio), so "raise low_mid by 2.1 dB" means that band holds 2.1 dB less of the mix's energy
than the genre's references do. A spread is the references' standard deviation, at least a
floor (`MIN_SPREAD`) so that four near-identical references do not make every mix wrong.
Severity: `info` below twice the threshold, `warning` below four times it, `critical` beyond.

General targets (a genre without references): integrated loudness -14 LUFS (the level most
streaming services normalise to; louder is turned down), true peak at most -1 dBTP, PLR
about 9 dB, stereo width 0.1-0.6, and a broad balance of band energy shares: low 0.30,
low_mid 0.20, mid 0.25, high_mid 0.15, high 0.10 (wide spreads: only large tilts are named).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

BANDS = ("low", "low_mid", "mid", "high_mid", "high")
LEVELS = ("gentle", "suggestive", "aggressive")

LOUDNESS_LU = {"gentle": 3.0, "suggestive": 1.5, "aggressive": 0.75}
BAND_DB = {"gentle": 4.0, "suggestive": 2.5, "aggressive": 1.5}
TRUE_PEAK_CEILING = {"gentle": -0.1, "suggestive": -1.0, "aggressive": -1.0}
WASTED_HEADROOM_BELOW = {"aggressive": -3.0}
SPREADS = {"gentle": 2.0, "suggestive": 1.0, "aggressive": 0.5}
MIN_SPREAD = {"plr_db": 1.0, "stereo_width": 0.05, "loudness_range_lu": 1.0}

GENERAL_BAND_SHARES = {"low": 0.30, "low_mid": 0.20, "mid": 0.25, "high_mid": 0.15, "high": 0.10}


@dataclass(frozen=True)
class Stat:
    mean: float
    std: float


@dataclass(frozen=True)
class Targets:
    source: str  # "references" or "general"
    integrated_lufs: Stat
    plr_db: Stat
    stereo_width: Stat
    band_shares: dict[str, Stat]
    loudness_range_lu: Stat | None = None
    reference_count: int = 0
    extra: dict = field(default_factory=dict)


GENERAL = Targets(
    source="general",
    integrated_lufs=Stat(-14.0, 1.0),
    plr_db=Stat(9.0, 2.0),
    stereo_width=Stat(0.35, 0.12),
    band_shares={band: Stat(share, share * 0.6) for band, share in GENERAL_BAND_SHARES.items()},
)


def targets_from_references(measures: list[dict]) -> Targets | None:
    """The genre's targets from its references' `{"overall": {...}, "bands": [...]}`; None without any."""
    usable = [m for m in measures if m.get("overall") and m.get("bands")]
    if not usable:
        return None

    def stat(values: list[float | None], floor: float) -> Stat:
        present = [v for v in values if v is not None and math.isfinite(v)]
        if not present:
            return Stat(math.nan, math.nan)
        mean = sum(present) / len(present)
        spread = math.sqrt(sum((v - mean) ** 2 for v in present) / len(present))
        return Stat(mean, max(spread, floor))

    shares = {band: stat([_band(m["bands"], band).get("energy_share") for m in usable], floor=0.01) for band in BANDS}
    return Targets(
        source="references",
        integrated_lufs=stat([m["overall"].get("integrated_lufs") for m in usable], floor=0.5),
        plr_db=stat([m["overall"].get("plr_db") for m in usable], floor=MIN_SPREAD["plr_db"]),
        stereo_width=stat([m["overall"].get("stereo_width") for m in usable], floor=MIN_SPREAD["stereo_width"]),
        loudness_range_lu=stat(
            [m["overall"].get("loudness_range_lu") for m in usable], floor=MIN_SPREAD["loudness_range_lu"]
        ),
        band_shares=shares,
        reference_count=len(usable),
    )


def _band(bands: list[dict], name: str) -> dict:
    return next((band for band in bands if band.get("band") == name), {})


def _severity(excess_ratio: float) -> str:
    # excess_ratio: how many thresholds away from the target the measure is (>= 1 when mentioned).
    if excess_ratio < 2:
        return "info"
    return "warning" if excess_ratio < 4 else "critical"


def recommend(*, overall: dict, bands: list[dict], targets: Targets, level: str) -> list[dict]:
    """Recommendations, most severe first: each `{band|metric, action, amount_db, severity, message}`."""
    if level not in LEVELS:
        raise ValueError(f"unknown recommendation level {level!r}")
    found = [
        *_loudness(overall, targets, level),
        *_true_peak(overall, level),
        *_dynamics(overall, targets, level),
        *_stereo(overall, targets, level),
        *_bands(bands, targets, level),
    ]
    order = {"critical": 0, "warning": 1, "info": 2}  # pragma: no mutate (info: any larger rank is the same)
    return sorted(found, key=lambda item: order[item["severity"]])


def _loudness(overall: dict, targets: Targets, level: str) -> list[dict]:
    measured, target = overall.get("integrated_lufs"), targets.integrated_lufs.mean
    if measured is None or not math.isfinite(target):
        return []
    difference = measured - target
    threshold = LOUDNESS_LU[level]
    if abs(difference) < threshold:
        return []
    louder = difference > 0  # pragma: no mutate (0 is never mentioned: every threshold is >= 0.75 LU)
    where = "the genre's references" if targets.source == "references" else "the streaming norm"
    return [
        {
            "metric": "integrated_lufs",
            "action": "reduce_loudness" if louder else "increase_loudness",
            "amount_db": round(-difference, 1),
            "severity": _severity(abs(difference) / threshold),
            "message": (
                f"The master is {abs(difference):.1f} LU {'louder' if louder else 'quieter'} than {where} "
                f"({measured:.1f} against {target:.1f} LUFS): "
                + (
                    "ease the limiter off; streaming services will turn it down anyway."
                    if louder
                    else "raise the level into the limiter, watching the true peak."
                )
            ),
        }
    ]


def _true_peak(overall: dict, level: str) -> list[dict]:
    peak = overall.get("true_peak_dbtp")
    if peak is None:
        return []
    ceiling = TRUE_PEAK_CEILING[level]
    if peak > ceiling:
        over = peak - ceiling
        return [
            {
                "metric": "true_peak_dbtp",
                "action": "lower_ceiling",
                "amount_db": round(-over, 1),
                "severity": "critical" if peak > 0 else _severity(1 + over / 0.5),
                "message": (
                    f"The true peak reaches {peak:.1f} dBTP: set the limiter's ceiling to {ceiling:.1f} dBTP "
                    "or lower so the encoded versions do not clip."
                ),
            }
        ]
    floor = WASTED_HEADROOM_BELOW.get(level)
    if floor is not None and peak < floor:
        return [
            {
                "metric": "true_peak_dbtp",
                "action": "use_headroom",
                "amount_db": round(floor - peak, 1),
                "severity": "info",
                "message": f"The true peak is {peak:.1f} dBTP: {floor - peak:.1f} dB of headroom is unused.",
            }
        ]
    return []


def _spread_excess(measured: float | None, stat: Stat | None, level: str) -> float | None:
    """How far beyond the level's allowance (in spreads) `measured` is; None when within or unknown."""
    # Callers never pass a None stat, and a zero spread only comes from hand-made targets.
    if measured is None or stat is None or not math.isfinite(stat.mean) or stat.std <= 0:  # pragma: no mutate
        return None
    distance = abs(measured - stat.mean) / stat.std
    allowed = SPREADS[level]
    return distance / allowed if distance > allowed else None


def _dynamics(overall: dict, targets: Targets, level: str) -> list[dict]:
    measured = overall.get("plr_db")
    excess = _spread_excess(measured, targets.plr_db, level)
    if excess is None:
        return []
    target = targets.plr_db.mean
    squashed = measured < target  # pragma: no mutate (equal to the target is never mentioned)
    return [
        {
            "metric": "plr_db",
            "action": "less_compression" if squashed else "more_compression",
            "amount_db": round(target - measured, 1),
            "severity": _severity(excess),
            "message": (
                f"Peak-to-loudness ratio is {measured:.1f} dB against about {target:.1f} dB: "
                + (
                    "the master is squashed; back off the limiting or bus compression to keep the transients."
                    if squashed
                    else "the master is more dynamic than the genre; more bus compression or limiting would match it."
                )
            ),
        }
    ]


def _stereo(overall: dict, targets: Targets, level: str) -> list[dict]:
    measured = overall.get("stereo_width")
    excess = _spread_excess(measured, targets.stereo_width, level)
    found = []
    if excess is not None:
        narrow = measured < targets.stereo_width.mean  # pragma: no mutate (equal: never mentioned)
        found.append(
            {
                "metric": "stereo_width",
                "action": "widen" if narrow else "narrow",
                "amount_db": None,
                "severity": _severity(excess),
                "message": (
                    f"Stereo width is {measured:.2f} against about {targets.stereo_width.mean:.2f}: "
                    + (
                        "widen pads and effects (keep the low end mono)."
                        if narrow
                        else "the image is wider than the genre's; check mono compatibility."
                    )
                ),
            }
        )
    correlation = overall.get("phase_correlation")
    if correlation is not None and correlation < 0:
        found.append(
            {
                "metric": "phase_correlation",
                "action": "fix_phase",
                "amount_db": None,
                "severity": "critical",
                "message": (
                    f"Phase correlation is {correlation:.2f}: the channels cancel in mono. Look for a "
                    "polarity-inverted channel or an extreme stereo widener."
                ),
            }
        )
    return found


def _bands(bands: list[dict], targets: Targets, level: str) -> list[dict]:
    found = []
    threshold = BAND_DB[level]
    for name in BANDS:
        share = _band(bands, name).get("energy_share")
        target = targets.band_shares.get(name)
        if share is None or target is None or not math.isfinite(target.mean) or target.mean <= 0:
            continue
        difference_db = 10 * math.log10(max(share, 1e-6) / target.mean)
        if abs(difference_db) < threshold:  # pragma: no mutate (a log ratio is never exactly the threshold)
            continue
        low = difference_db < 0  # pragma: no mutate (|difference| >= 1.5 dB here: the sign alone decides)
        found.append(
            {
                "band": name,
                "action": "boost" if low else "cut",
                "amount_db": round(-difference_db, 1),
                "severity": _severity(abs(difference_db) / threshold),
                "message": (
                    f"The {name.replace('_', '-')} band holds {abs(difference_db):.1f} dB "
                    f"{'less' if low else 'more'} of the mix's energy than the target: "
                    f"{'boost' if low else 'cut'} it by about {min(abs(difference_db), 6.0):.1f} dB "
                    "with a broad EQ band."
                ),
            }
        )
    return found
