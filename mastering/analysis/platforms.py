"""What each streaming platform's loudness normalisation does to a track: a playback preview.

Each platform measures a track's integrated loudness (ITU-R BS.1770) and plays it with a gain
that brings it to the platform's reference level. The gain is all this module models; none of
them changes the audio otherwise in its default mode. ``gain_db`` is negative when the platform
turns the track down, and ``true_peak_after_dbtp`` is the track's true peak plus that gain.

=============  =========  ============================================================================
platform       reference  rule for loud and quiet tracks (default settings)
=============  =========  ============================================================================
Spotify        -14 LUFS   Loud tracks are turned down to -14. Quiet tracks are turned up, but only as
                          far as the true peak stays at or below -1 dBTP ("we consider the headroom of
                          the track, and leave 1 dB headroom": a -20 LUFS track peaking at -5 dBTP is
                          raised 4 dB, to -16 LUFS). Spotify's "Loud" setting (-11 LUFS, with a
                          limiter) is not the default and is not modelled.
Apple Music    -16 LUFS   Sound Check turns loud tracks down and quiet tracks up to -16, by gain alone
                          (no limiter, no peak cap is published): a quiet track with little headroom
                          can show a true peak above 0 dBTP after the gain, which is the warning.
YouTube        -14 LUFS   Turns loud tracks down to -14; never turns a quiet track up (gain <= 0).
Tidal          -14 LUFS   Turns loud tracks down to -14; never turns a quiet track up (gain <= 0).
Amazon Music   -14 LUFS   Turns loud tracks down to -14; never turns a quiet track up (gain <= 0).
=============  =========  ============================================================================

For digital silence (integrated loudness None) the gain and the peak after it are None.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlatformRule:
    platform: str
    reference_lufs: float
    raises_quiet: bool
    raise_peak_ceiling_dbtp: float | None  # when raising, the true peak may not pass this


@dataclass(frozen=True)
class PlatformPreview:
    platform: str
    reference_lufs: float
    gain_db: float | None
    true_peak_after_dbtp: float | None


PLATFORMS = (
    PlatformRule("Spotify", -14.0, raises_quiet=True, raise_peak_ceiling_dbtp=-1.0),
    PlatformRule("Apple Music", -16.0, raises_quiet=True, raise_peak_ceiling_dbtp=None),
    PlatformRule("YouTube", -14.0, raises_quiet=False, raise_peak_ceiling_dbtp=None),
    PlatformRule("Tidal", -14.0, raises_quiet=False, raise_peak_ceiling_dbtp=None),
    PlatformRule("Amazon Music", -14.0, raises_quiet=False, raise_peak_ceiling_dbtp=None),
)


def normalization_gain(rule: PlatformRule, integrated_lufs: float, true_peak_dbtp: float | None) -> float:
    """The gain in dB ``rule``'s platform applies to a track of this loudness and true peak."""
    gain = rule.reference_lufs - integrated_lufs
    if gain <= 0.0:
        return gain
    if not rule.raises_quiet:
        return 0.0
    if rule.raise_peak_ceiling_dbtp is not None and true_peak_dbtp is not None:
        gain = min(gain, max(rule.raise_peak_ceiling_dbtp - true_peak_dbtp, 0.0))
    return gain


def previews(integrated_lufs: float | None, true_peak_dbtp: float | None) -> tuple[PlatformPreview, ...]:
    result = []
    for rule in PLATFORMS:
        if integrated_lufs is None:
            result.append(PlatformPreview(rule.platform, rule.reference_lufs, None, None))
            continue
        gain = normalization_gain(rule, integrated_lufs, true_peak_dbtp)
        after = None if true_peak_dbtp is None else true_peak_dbtp + gain
        result.append(PlatformPreview(rule.platform, rule.reference_lufs, gain, after))
    return tuple(result)
