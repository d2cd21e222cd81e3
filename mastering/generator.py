"""Generated reference masters: documented genre parameters rendered into audio. No Django imports.

No commercial recording can be shipped, so the built-in references of each genre are rendered
here from a :class:`GenreProfile` and then measured by the project's analysis engine like any
upload. Every number in :data:`PROFILES` is a *typical* value for the genre as producers and
mastering engineers describe it (tempo, kick pattern, bass style, how loud and how wide masters
usually are); none was measured from a recording, and the references are labelled as generated
profiles everywhere.

What :func:`render` makes, all vectorised numpy (per-event loops at most, never per sample):

* A 16th-note grid at the spec's tempo (odd 16ths delayed by the profile's ``swing``). Each part
  has a 16-step bar pattern: ``x`` starts a note or hit, ``=`` holds the previous note, ``.`` is
  a rest (hats: ``c`` closed, ``C`` accented closed, ``o`` open).
* Kick: a sine whose pitch falls exponentially from ``start_hz`` to ``end_hz`` with an
  exponential amplitude decay and a short noise click, placed on the kick pattern
  (four-on-the-floor, DnB's broken two-step, or dubstep's half-time). Snare or clap: band-passed
  noise (a clap is three quick bursts) with, for a snare, a tonal body.
* Hats: high-passed noise bursts, closed and open, with a little random velocity and a partly
  decorrelated left/right for some width.
* Bass: a phase-continuous band-limited saw (two saws detuned for a reese) under a sine sub.
  Its brightness is a crossfade between the saw low-passed at ``dark_hz`` and at
  ``bright_hz``, driven by the note's envelope (``pluck``: psytrance's rolling 16ths, trance
  and house offbeats), a tempo-synced LFO (``wobble``: dubstep) or a slow LFO (``drift``: reese
  and techno rumble), which stands in for a swept filter without a time-varying IIR filter.
* Lead or pad: detuned band-limited saws per chord tone, voices panned across ``width``,
  low-passed, gated by the lead pattern and ducked after each kick (``sidechain_db``).
* Balance: every part is scaled so that its level sits at the profile's dB relative to the
  kick's. A part's level is the 95th percentile of its 50 ms RMS over the time it sounds
  (within 40 dB of its loudest), so the silence between hits does not count: a kick, a clap
  and a held bass are compared by the body of what they play.
* Bus: one zero-phase FFT equaliser (a 4th-order Butterworth-shaped high-pass at
  ``highpass_hz`` and a tilt of ``tilt_db_per_octave`` about 1 kHz), then a look-ahead peak
  limiter to ``clip_db`` above the ceiling followed by a soft clipper that is linear up to
  ``clip_db`` below the ceiling and bends towards the ceiling (-0.3 dBFS) above it, so the
  limiter does the slow gain riding and the clipper shaves the last ``clip_db`` off the
  transients (more clipping is the louder, harder sound of psytrance, DnB and dubstep). A last
  limiter works on 4x-oversampled peaks, because clipping makes peaks between the samples:
  the samples stay under the ceiling and the true peak ends within a few tenths of a dB of it
  (the limiter's own gain changes leave a little). The gain into the chain is searched (secant
  steps) until the integrated loudness is the spec's target (within about 0.1 LU).
* Loudness for that search is ITU-R BS.1770-4: K-weighting (the two biquads, designed for any
  sample rate from the analogue parameters libebur128 uses), 400 ms blocks every 100 ms, the
  -70 LUFS absolute and -10 LU relative gates. The engine measures the result again afterwards;
  this is only the generator aiming.

The same spec gives bit-identical output on the same platform: all randomness comes from
``numpy.random.default_rng(spec.seed)`` drawn in a fixed order. :func:`render_parts` gives the
five parts before the bus (for tests and listening); :func:`integrated_loudness` is the meter
the gain search uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import fft as sp_fft
from scipy import signal
from scipy.ndimage import minimum_filter1d, uniform_filter1d

STEPS_PER_BAR = 16
CEILING_DBFS = -0.3  # no sample of a render is above this; its true peak ends near it
LIMITER_ATTACK_S = 0.002  # look-ahead, and the length of the gain's attack ramp
LIMITER_HOLD_S = 0.010
LIMITER_RELEASE_S = 0.080
LEVEL_WINDOW_S = 0.050  # a part's level: a high percentile of its RMS over this window ...
LEVEL_PERCENTILE = 95.0
LEVEL_RANGE_DB = 40.0  # ... over the time it is within this much of its loudest
LOUDNESS_TOLERANCE_LU = 0.05  # the gain search stops this close to the target


# --- Profiles -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kick:
    start_hz: float  # pitch at the hit
    end_hz: float  # pitch it falls to (the kick's fundamental)
    sweep_ms: float  # time constant of the pitch fall
    decay_ms: float  # time constant of the amplitude decay
    click: float  # level of the noise click against the body (0..1)


@dataclass(frozen=True)
class Snare:
    kind: str  # "clap" (three bursts of band-passed noise) or "snare" (noise and a tonal body)
    body_hz: float  # pitch of a snare's body (unused for a clap)
    band_hz: tuple[float, float]  # band-pass of the noise
    decay_ms: float


@dataclass(frozen=True)
class Bass:
    character: str  # what the settings below make, in words
    steps: str  # 16-step pattern: x note, = hold, . rest
    bar_notes: tuple[int, ...]  # semitones above root_midi, one per bar, cycled
    root_midi: int  # MIDI note of the root before the spec's key shift
    decay_ms: float  # amplitude decay within a note
    sub: float  # amplitude share of the sine sub (the rest is the saw layer)
    dark_hz: float  # low-pass of the saw layer at rest
    bright_hz: float  # low-pass of the saw layer at full brightness
    brightness: str  # "pluck" (note envelope), "wobble" (tempo-synced LFO) or "drift" (slow LFO)
    lfo_steps: tuple[float, ...]  # LFO period in 16ths, one per bar, cycled (wobble and drift)
    detune_cents: float  # > 0: two saws this far apart (a reese), 0: one saw


@dataclass(frozen=True)
class Lead:
    character: str
    steps: str  # 16-step pattern: x note, = hold, . rest
    chords: tuple[tuple[int, ...], ...]  # semitones above root_midi, one chord per bar, cycled
    root_midi: int
    voices: int  # detuned saws per chord tone
    detune_cents: float  # outermost voices sit this far either side of the note
    width: float  # 0: mono, 1: outermost voices panned hard left and right
    cutoff_hz: float
    decay_ms: float
    sidechain_db: float  # gain dip right after each kick, recovering over about a 16th


@dataclass(frozen=True)
class Balance:
    """Level of each part (see _part_level) in dB relative to the kick's (the kick is 0 dB)."""

    bass: float
    snare: float
    hats: float
    lead: float


