"""Time-domain measures: RMS, stereo correlation and width, onsets, attack time, transients.

Per block the samples are reduced at once with numpy (a 2 x 2 Gram matrix ``X^T X`` of the
block, and 1 ms frames of the squared samples); only those small summaries are kept.

* ``rms_dbfs``: 10 log10 of the mean of x^2 over all samples and channels (a full-scale sine is
  -3.01 dBFS). None for digital silence. ``crest_factor_db`` = sample peak - rms_dbfs.
* ``phase_correlation``: sum L R / sqrt(sum L^2 sum R^2) over the whole file: 1 for identical
  channels, 0 for unrelated ones, -1 for inverted ones; 0 when one channel is silent, None when
  both are; 1 for a mono file by definition.
* ``stereo_width``: side / (mid + side) energy with mid = (L + R) / 2 and side = (L - R) / 2:
  0 for mono or identical channels, 0.5 for unrelated channels of equal level, 1 for inverted
  ones (see :func:`mastering.analysis.spectral.stereo_measures`).

**The onset envelope.** 1 ms frames (``round(rate / 1000)`` samples): ``A`` is the largest
absolute sample of the frame over the channels, ``W`` the mean square. The envelope ``E`` is
``A`` held for 10 ms (the maximum of the last 10 frames), which follows a rise at once and
rides over the cycles of a bass down to 40 Hz without rippling. An **onset** is a frame where
``E`` has risen at least 6 dB above its minimum over the previous 20 ms and is at least
-60 dBFS, at least 50 ms after the previous onset and 30 ms after the start of the file (a
steady tone or steady noise has none, even when the file starts abruptly).

For each onset at frame n:

* the rise goes from ``lo`` = min E over [n - 30 ms, n] to ``hi`` = max E over [n, n + 100 ms];
  the **attack time** is the time from the last frame below ``lo + 0.1 (hi - lo)`` before the
  peak to the first frame at or above ``lo + 0.9 (hi - lo)`` (10 % to 90 % of the rise, in
  amplitude), in ms with 1 ms resolution;
* the onset's **crest** is 20 log10(hi) minus the RMS level (dBFS) of the 300 ms around it
  ([n - 150 ms, n + 150 ms)): how far the transient stands above the sound around it.

``attack_time_ms`` is the median attack over all onsets, ``transient_preservation`` the median
crest mapped linearly from 3 dB (0: peaks no higher than a sine's, transients flattened) to
20 dB (1: sharp, uncompressed hits), clipped to 0..1, and ``onset_rate`` the onsets per second.
Onsets whose 300 ms window runs past the end of the file are not counted. Attack time and
transient preservation are None when the file has no onset (a steady tone, silence).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mastering.analysis.spectral import stereo_measures
from mastering.analysis.stats import Histogram

HOLD_MS = 10
RISE_WINDOW_MS = 20
RISE_DB = 6.0
ONSET_FLOOR_DBFS = -60.0
REFRACTORY_MS = 50
PRE_MS = 30
POST_MS = 100
CONTEXT_MS = 150
CREST_LOW_DB, CREST_HIGH_DB = 3.0, 20.0
# Frames kept before the first unprocessed one: enough for the hold, the rise window and the context.
HISTORY = HOLD_MS + RISE_WINDOW_MS + CONTEXT_MS + 2


@dataclass(frozen=True)
class DynamicsSummary:
    rms_dbfs: float | None
    stereo_width: float | None
    phase_correlation: float | None
    attack_time_ms: float | None
    transient_preservation: float | None
    onset_crest_db: float | None
    onset_rate: float


class Dynamics:
    def __init__(self, rate: int, channels: int) -> None:
        self.rate = rate
        self.channels = channels
        self.hop = max(1, round(rate / 1000.0))
        self.hop_ms = 1000.0 * self.hop / rate
        self.gram = np.zeros((channels, channels))
        self.samples = 0
        self._remainder = np.zeros((0, channels), dtype=np.float32)
        # Envelope buffers; frame index `self._base` is the first kept. The file starts after a
        # stretch of silence (not counted in the RMS windows, see `valid`).
        self._peak = np.zeros(HISTORY, dtype=np.float64)
        self._power = np.zeros(HISTORY, dtype=np.float64)
        self._valid = np.zeros(HISTORY, dtype=bool)
        self._base = -HISTORY
        self._next = 0  # first frame not yet examined for onsets
        self._last_onset = -(10**9)
        self._was_rising = False
        self.attack = Histogram(0.0, 1000.0, 0.1)
        self.crest = Histogram(-20.0, 80.0, 0.01)
        self.onsets = 0

    def push(self, block: np.ndarray) -> None:
        """Account a block of samples (frames x channels, float32)."""
        self.gram += (block.T @ block).astype(np.float64)
        self.samples += block.shape[0]
        data = np.concatenate([self._remainder, block]) if self._remainder.size else block
        frames = data.shape[0] // self.hop
        self._remainder = data[frames * self.hop :].copy()
        if frames == 0:
            return
        squares = np.square(data[: frames * self.hop]).reshape(frames, self.hop * self.channels)
        self._append(np.sqrt(squares.max(axis=1)).astype(np.float64), squares.mean(axis=1).astype(np.float64))
        self._examine(final=False)

    def _append(self, peak: np.ndarray, power: np.ndarray) -> None:
        self._peak = np.concatenate([self._peak, peak])
        self._power = np.concatenate([self._power, power])
        self._valid = np.concatenate([self._valid, np.ones(len(peak), dtype=bool)])

    def _examine(self, *, final: bool) -> None:
        end = self._base + len(self._peak)  # one past the last frame held
        # Candidates need CONTEXT_MS frames after them (and POST_MS <= CONTEXT_MS).
        stop = end - CONTEXT_MS
        if stop > self._next:
            self._find_onsets(self._next, stop)
            self._next = stop
        if not final:
            keep_from = self._next - HISTORY
            cut = keep_from - self._base
            if cut > 0:
                self._peak = self._peak[cut:]
                self._power = self._power[cut:]
                self._valid = self._valid[cut:]
                self._base = keep_from

    def _find_onsets(self, start: int, stop: int) -> None:
        base = self._base
        peak = self._peak
        # Held envelope for frames [start - RISE_WINDOW_MS - PRE_MS, stop + POST_MS).
        env_start = max(start - RISE_WINDOW_MS - PRE_MS, base + HOLD_MS - 1)
        env_stop = stop + POST_MS
        held_windows = sliding_window_view(peak[env_start - base - HOLD_MS + 1 : env_stop - base], HOLD_MS)
        envelope = held_windows.max(axis=1)  # envelope[i] is frame env_start + i
        env_db = 20.0 * np.log10(np.maximum(envelope, 1e-10))
        # The first PRE_MS of the file are never an onset: their rise window reaches before the start,
        # and a file that starts with sound would otherwise always begin with one.
        first = max(start, env_start + max(RISE_WINDOW_MS, PRE_MS), PRE_MS)
        if stop <= first:
            return
        offset = first - env_start
        previous_min = sliding_window_view(env_db[offset - RISE_WINDOW_MS : stop - env_start - 1], RISE_WINDOW_MS).min(
            axis=1
        )
        current = env_db[offset : stop - env_start]
        rising = (current - previous_min >= RISE_DB) & (current >= ONSET_FLOOR_DBFS)
        before = np.concatenate([[self._was_rising], rising[:-1]])
        self._was_rising = bool(rising[-1])
        candidates = np.flatnonzero(rising & ~before) + first
        if candidates.size == 0:
            return
        # The refractory period, against the previous block's last onset and between candidates.
        accepted = []
        last = self._last_onset
        for frame in candidates.tolist():  # a few per second at most
            if frame - last >= REFRACTORY_MS:
                accepted.append(frame)
                last = frame
        self._last_onset = last
        if not accepted:
            return
        onsets = np.asarray(accepted)
        rel = onsets - env_start
        pre = envelope[rel[:, None] + np.arange(-PRE_MS, 1)[None, :]]
        post = envelope[rel[:, None] + np.arange(POST_MS)[None, :]]
        lo = pre.min(axis=1)
        hi = post.max(axis=1)
        peak_at = post.argmax(axis=1)  # relative to the onset
        rise = hi - lo
        good = (rise > 0) & (hi > 0)
        if not good.any():
            return
        # Attack: from the last frame below 10 % (before the peak) to the first at or above 90 %.
        span = np.concatenate([pre[:, :-1], post], axis=1)  # frames n - PRE_MS .. n + POST_MS - 1
        positions = np.arange(span.shape[1])[None, :]
        peak_position = peak_at[:, None] + PRE_MS
        below = (span < (lo + 0.1 * rise)[:, None]) & (positions < peak_position)
        last_below = np.where(below.any(axis=1), span.shape[1] - 1 - np.argmax(below[:, ::-1], axis=1), -1)
        start_at = last_below + 1
        reached = (span >= (lo + 0.9 * rise)[:, None]) & (positions >= start_at[:, None])
        end_at = np.argmax(reached, axis=1)
        attack_ms = np.maximum(end_at - start_at, 0) * self.hop_ms
        # Crest: the peak over the RMS level of the 300 ms around the onset (frames of the file only).
        around = onsets[:, None] - base + np.arange(-CONTEXT_MS, CONTEXT_MS)[None, :]
        powers = self._power[around]
        valid = self._valid[around]
        mean_power = (powers * valid).sum(axis=1) / np.maximum(valid.sum(axis=1), 1)
        crest = 20.0 * np.log10(np.maximum(hi, 1e-10)) - 10.0 * np.log10(np.maximum(mean_power, 1e-20))
        self.attack.add(attack_ms[good])
        self.crest.add(crest[good])
        self.onsets += int(good.sum())

    def finish(self) -> DynamicsSummary:
        if self._remainder.shape[0]:
            squares = np.square(self._remainder).reshape(1, -1)
            self._append(np.sqrt(squares.max(axis=1)), squares.mean(axis=1, dtype=np.float64))
            self._remainder = self._remainder[:0]
        # Pad the end with silence (not counted in RMS windows) so the last onsets get examined.
        padding = CONTEXT_MS
        self._peak = np.concatenate([self._peak, np.zeros(padding)])
        self._power = np.concatenate([self._power, np.zeros(padding)])
        self._valid = np.concatenate([self._valid, np.zeros(padding, dtype=bool)])
        # Onsets whose window would run past the real end are excluded: examine up to the real end - context.
        self._examine_until(self._base + len(self._peak) - padding - CONTEXT_MS)
        total_power = float(np.trace(self.gram)) / max(self.samples * self.channels, 1)
        rms = 10.0 * math.log10(total_power) if total_power > 0 else None
        if self.channels == 2:
            width, correlation = stereo_measures(self.gram[0, 0], self.gram[1, 1], self.gram[0, 1])
        else:
            width, correlation = 0.0, 1.0
        crest = self.crest.percentile(50.0)
        attack = self.attack.percentile(50.0)
        preservation = None
        if crest is not None:
            preservation = min(max((crest - CREST_LOW_DB) / (CREST_HIGH_DB - CREST_LOW_DB), 0.0), 1.0)
        seconds = self.samples / self.rate
        return DynamicsSummary(
            rms_dbfs=rms,
            stereo_width=width,
            phase_correlation=correlation,
            attack_time_ms=attack,
            transient_preservation=preservation,
            onset_crest_db=crest,
            onset_rate=self.onsets / seconds if seconds > 0 else 0.0,
        )

    def _examine_until(self, stop: int) -> None:
        if stop > self._next:
            self._find_onsets(self._next, stop)
            self._next = stop