@dataclass(frozen=True)
class GenreProfile:
    """A genre's typical production and mastering choices (typical, not measured from recordings)."""

    genre: str
    tempo_bpm: tuple[float, float]  # typical range; the built-in specs spread across it
    kick_pattern: str  # "four-on-the-floor", "two-step" or "half-time"
    kick_steps: str
    snare_steps: str
    hats_steps: str
    swing: float  # odd 16ths are late by this fraction of a 16th
    kick: Kick
    snare: Snare
    bass: Bass
    lead: Lead
    balance_db: Balance
    highpass_hz: float
    tilt_db_per_octave: float  # bus tilt about 1 kHz (+ brighter, - darker)
    loudness_lufs: tuple[float, float]  # typical integrated loudness of released masters
    clip_db: float  # peak reduction left to the soft clipper after the limiter
    hats_width: float  # 0: mono hats, 1: independent noise left and right

    @property
    def plr_db(self) -> tuple[float, float]:
        """Peak-to-loudness ratio the loudness range implies at the -0.3 dBFS ceiling (the dynamics)."""
        low, high = self.loudness_lufs
        return CEILING_DBFS - high, CEILING_DBFS - low


FOUR_ON_THE_FLOOR = "x...x...x...x..."
BACKBEAT = "....x.......x..."  # clap or snare on 2 and 4

PROFILES: dict[str, GenreProfile] = {
    # Full-on / progressive psytrance: 140-148 BPM, a short tight kick on every beat and a rolling
    # 16th bass on the three 16ths between kicks ("KBBB"), little clap, busy hats, gated acid-ish
    # leads, no pumping (the bass already leaves the kick alone); loud, clipped masters.
    "Psytrance": GenreProfile(
        genre="Psytrance",
        tempo_bpm=(140.0, 148.0),
        kick_pattern="four-on-the-floor",
        kick_steps=FOUR_ON_THE_FLOOR,
        snare_steps=BACKBEAT,
        hats_steps="ccoc" * 4,
        swing=0.0,
        kick=Kick(start_hz=210.0, end_hz=52.0, sweep_ms=14.0, decay_ms=55.0, click=0.25),
        snare=Snare(kind="clap", body_hz=0.0, band_hz=(1200.0, 5000.0), decay_ms=60.0),
        bass=Bass(
            character="rolling 16th bass: three plucked saw notes between the kicks",
            steps=".xxx" * 4,
            bar_notes=(0, 0, 0, -2),
            root_midi=30,  # F#1, 46 Hz
            decay_ms=60.0,
            sub=0.45,
            dark_hz=220.0,
            bright_hz=2500.0,
            brightness="pluck",
            lfo_steps=(16.0,),
            detune_cents=0.0,
        ),
        lead=Lead(
            character="16th-gated detuned saw lead on a fifth, phrygian turn",
            steps="xx.xx.x.xx.xx.x.",
            chords=((0, 7), (0, 7), (1, 8), (0, 7)),
            root_midi=66,
            voices=3,
            detune_cents=12.0,
            width=0.6,
            cutoff_hz=3500.0,
            decay_ms=90.0,
            sidechain_db=0.0,
        ),
        balance_db=Balance(bass=-3.0, snare=-14.0, hats=-13.0, lead=-9.0),
        highpass_hz=30.0,
        tilt_db_per_octave=0.3,
        loudness_lufs=(-9.0, -7.0),
        clip_db=3.0,
        hats_width=0.3,
    ),
    # Trance (uplifting / progressive): 136-140 BPM, four-on-the-floor with a clap on 2 and 4,
    # offbeat plucked bass, wide detuned supersaw chords through a trance gate, pumped by the kick.
    "Trance": GenreProfile(
        genre="Trance",
        tempo_bpm=(136.0, 140.0),
        kick_pattern="four-on-the-floor",
        kick_steps=FOUR_ON_THE_FLOOR,
        snare_steps=BACKBEAT,
        hats_steps="c.oc" * 4,
        swing=0.0,
        kick=Kick(start_hz=180.0, end_hz=50.0, sweep_ms=18.0, decay_ms=80.0, click=0.2),
        snare=Snare(kind="clap", body_hz=0.0, band_hz=(1000.0, 4500.0), decay_ms=110.0),
        bass=Bass(
            character="offbeat 8th bass, plucked saw following the chord roots",
            steps="..x=" * 4,
            bar_notes=(0, -4, 3, -2),
            root_midi=33,  # A1, 55 Hz
            decay_ms=150.0,
            sub=0.5,
            dark_hz=250.0,
            bright_hz=1800.0,
            brightness="pluck",
            lfo_steps=(16.0,),
            detune_cents=0.0,
        ),
        lead=Lead(
            character="supersaw chords (i-VI-III-VII) through a trance gate",
            steps="x=.x=.x.x=.x=.x.",
            chords=((0, 3, 7), (-4, 0, 3), (3, 7, 10), (-2, 2, 5)),
            root_midi=57,
            voices=5,
            detune_cents=25.0,
            width=0.9,
            cutoff_hz=6000.0,
            decay_ms=400.0,
            sidechain_db=6.0,
        ),
        balance_db=Balance(bass=-5.0, snare=-8.0, hats=-13.0, lead=-6.0),
        highpass_hz=28.0,
        tilt_db_per_octave=0.5,
        loudness_lufs=(-10.0, -8.0),
        clip_db=1.5,
        hats_width=0.4,
    ),
    # Techno (peak-time / hypnotic): 125-135 BPM, a long boomy kick, a dark sustained low-passed
    # "rumble" between the kicks, driving accented 16th hats, sparse dub-chord stabs.
    "Techno": GenreProfile(
        genre="Techno",
        tempo_bpm=(125.0, 135.0),
        kick_pattern="four-on-the-floor",
        kick_steps=FOUR_ON_THE_FLOOR,
        snare_steps=BACKBEAT,
        hats_steps="cCoC" * 4,
        swing=0.0,
        kick=Kick(start_hz=150.0, end_hz=47.0, sweep_ms=22.0, decay_ms=120.0, click=0.3),
        snare=Snare(kind="clap", body_hz=0.0, band_hz=(900.0, 4000.0), decay_ms=90.0),
        bass=Bass(
            character="rumble: dark sustained sub between the kicks, slowly drifting filter",
            steps=".x==" * 4,
            bar_notes=(0, 0, 0, 0),
            root_midi=29,  # F1, 44 Hz
            decay_ms=400.0,
            sub=0.8,
            dark_hz=120.0,
            bright_hz=400.0,
            brightness="drift",
            lfo_steps=(64.0,),
            detune_cents=0.0,
        ),
        lead=Lead(
            character="short minor-7th dub-chord stabs",
            steps="..x.....x.....x.",
            chords=((0, 3, 7, 10), (0, 3, 7, 10), (0, 3, 7, 10), (-2, 1, 5, 8)),
            root_midi=53,
            voices=3,
            detune_cents=8.0,
            width=0.5,
            cutoff_hz=1200.0,
            decay_ms=120.0,
            sidechain_db=3.0,
        ),
        balance_db=Balance(bass=-6.0, snare=-9.0, hats=-10.0, lead=-12.0),
        highpass_hz=25.0,
        tilt_db_per_octave=0.0,
        loudness_lufs=(-10.0, -8.0),
        clip_db=2.0,
        hats_width=0.3,
    ),
    # House (deep / tech house): 120-126 BPM, four-on-the-floor with a clap on 2 and 4, swung
    # open offbeat hats, a syncopated warm bass, swung minor-7th chord stabs, gentle pumping.
    "House": GenreProfile(
        genre="House",
        tempo_bpm=(120.0, 126.0),
        kick_pattern="four-on-the-floor",
        kick_steps=FOUR_ON_THE_FLOOR,
        snare_steps=BACKBEAT,
        hats_steps="..oc" * 4,
        swing=0.15,
        kick=Kick(start_hz=160.0, end_hz=52.0, sweep_ms=20.0, decay_ms=100.0, click=0.2),
        snare=Snare(kind="clap", body_hz=0.0, band_hz=(900.0, 4500.0), decay_ms=140.0),
        bass=Bass(
            character="syncopated offbeat bass, warm plucked saw",
            steps="..x=..x.x.x=..x.",
            bar_notes=(0, -4, -7, -5),
            root_midi=31,  # G1, 49 Hz
            decay_ms=180.0,
            sub=0.4,
            dark_hz=220.0,
            bright_hz=1200.0,
            brightness="pluck",
            lfo_steps=(16.0,),
            detune_cents=0.0,
        ),
        lead=Lead(
            character="swung offbeat minor-7th chord stabs (i-VI-iv-v)",
            steps="..x...x...x..x.x",
            chords=((0, 3, 7, 10), (-4, 0, 3, 7), (-7, -4, 0, 3), (-5, -2, 2, 5)),
            root_midi=55,
            voices=3,
            detune_cents=10.0,
            width=0.6,
            cutoff_hz=2500.0,
            decay_ms=150.0,
            sidechain_db=4.0,
        ),
        balance_db=Balance(bass=-5.0, snare=-7.0, hats=-12.0, lead=-7.0),
        highpass_hz=28.0,
        tilt_db_per_octave=0.0,
        loudness_lufs=(-10.0, -8.0),
        clip_db=1.5,
        hats_width=0.4,
    ),
    # Drum & bass: 172-176 BPM, a broken two-step kick (1 and the "and" of 3) under a loud snare
    # on 2 and 4, a reese bass (two detuned saws beating, slowly filtered) over a heavy sub, a
    # wide sustained pad; loud masters with a lot of low end.
    "Drum & Bass": GenreProfile(
        genre="Drum & Bass",
        tempo_bpm=(172.0, 176.0),
        kick_pattern="two-step",
        kick_steps="x.........x.....",
        snare_steps=BACKBEAT,
        hats_steps="C.c.C.c.C.c.C.cc",
        swing=0.0,
        kick=Kick(start_hz=200.0, end_hz=55.0, sweep_ms=12.0, decay_ms=70.0, click=0.35),
        snare=Snare(kind="snare", body_hz=190.0, band_hz=(1500.0, 9000.0), decay_ms=120.0),
        bass=Bass(
            character="reese: two saws 18 cents apart, slowly drifting filter, over a sine sub",
            steps="x=======x=======",
            bar_notes=(0, 0, 3, -2),
            root_midi=29,  # F1, 44 Hz
            decay_ms=8000.0,
            sub=0.55,
            dark_hz=300.0,
            bright_hz=1500.0,
            brightness="drift",
            lfo_steps=(32.0,),
            detune_cents=18.0,
        ),
        lead=Lead(
            character="wide sustained minor-7th pad",
            steps="x" + "=" * 15,
            chords=((0, 3, 7, 10), (0, 3, 7, 10), (3, 7, 10, 14), (-2, 2, 5, 9)),
            root_midi=53,
            voices=4,
            detune_cents=15.0,
            width=1.0,
            cutoff_hz=2500.0,
            decay_ms=8000.0,
            sidechain_db=0.0,
        ),
        balance_db=Balance(bass=0.0, snare=-4.0, hats=-13.0, lead=-10.0),
        highpass_hz=22.0,
        tilt_db_per_octave=-0.3,
        loudness_lufs=(-9.0, -7.0),
        clip_db=3.0,
        hats_width=0.3,
    ),
    # Dubstep: 140 BPM felt in half time: kick on 1, snare on 3, a sub wobble (sine sub under a
    # saw whose filter an LFO sweeps in quarters, 8ths and 8th triplets) carrying most of the
    # energy, a dark pad; loud, clipped masters.
    "Dubstep": GenreProfile(
        genre="Dubstep",
        tempo_bpm=(140.0, 140.0),
        kick_pattern="half-time",
        kick_steps="x...............",
        snare_steps="........x.......",
        hats_steps="C.c." * 4,
        swing=0.0,
        kick=Kick(start_hz=180.0, end_hz=45.0, sweep_ms=16.0, decay_ms=110.0, click=0.3),
        snare=Snare(kind="snare", body_hz=200.0, band_hz=(1200.0, 8000.0), decay_ms=160.0),
        bass=Bass(
            character="sub wobble: sine sub under a saw swept by a tempo-synced LFO",
            steps="x=======x===x===",
            bar_notes=(0, 0, 1, -2),
            root_midi=29,  # F1, 44 Hz
            decay_ms=8000.0,
            sub=0.6,
            dark_hz=150.0,
            bright_hz=3000.0,
            brightness="wobble",
            lfo_steps=(4.0, 2.0, 4.0 / 3.0, 2.0),
            detune_cents=0.0,
        ),
        lead=Lead(
            character="dark sustained pad (phrygian)",
            steps="x" + "=" * 15,
            chords=((0, 3, 7), (0, 3, 7), (1, 5, 8), (-2, 2, 5)),
            root_midi=53,
            voices=3,
            detune_cents=12.0,
            width=0.8,
            cutoff_hz=1200.0,
            decay_ms=8000.0,
            sidechain_db=0.0,
        ),
        balance_db=Balance(bass=2.0, snare=-5.0, hats=-14.0, lead=-12.0),
        highpass_hz=22.0,
        tilt_db_per_octave=-0.6,
        loudness_lufs=(-9.0, -7.0),
        clip_db=3.5,
        hats_width=0.3,
    ),
}


@dataclass(frozen=True)
class ReferenceSpec:
    """One built-in reference: a genre profile with its own seed, tempo, key, loudness and balance."""

    name: str
    artist: str
    genre: str
    year: int | None
    seed: int
    tempo: float  # BPM, inside the profile's range
    key: int  # semitones added to the profile's bass and lead roots
    target_lufs: float  # inside the profile's loudness range
    balance_offset_db: Balance  # added to the profile's balance

    @property
    def profile(self) -> GenreProfile:
        return PROFILES[self.genre]


# The four variations of every genre: where the tempo and the loudness sit in the profile's
# ranges (0 = low end, 1 = high end), the key shift, and the balance offsets in dB.
_VARIATIONS: tuple[tuple[float, int, float, Balance], ...] = (
    (0.0, 0, 0.5, Balance(bass=0.0, snare=0.0, hats=0.0, lead=0.0)),
    (1 / 3, 2, 0.0, Balance(bass=1.0, snare=-0.5, hats=1.0, lead=-1.0)),
    (2 / 3, -2, 1.0, Balance(bass=-1.0, snare=0.5, hats=-1.0, lead=1.0)),
    (1.0, 1, 0.25, Balance(bass=0.5, snare=1.0, hats=-0.5, lead=0.5)),
)


def _built_in() -> list[ReferenceSpec]:
    specs = []
    for genre_number, (genre, profile) in enumerate(PROFILES.items(), start=1):
        (slow, fast), (quiet, loud) = profile.tempo_bpm, profile.loudness_lufs
        for number, (tempo_at, key, loudness_at, offsets) in enumerate(_VARIATIONS, start=1):
            specs.append(
                ReferenceSpec(
                    name=f"Generated {genre} profile {number}",
                    artist="Generated profile",
                    genre=genre,
                    year=None,  # never released
                    seed=1000 * genre_number + number,
                    tempo=round(slow + tempo_at * (fast - slow), 1),
                    key=key,
                    target_lufs=round(quiet + loudness_at * (loud - quiet), 2),
                    balance_offset_db=offsets,
                )
            )
    return specs


BUILT_IN: list[ReferenceSpec] = _built_in()


# --- Rendering ----------------------------------------------------------------------------------


PARTS = ("kick", "snare", "hats", "bass", "lead")


def render(spec: ReferenceSpec, *, seconds: float = 30.0, sample_rate: int = 44100) -> np.ndarray:
    """The spec as a (frames, 2) float32 master at its target loudness, sample peaks under -0.3 dBFS."""
    profile = spec.profile
    mix = sum(render_parts(spec, seconds=seconds, sample_rate=sample_rate).values())
    mix = _bus_eq(mix, sample_rate, profile.highpass_hz, profile.tilt_db_per_octave)
    return _master(mix, sample_rate, spec.target_lufs, profile.clip_db).astype(np.float32)


def render_parts(spec: ReferenceSpec, *, seconds: float = 30.0, sample_rate: int = 44100) -> dict[str, np.ndarray]:
    """The parts before the bus, each (frames, 2) float64, at the spec's balance (the kick's level is 1)."""
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"seconds must be a positive number, not {seconds!r}")
    if not 22050 <= sample_rate <= 384000:
        raise ValueError(f"sample_rate must be 22050..384000 Hz, not {sample_rate!r}")
    profile, offsets = spec.profile, spec.balance_offset_db
    rng = np.random.default_rng(spec.seed)
    frames = max(1, round(seconds * sample_rate))
    grid = _Grid(spec.tempo, profile.swing, sample_rate, frames)

    kick_onsets = grid.onsets(profile.kick_steps, "x")
    parts = {
        "kick": _place(frames, kick_onsets, np.ones(len(kick_onsets)), _kick(profile.kick, sample_rate, rng)),
        "snare": _snare_part(profile, grid, rng),
        "hats": _hats_part(profile, grid, rng),
        "bass": _bass_part(profile.bass, spec.key, grid, rng),
        "lead": _lead_part(profile.lead, spec.key, grid, profile.kick_steps, rng),
    }
    levels_db = {
        "kick": 0.0,
        "snare": profile.balance_db.snare + offsets.snare,
        "hats": profile.balance_db.hats + offsets.hats,
        "bass": profile.balance_db.bass + offsets.bass,
        "lead": profile.balance_db.lead + offsets.lead,
    }
    for name, part in parts.items():
        level = _part_level(part, sample_rate)
        if level > 0:  # a render too short for a part's first note has it silent
            part *= 10 ** (levels_db[name] / 20) / level
    return parts


def write_wav(spec: ReferenceSpec, path: str | Path, **render_kwargs) -> Path:
    """Render the spec and write it as a 24-bit PCM WAV; returns the path."""
    path = Path(path)
    sample_rate = render_kwargs.get("sample_rate", 44100)
    sf.write(path, render(spec, **render_kwargs), sample_rate, subtype="PCM_24", format="WAV")
    return path


def integrated_loudness(audio: np.ndarray, sample_rate: int) -> float:
    """BS.1770-4 integrated loudness (LUFS) of a (frames, channels) signal; -inf when it is silent."""
    audio = np.asarray(audio, dtype=np.float64)
    if audio.ndim == 1:
        audio = audio[:, None]
    weighted = signal.sosfilt(_k_weighting(sample_rate), audio, axis=0)
    block, hop = round(0.4 * sample_rate), round(0.1 * sample_rate)
    if len(weighted) < block:
        powers = np.array([np.sum(np.mean(weighted**2, axis=0))])
    else:
        energy = np.concatenate([np.zeros((1, weighted.shape[1])), np.cumsum(weighted**2, axis=0)])
        starts = np.arange(0, len(weighted) - block + 1, hop)
        powers = np.sum(energy[starts + block] - energy[starts], axis=1) / block
    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10 * np.log10(powers)
    gated = powers[loudness > -70.0]
    if not len(gated):
        return -math.inf
    relative = -0.691 + 10 * math.log10(np.mean(gated)) - 10.0
    gated = powers[(loudness > -70.0) & (loudness > relative)]
    return float(-0.691 + 10 * math.log10(np.mean(gated)))


class _Grid:
    """The 16th-note grid: where each step starts, and the step each sample is in."""

    def __init__(self, tempo: float, swing: float, sample_rate: int, frames: int):
        self.sample_rate, self.frames = sample_rate, frames
        self.step_s = 60.0 / tempo / 4
        count = math.ceil(frames / (self.step_s * sample_rate)) + 1
        index = np.arange(count + 1)
        starts = np.round((index + swing * (index % 2)) * self.step_s * sample_rate).astype(np.int64)
        self.count, self.starts = count, starts  # starts has count + 1 entries: the last closes the grid
        lengths = np.diff(np.minimum(starts, frames))
        self.step_of_sample = np.repeat(np.arange(count), lengths)[:frames]

    def chars(self, pattern: str) -> np.ndarray:
        return np.array(list(pattern))[np.arange(self.count) % STEPS_PER_BAR]

    def onsets(self, pattern: str, symbols: str) -> np.ndarray:
        """Start samples of the steps whose pattern character is one of ``symbols``."""
        hit = np.isin(self.chars(pattern), list(symbols))
        starts = self.starts[: self.count][hit]
        return starts[starts < self.frames]

    def notes(self, pattern: str, decay_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per sample, for an x/=/. pattern: the envelope, the step its note started on, seconds since then."""
        chars = self.chars(pattern)
        steps = np.arange(self.count)
        active = chars != "."
        start = (chars == "x") | (active & (steps == 0))
        start_step = np.maximum.accumulate(np.where(start, steps, 0))
        breaks = np.append(np.where(chars != "=", steps, self.count), self.count)
        end_step = np.minimum.accumulate(breaks[::-1])[::-1][1:]  # next step that does not hold

        step = self.step_of_sample
        sample = np.arange(self.frames)
        since = (sample - self.starts[start_step[step]]) / self.sample_rate
        until = (self.starts[end_step[step]] - sample) / self.sample_rate
        envelope = (
            active[step]
            * np.clip(since / 0.003, 0.0, 1.0)
            * np.exp(-since / decay_s)
            * np.clip(until / 0.004, 0.0, 1.0)
        )
        return envelope, start_step[step], since

    def bar_lfo(self, periods_in_steps: tuple[float, ...]) -> np.ndarray:
        """0..1 raised-cosine LFO whose period (in 16ths) follows the bar, phase-continuous."""
        bar = (self.step_of_sample // STEPS_PER_BAR) % len(periods_in_steps)
        rate = 1.0 / (np.asarray(periods_in_steps)[bar] * self.step_s * self.sample_rate)
        return 0.5 * (1 - np.cos(2 * np.pi * np.cumsum(rate)))


def _place(frames: int, onsets: np.ndarray, gains: np.ndarray, sound: np.ndarray) -> np.ndarray:
    """A (frames, 2) part with ``sound`` ((length, 2)) added at every onset, scaled by its gain."""
    out = np.zeros((frames, 2))
    for onset, gain in zip(onsets, gains, strict=True):
        length = min(len(sound), frames - onset)
        out[onset : onset + length] += gain * sound[:length]
    return out


def _stereo(mono: np.ndarray) -> np.ndarray:
    return np.repeat(mono[:, None], 2, axis=1)


def _kick(kick: Kick, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(round(sample_rate * min(1.0, 7 * kick.decay_ms / 1000))) / sample_rate
    pitch = kick.end_hz + (kick.start_hz - kick.end_hz) * np.exp(-t / (kick.sweep_ms / 1000))
    body = np.sin(2 * np.pi * np.cumsum(pitch) / sample_rate) * np.exp(-t / (kick.decay_ms / 1000))
    body = np.tanh(1.5 * body) / np.tanh(1.5)  # a little drive: a rounder, louder kick
    click = _filtered(rng.standard_normal(len(t)), sample_rate, "highpass", 2000.0) * np.exp(-t / 0.002)
    sound = (body + kick.click * click) * np.clip(t / 0.0005, 0.0, 1.0)
    return _stereo(sound)


def _snare_part(profile: GenreProfile, grid: _Grid, rng: np.random.Generator) -> np.ndarray:
    snare, sample_rate = profile.snare, grid.sample_rate
    t = np.arange(round(sample_rate * min(1.0, 6 * snare.decay_ms / 1000))) / sample_rate
    noise = _filtered(rng.standard_normal(len(t)), sample_rate, "bandpass", snare.band_hz)
    tail = np.exp(-t / (snare.decay_ms / 1000))
    if snare.kind == "clap":
        bursts = sum(np.exp(-np.clip(t - delay, 0, None) / 0.004) * (t >= delay) for delay in (0.0, 0.009, 0.018))
        sound = noise * np.maximum(0.8 * bursts, tail * (t >= 0.018))
    else:
        pitch = snare.body_hz * (1 + 0.3 * np.exp(-t / 0.01))
        body = np.sin(2 * np.pi * np.cumsum(pitch) / sample_rate) * np.exp(-t / 0.04)
        sound = 0.6 * body + noise / (np.max(np.abs(noise)) or 1.0) * tail
    onsets = grid.onsets(profile.snare_steps, "x")
    return _place(grid.frames, onsets, np.ones(len(onsets)), _stereo(sound * np.clip(t / 0.0005, 0.0, 1.0)))


def _hats_part(profile: GenreProfile, grid: _Grid, rng: np.random.Generator) -> np.ndarray:
    sample_rate, width = grid.sample_rate, profile.hats_width

    def hat(decay_s: float, cutoff_hz: float) -> np.ndarray:
        t = np.arange(round(sample_rate * 6 * decay_s)) / sample_rate
        mid, side = rng.standard_normal((2, len(t)))
        noise = np.stack([mid + width * side, mid - width * side], axis=1)
        noise = _filtered(noise, sample_rate, "highpass", cutoff_hz)
        return noise * (np.exp(-t / decay_s) * np.clip(t / 0.0005, 0.0, 1.0))[:, None]

    closed, opened = hat(0.025, 7000.0), hat(0.120, 6000.0)
    out = np.zeros((grid.frames, 2))
    for symbols, sound, level in (("c", closed, 0.55), ("C", closed, 1.0), ("o", opened, 0.9)):
        onsets = grid.onsets(profile.hats_steps, symbols)
        gains = level * np.clip(1 + 0.08 * rng.standard_normal(len(onsets)), 0.7, 1.3)
        out += _place(grid.frames, onsets, gains, sound)
    return out


def _bass_part(bass: Bass, key: int, grid: _Grid, rng: np.random.Generator) -> np.ndarray:
    sample_rate = grid.sample_rate
    envelope, note_step, since = grid.notes(bass.steps, bass.decay_ms / 1000)
    bar_hz = _midi_hz(bass.root_midi + key + np.asarray(bass.bar_notes))
    frequency = bar_hz[(note_step // STEPS_PER_BAR) % len(bar_hz)]
    cycles = np.cumsum(frequency) / sample_rate
    sub = np.sin(2 * np.pi * cycles)

    table = _saw_table(max(1, int(0.45 * sample_rate / frequency.max())))
    detunes = (-bass.detune_cents / 2, bass.detune_cents / 2) if bass.detune_cents > 0 else (0.0,)
    saw = sum(_lookup(table, cycles, 2 ** (cents / 1200), rng.random()) for cents in detunes) / len(detunes)
    dark = _filtered(saw, sample_rate, "lowpass", bass.dark_hz)
    bright = _filtered(saw, sample_rate, "lowpass", bass.bright_hz)

    if bass.brightness == "pluck":
        brightness = np.exp(-since / (0.35 * bass.decay_ms / 1000))  # a filter envelope faster than the amplitude's
    elif bass.brightness in ("wobble", "drift"):
        brightness = grid.bar_lfo(bass.lfo_steps) ** 1.5
    else:
        raise ValueError(f"unknown bass brightness {bass.brightness!r}")
    layer = dark + (bright - dark) * brightness
    return _stereo(envelope * (bass.sub * sub + (1 - bass.sub) * layer))


def _lead_part(lead: Lead, key: int, grid: _Grid, kick_steps: str, rng: np.random.Generator) -> np.ndarray:
    sample_rate = grid.sample_rate
    envelope, note_step, _ = grid.notes(lead.steps, lead.decay_ms / 1000)
    chords = np.asarray(lead.chords)  # (bars, tones)
    bar = (note_step // STEPS_PER_BAR) % len(chords)
    highest = _midi_hz(lead.root_midi + key + chords.max()) * 2 ** (lead.detune_cents / 1200)
    table = _saw_table(max(1, int(0.45 * sample_rate / highest)))

    spread = np.linspace(-1.0, 1.0, lead.voices) if lead.voices > 1 else np.zeros(1)
    voices = np.zeros((len(spread), grid.frames))  # voice v of every chord tone: same detune, same pan
    for tone in range(chords.shape[1]):
        cycles = np.cumsum(_midi_hz(lead.root_midi + key + chords[:, tone])[bar]) / sample_rate
        for voice, cents in enumerate(lead.detune_cents * spread):
            voices[voice] += _lookup(table, cycles, 2 ** (cents / 1200), rng.random())
    sound = np.zeros((grid.frames, 2))
    for voice, pan in zip(voices, lead.width * spread, strict=True):
        angle = (pan + 1) * np.pi / 4  # constant-power pan
        sound[:, 0] += np.cos(angle) * voice
        sound[:, 1] += np.sin(angle) * voice
    sound = _filtered(sound, sample_rate, "lowpass", lead.cutoff_hz)
    return sound * (envelope * _sidechain(grid, kick_steps, lead.sidechain_db))[:, None]


def _sidechain(grid: _Grid, kick_steps: str, depth_db: float) -> np.ndarray:
    """Gain that dips by depth_db at each kick and recovers exponentially over about a 16th."""
    kicks = grid.chars(kick_steps) == "x"
    if depth_db <= 0 or not kicks.any():
        return np.ones(grid.frames)
    steps = np.arange(grid.count)
    last_kick = np.maximum.accumulate(np.where(kicks, steps, -1))  # per step, the latest kick's step
    start = np.where(last_kick >= 0, grid.starts[np.maximum(last_kick, 0)], -(10**9))
    since = (np.arange(grid.frames) - start[grid.step_of_sample]) / grid.sample_rate
    dip = 1 - 10 ** (-depth_db / 20)
    return 1 - dip * np.exp(-since / (0.4 * grid.step_s)) * np.clip(since / 0.005, 0.0, 1.0)


@cache
def _saw_table_cached(harmonics: int, size: int) -> np.ndarray:
    spectrum = np.zeros(size // 2 + 1, dtype=np.complex128)
    k = np.arange(1, harmonics + 1)
    spectrum[k] = -1j * size / (np.pi * k)  # the inverse FFT of this is (2/pi) * sum(sin(2 pi k x) / k)
    table = np.fft.irfft(spectrum, n=size)
    table.setflags(write=False)
    return table


def _saw_table(harmonics: int) -> np.ndarray:
    """One cycle of a band-limited saw (harmonics 1..n), sized to hold them."""
    harmonics = min(harmonics, 1024)
    return _saw_table_cached(harmonics, max(4096, 1 << math.ceil(math.log2(8 * harmonics))))


def _lookup(table: np.ndarray, cycles: np.ndarray, ratio: float = 1.0, offset: float = 0.0) -> np.ndarray:
    """The table at phase ``cycles * ratio + offset`` (in cycles, never negative here).

    The table's size is a power of two, so the index wraps with a bit mask.
    """
    position = cycles * (len(table) * ratio)
    position += len(table) * offset
    index = position.astype(np.int64)
    index &= len(table) - 1
    return table.take(index)


def _midi_hz(note) -> np.ndarray:
    return 440.0 * 2 ** ((np.asarray(note, dtype=np.float64) - 69) / 12)


def _filtered(x: np.ndarray, sample_rate: int, kind: str, corner) -> np.ndarray:
    """2nd-order Butterworth (4th for a high-pass) along the first axis."""
    order = 4 if kind == "highpass" else 2
    nyquist = sample_rate / 2
    corner = np.minimum(np.asarray(corner, dtype=np.float64), 0.95 * nyquist)
    return signal.sosfilt(signal.butter(order, corner, btype=kind, fs=sample_rate, output="sos"), x, axis=0)


def _part_level(stem: np.ndarray, sample_rate: int) -> float:
    """A part's level: the 95th percentile of its 50 ms RMS over the time it sounds.

    "Sounds" is where that RMS is within 40 dB of its highest, so the silence between hits does
    not count and a kick, a clap and a held bass are compared by the body of what they play.
    """
    power = 0.5 * (stem[:, 0] ** 2 + stem[:, 1] ** 2)
    window = max(1, round(LEVEL_WINDOW_S * sample_rate))
    # Every 1/16 of the window is plenty for a 50 ms average, and 16 times less to sort.
    rms = np.sqrt(np.maximum(uniform_filter1d(power, window)[:: max(1, window // 16)], 0.0))
    if rms.max() <= 0:
        return 0.0
    sounding = rms[rms > rms.max() * 10 ** (-LEVEL_RANGE_DB / 20)]
    return float(np.percentile(sounding, LEVEL_PERCENTILE))


def _bus_eq(mix: np.ndarray, sample_rate: int, highpass_hz: float, tilt_db_per_octave: float) -> np.ndarray:
    """Zero-phase high-pass (Butterworth-shaped, 4th order) and tilt about 1 kHz, in one FFT."""
    frames = len(mix)
    size = sp_fft.next_fast_len(frames + sample_rate // 5, real=True)
    frequency = sp_fft.rfftfreq(size, 1 / sample_rate)
    with np.errstate(divide="ignore"):
        highpass = np.where(frequency > 0, 1 / np.sqrt(1 + (highpass_hz / np.maximum(frequency, 1e-9)) ** 8), 0.0)
    octaves = np.log2(np.clip(frequency, 20.0, 20000.0) / 1000.0)
    response = highpass * 10 ** (tilt_db_per_octave * octaves / 20)
    # Single precision: three times faster, and its error (about -130 dB) is far below 24-bit's.
    spectrum = sp_fft.rfft(mix.astype(np.float32), n=size, axis=0) * response[:, None].astype(np.float32)
    return sp_fft.irfft(spectrum, n=size, axis=0)[:frames].astype(np.float64)


def _sample_peaks(audio: np.ndarray) -> np.ndarray:
    return np.maximum(np.abs(audio[:, 0]), np.abs(audio[:, 1]))


def _true_peaks(audio: np.ndarray) -> np.ndarray:
    """Per sample, the highest magnitude of the 4x-oversampled signal from it to the next sample.

    The interpolator is a 97-tap Kaiser-windowed sinc cut at the original Nyquist frequency
    (BS.1770's meter uses 48 taps; twice as long follows the near-Nyquist content that clipping
    makes more closely), split into its four phases: phase 0 is the sample itself, and phases
    1-3 (24 taps each) are the values a quarter, half and three quarters of the way to the next.
    """
    peaks = _sample_peaks(audio)
    for phase in _PHASES:
        for channel in range(audio.shape[1]):
            between = np.convolve(audio[:, channel], phase)[12 : 12 + len(audio)]
            np.maximum(peaks, np.abs(between), out=peaks)
    return peaks


_INTERPOLATOR = 4 * signal.firwin(97, 0.125, window=("kaiser", 8.0), fs=1.0)  # 0.125: the original Nyquist
# Phase p's value at sample i + p/4 is sum over k of _INTERPOLATOR[4k + p] * x[i + 12 - k].
_PHASES = [_INTERPOLATOR[phase::4][:24] for phase in (1, 2, 3)]


def _limit(audio: np.ndarray, sample_rate: int, ceiling: float, peaks: np.ndarray) -> np.ndarray:
    """Look-ahead limiter: every sample's ``peaks`` value times its gain is at most ``ceiling``.

    The gain each sample needs is min(1, ceiling / peak). Its minimum over the window from
    ``hold`` before to ``attack`` after a sample, averaged over the last ``attack`` samples, is at
    every sample at most what that sample needs (each averaged minimum's window contains it), so
    the attack is a linear ramp that ends at the peak. Release: the minimum of that gain and a
    one-pole smoothing of it, which is also never above it. The gain is never above 1, so no
    sample grows.
    """
    attack = max(1, round(LIMITER_ATTACK_S * sample_rate))
    hold = round(LIMITER_HOLD_S * sample_rate)
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    window = hold + attack
    lowest = minimum_filter1d(needed, window, origin=hold - window // 2, mode="nearest")
    gain = uniform_filter1d(lowest, attack, origin=(attack - 1) // 2, mode="nearest")
    pole = math.exp(-1 / (LIMITER_RELEASE_S * sample_rate))
    released, _ = signal.lfilter([1 - pole], [1, -pole], gain, zi=[pole * gain[0]])
    return audio * np.minimum(gain, released)[:, None]


def _soft_clip(audio: np.ndarray, knee: float, ceiling: float) -> np.ndarray:
    """Linear up to ``knee``, then a tanh curve that approaches ``ceiling`` and never reaches it."""
    if knee >= ceiling:
        return np.clip(audio, -ceiling, ceiling)
    out = audio.copy()
    over = np.abs(audio) > knee
    loud = audio[over]
    out[over] = np.sign(loud) * (knee + (ceiling - knee) * np.tanh((np.abs(loud) - knee) / (ceiling - knee)))
    return out


def _master(mix: np.ndarray, sample_rate: int, target_lufs: float, clip_db: float) -> np.ndarray:
    """Gain into limiter, clipper and true-peak limiter, searched until the loudness is the target."""
    ceiling = 10 ** (CEILING_DBFS / 20)
    limit_to, knee = ceiling * 10 ** (clip_db / 20), ceiling * 10 ** (-clip_db / 20)

    def chain(audio: np.ndarray, gain_db: float, *, true_peak: bool = True) -> np.ndarray:
        audio = audio * 10 ** (gain_db / 20)
        audio = _soft_clip(_limit(audio, sample_rate, limit_to, _sample_peaks(audio)), knee, ceiling)
        # The clipper's corners and the limiter's fast gain make peaks between samples: a last
        # limiter on the oversampled peaks keeps those near the ceiling as well.
        if not true_peak:
            return audio
        return _limit(audio, sample_rate, ceiling, _true_peaks(audio))

    def loudness(audio: np.ndarray) -> float:
        return integrated_loudness(audio, sample_rate)

    # Secant steps on the first 8 s (the patterns repeat every 4 bars) without the true-peak
    # stage, which only takes a few tenths of a dB off; it is in the correction steps after.
    excerpt = mix[: min(len(mix), 8 * sample_rate)]
    start = loudness(excerpt)
    if not math.isfinite(start):
        return chain(mix, 0.0)
    gain, slope = target_lufs - start, 1.0  # slope: LU of loudness per dB of gain (limiting: < 1)
    previous = None
    for _ in range(12):
        measured = loudness(chain(excerpt, gain, true_peak=False))
        error = target_lufs - measured
        if abs(error) < LOUDNESS_TOLERANCE_LU:
            break
        if previous is not None and gain != previous[0]:
            slope = min(1.0, max(0.05, (measured - previous[1]) / (gain - previous[0])))
        previous = (gain, measured)
        gain += min(24.0, max(-24.0, error / slope))

    gain += (target_lufs - loudness(chain(excerpt, gain))) / slope
    master = chain(mix, gain)
    error = target_lufs - loudness(master)
    if abs(error) > 2 * LOUDNESS_TOLERANCE_LU:
        master = chain(mix, gain + error / slope)
    return master


@cache
def _k_weighting(sample_rate: int) -> np.ndarray:
    """BS.1770 K-weighting as second-order sections for any rate (libebur128's analogue parameters)."""
    # Stage 1: the high shelf (head effects).
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / sample_rate)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = [
        (vh + vb * k / q + k * k) / a0,
        2 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2 * (k * k - 1) / a0,
        (1 - k / q + k * k) / a0,
    ]
    # Stage 2: the RLB high-pass.
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / sample_rate)
    a0 = 1 + k / q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    return np.array([shelf, highpass])
