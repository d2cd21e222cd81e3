"""Spectral measures from the shared STFT: spectrum shape, per-band statistics, dynamics, THD.

Everything here works on whole blocks of frames at once (numpy over frames x bins) and keeps only
per-bin sums and fixed histograms, so memory does not grow with the file. ``P_c`` below is
channel c's power spectrum of a frame scaled by the STFT's bin weights, i.e. the contribution of
each bin to the channel's mean square in that frame (see :mod:`mastering.analysis.stft`), and
``P`` its mean over the channels; the analysis range is 20 Hz to 20 kHz (below Nyquist).

Whole file:

* ``spectral_centroid_hz``: the power-weighted mean frequency of the long-term spectrum (``P``
  summed over all frames), ``sum f P / sum P`` over 20 Hz - 20 kHz. A 1 kHz sine gives 1 kHz.
* ``spectral_rolloff_hz``: the lowest bin frequency at which the long-term spectrum's cumulative
  power reaches 85 % of its 20 Hz - 20 kHz total.
* ``spectral_flatness``: per frame and channel, the geometric over the arithmetic mean of
  ``P_c`` over 20 Hz - 20 kHz (floored at 1e-12, -120 dB a bin), averaged over the frames and
  channels that are not silent (level >= -70 dBFS). 0 for a pure tone, ~0.56 for white noise
  (exp(-Euler's gamma), the expected value for a periodogram of Gaussian noise), 1 only for a
  perfectly flat frame. Per channel, so that two channels of unrelated noise read as one does.
* ``dynamic_range_db``: the 95th minus the 10th percentile of the frame levels (the mean square
  of each Hann-windowed frame, 93 ms at 44.1 kHz, hop 46 ms, all bins, averaged over channels,
  in dBFS) over the frames at or above -70 dBFS. 0 for a steady tone; 20 dB for a tone that
  alternates between two levels 20 dB apart. None when no frame passes the gate.
* ``thd_percent``: an estimate on the dominant harmonic series of each frame. The fundamental
  is the strongest bin between max(20 Hz, 5 bins) and min(rate / 4, 10 kHz), refined by a
  parabola through the log power of it and its neighbours; frames count only when they are not
  silent and that bin holds at least 100 times (20 dB) the frame's mean bin power (noise-like
  frames are skipped). THD = 100 sqrt(sum_h E_h / E_1), where E_1 is the power of the 5 bins
  around the fundamental and E_h that of the 5 bins around h times it, for h = 2..10 while
  below 20 kHz and Nyquist. The file's value is the median over the counted frames; None when
  no frame counts (silence, noise). 1 % of second harmonic reads 1 %; a pure sine reads ~0.
  It is an approximation: partials of other notes that fall on the harmonic bins count as
  distortion, so music reads higher than its electrical THD.

Per band (bins of :mod:`mastering.analysis.bands`):

* ``spectral_centroid_hz`` and ``spectral_flatness``: as above, within the band's bins (the
  flatness averaged over the frames and channels whose band level is >= -90 dBFS and whose
  full level is >= -70 dBFS).
* ``dynamic_range_db``: 95th minus 10th percentile of the band's frame levels (from ``P``), over
  the frames whose full level is >= -70 dBFS and band level >= -90 dBFS.
* ``stereo_width`` and ``phase_correlation``: from the long-term per-bin sums of ``|L|^2``,
  ``|R|^2`` and ``Re(L R*)`` over the band: correlation = sum Re(L R*) / sqrt(sum|L|^2 sum|R|^2),
  width = side / (mid + side) energy = (sum|L|^2 + sum|R|^2 - 2 sum Re(L R*)) / (2 (sum|L|^2 +
  sum|R|^2)). Mono files: width 0, correlation 1 by definition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mastering.analysis.bands import BANDS, band_bins
from mastering.analysis.stats import Histogram
from mastering.analysis.stft import StreamingSTFT

SILENCE_DBFS = -70.0
BAND_FLOOR_DBFS = -90.0
FLATNESS_FLOOR = 1e-12
ROLLOFF = 0.85
THD_PROMINENCE = 100.0
THD_MAX_HARMONIC = 10
THD_HALF_WIDTH = 2
LEVEL_LOW, LEVEL_HIGH, LEVEL_STEP = -160.0, 40.0, 0.01


@dataclass(frozen=True)
class BandSpectral:
    spectral_centroid_hz: float | None
    spectral_flatness: float | None
    dynamic_range_db: float | None
    stereo_width: float | None
    phase_correlation: float | None


@dataclass(frozen=True)
class SpectralSummary:
    spectral_centroid_hz: float | None
    spectral_rolloff_hz: float | None
    spectral_flatness: float | None
    dynamic_range_db: float | None
    thd_percent: float | None
    tonal_frame_share: float | None  # frames counted for THD / non-silent frames
    tonal_prominence_db: float | None  # mean dominant-peak prominence over those frames
    log_band_levels_db: tuple[float, ...] | None  # 32 log-spaced bands, dB relative to the total
    bands: tuple[BandSpectral, ...]


def _db(values: np.ndarray) -> np.ndarray:
    return 10.0 * np.log10(np.maximum(values, 1e-30))


def _ratio_or_none(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


class SpectralAccumulator:
    LOG_BANDS = 32

    def __init__(self, stft: StreamingSTFT) -> None:
        self.stft = stft
        self.channels = stft.channels
        bins = stft.bins
        bin_hz = stft.bin_hz
        self.first, self.end = band_bins(BANDS[0], bin_hz, bins)[0], max(band_bins(b, bin_hz, bins)[1] for b in BANDS)
        self.band_ranges = [band_bins(b, bin_hz, bins) for b in BANDS]
        # Non-empty bands tile [first, end) from the lowest; an empty band can only be the top ones.
        filled = [(first, end) for first, end in self.band_ranges if end > first]
        self.band_starts = np.array([first - self.first for first, _ in filled], dtype=np.intp)
        self.band_counts = [end - first for first, end in filled]
        self.sum_power = np.zeros(bins)
        self.sum_left = np.zeros(bins)
        self.sum_right = np.zeros(bins)
        self.sum_cross = np.zeros(bins)
        self.levels = Histogram(LEVEL_LOW, LEVEL_HIGH, LEVEL_STEP)
        self.band_levels = [Histogram(LEVEL_LOW, LEVEL_HIGH, LEVEL_STEP) for _ in BANDS]
        self.flatness_sum = 0.0
        self.flatness_frames = 0
        self.band_flatness_sum = np.zeros(len(BANDS))
        self.band_flatness_frames = np.zeros(len(BANDS), dtype=np.int64)
        self.loud_frames = 0
        # THD search range and harmonic numbers.
        self.f0_first = max(math.ceil(20.0 / bin_hz), 5)
        self.f0_end = int(min(stft.rate / 4.0, 10000.0) / bin_hz)
        self.thd_limit_bin = min(20000.0 / bin_hz, bins - 1 - THD_HALF_WIDTH - 1)
        self.thd = Histogram(-6.0, 4.0, 0.001)  # log10 of THD in percent
        self.tonal_frames = 0
        self.prominence_sum = 0.0

    def push(self, spectra: np.ndarray) -> np.ndarray:
        """Account a block of spectra (channels x frames x bins); returns P (frames x bins)."""
        # Sums over one block's frames are float32 (at most a few hundred terms), across blocks float64.
        channel_power = [np.square(np.abs(spectra[c])) for c in range(self.channels)]
        if self.channels == 2:
            cross = spectra[0].real * spectra[1].real + spectra[0].imag * spectra[1].imag
            self.sum_left += channel_power[0].sum(axis=0)
            self.sum_right += channel_power[1].sum(axis=0)
            self.sum_cross += cross.sum(axis=0)
        for power in channel_power:
            power *= self.stft.bin_weights  # each channel's own mean square per bin
        power = channel_power[0] if self.channels == 1 else (channel_power[0] + channel_power[1]) * np.float32(0.5)
        self.sum_power += power.sum(axis=0)

        frame_level = _db(power.sum(axis=1))
        loud = frame_level >= SILENCE_DBFS
        self.levels.add(frame_level[loud])
        self.loud_frames += int(loud.sum())
        if not loud.any():
            return power
        every = loud.all()
        self._band_levels(power[:, self.first : self.end] if every else power[loud, self.first : self.end])
        for channel in channel_power:
            self._flatness(channel[:, self.first : self.end] if every else channel[loud, self.first : self.end])
        self._thd(power if every else power[loud])
        return power

    def _band_sums(self, in_range: np.ndarray) -> np.ndarray:
        """Sums over each non-empty band's bins: frames x bands (the non-empty bands come first)."""
        return np.add.reduceat(in_range, self.band_starts, axis=1)

    def _band_levels(self, in_range: np.ndarray) -> None:
        levels = _db(self._band_sums(in_range))
        for index in range(len(self.band_starts)):
            level_db = levels[:, index]
            self.band_levels[index].add(level_db[level_db >= BAND_FLOOR_DBFS])

    def _flatness(self, in_range: np.ndarray) -> None:
        """Flatness of one channel's frames (a channel that is silent in a frame does not count)."""
        loud = _db(in_range.sum(axis=1)) >= SILENCE_DBFS
        if not loud.any():
            return
        if not loud.all():
            in_range = in_range[loud]
        logs = np.log(in_range + np.float32(FLATNESS_FLOOR))
        arithmetic = in_range.mean(axis=1, dtype=np.float64) + FLATNESS_FLOOR
        geometric = np.exp(logs.mean(axis=1, dtype=np.float64))
        self.flatness_sum += float(np.sum(np.minimum(geometric / arithmetic, 1.0)))
        self.flatness_frames += in_range.shape[0]
        levels = self._band_sums(in_range).astype(np.float64)
        log_sums = self._band_sums(logs).astype(np.float64)
        for index, count in enumerate(self.band_counts):
            keep = _db(levels[:, index]) >= BAND_FLOOR_DBFS
            if not keep.any():
                continue
            geometric = np.exp(log_sums[keep, index] / count)
            arithmetic = levels[keep, index] / count + FLATNESS_FLOOR
            self.band_flatness_sum[index] += float(np.sum(np.minimum(geometric / arithmetic, 1.0)))
            self.band_flatness_frames[index] += int(keep.sum())

    def _thd(self, power: np.ndarray) -> None:
        if self.f0_end - self.f0_first < 3:
            return
        search = power[:, self.f0_first : self.f0_end]
        peak = np.argmax(search, axis=1) + self.f0_first
        rows = np.arange(power.shape[0])
        peak_power = power[rows, peak].astype(np.float64)
        mean_power = power[:, self.first : self.end].mean(axis=1, dtype=np.float64)
        tonal = (peak_power >= THD_PROMINENCE * mean_power) & (peak_power > 0)
        tonal &= (peak > self.f0_first) & (peak < self.f0_end - 1)
        if not tonal.any():
            return
        rows, peak = rows[tonal], peak[tonal]
        # Parabolic interpolation of the log power around the peak bin.
        a = np.log(power[rows, peak - 1].astype(np.float64) + 1e-30)
        b = np.log(power[rows, peak].astype(np.float64) + 1e-30)
        c = np.log(power[rows, peak + 1].astype(np.float64) + 1e-30)
        denominator = a - 2.0 * b + c
        safe = np.where(np.abs(denominator) > 1e-12, denominator, -1.0)
        offset = np.clip(np.where(np.abs(denominator) > 1e-12, 0.5 * (a - c) / safe, 0.0), -0.5, 0.5)
        f0 = peak + offset
        span = np.arange(-THD_HALF_WIDTH, THD_HALF_WIDTH + 1)
        fundamental = power[rows[:, None], peak[:, None] + span].sum(axis=1, dtype=np.float64)
        harmonics = np.arange(2, THD_MAX_HARMONIC + 1)
        centres = np.rint(f0[:, None] * harmonics[None, :]).astype(np.int64)
        valid = centres + THD_HALF_WIDTH <= self.thd_limit_bin
        centres = np.where(valid, centres, 0)
        indices = np.clip(centres[:, :, None] + span[None, None, :], 0, power.shape[1] - 1)
        energy = power[rows[:, None, None], indices].sum(axis=2, dtype=np.float64)
        distortion = np.where(valid, energy, 0.0).sum(axis=1)
        usable = valid[:, 0] & (fundamental > 0)
        if not usable.any():
            return
        thd = 100.0 * np.sqrt(distortion[usable] / fundamental[usable])
        self.thd.add(np.log10(np.maximum(thd, 1e-6)))
        self.tonal_frames += int(usable.sum())
        prominence = peak_power[tonal][usable] / np.maximum(mean_power[tonal][usable], 1e-30)
        self.prominence_sum += float(np.sum(_db(prominence)))

    # --- results -----------------------------------------------------------------------------

    def finish(self) -> SpectralSummary:
        frequencies = self.stft.frequencies
        spectrum = self.sum_power[self.first : self.end]
        freqs = frequencies[self.first : self.end]
        total = float(spectrum.sum())
        centroid = rolloff = None
        log_levels = None
        if total > 0:
            centroid = float(np.sum(freqs * spectrum) / total)
            cumulative = np.cumsum(spectrum)
            rolloff = float(freqs[min(int(np.searchsorted(cumulative, ROLLOFF * total)), len(freqs) - 1)])
            log_levels = self._log_band_levels(freqs, spectrum, total)
        thd_log = self.thd.percentile(50.0)
        bands = tuple(self._band(index) for index in range(len(BANDS)))
        dr = None
        if self.levels.total:
            dr = self.levels.percentile(95.0) - self.levels.percentile(10.0)
        return SpectralSummary(
            spectral_centroid_hz=centroid,
            spectral_rolloff_hz=rolloff,
            spectral_flatness=_ratio_or_none(self.flatness_sum, self.flatness_frames),
            dynamic_range_db=dr,
            thd_percent=None if thd_log is None else 10.0**thd_log,
            tonal_frame_share=_ratio_or_none(self.tonal_frames, self.loud_frames),
            tonal_prominence_db=_ratio_or_none(self.prominence_sum, self.tonal_frames),
            log_band_levels_db=log_levels,
            bands=bands,
        )

    def _log_band_levels(self, freqs: np.ndarray, spectrum: np.ndarray, total: float) -> tuple[float, ...]:
        """The long-term spectrum in 32 log-spaced bands from 20 Hz to 20 kHz, dB relative to the total."""
        edges = np.geomspace(20.0, 20000.0, self.LOG_BANDS + 1)
        index = np.clip(np.searchsorted(edges, freqs, side="right") - 1, 0, self.LOG_BANDS - 1)
        sums = np.bincount(index, weights=spectrum, minlength=self.LOG_BANDS)
        return tuple(float(v) for v in _db(sums / total))

    def _band(self, index: int) -> BandSpectral:
        first, end = self.band_ranges[index]
        if end <= first:
            return BandSpectral(None, None, None, None, None)
        spectrum = self.sum_power[first:end]
        total = float(spectrum.sum())
        centroid = float(np.sum(self.stft.frequencies[first:end] * spectrum) / total) if total > 0 else None
        flatness = _ratio_or_none(float(self.band_flatness_sum[index]), int(self.band_flatness_frames[index]))
        histogram = self.band_levels[index]
        dr = histogram.percentile(95.0) - histogram.percentile(10.0) if histogram.total else None
        width, correlation = self.stereo(first, end)
        return BandSpectral(centroid, flatness, dr, width, correlation)

    def stereo(self, first: int, end: int) -> tuple[float | None, float | None]:
        """(width, correlation) over the bins [first, end) from the long-term sums."""
        if self.channels == 1:
            return 0.0, 1.0
        left = float(self.sum_left[first:end].sum())
        right = float(self.sum_right[first:end].sum())
        cross = float(self.sum_cross[first:end].sum())
        return stereo_measures(left, right, cross)


def stereo_measures(left: float, right: float, cross: float) -> tuple[float | None, float | None]:
    """(width, correlation) from the energies of L and R and their cross term sum L*R.

    width = side energy / (mid + side energy) with mid = (L+R)/2 and side = (L-R)/2: 0 for
    identical channels, 0.5 for uncorrelated channels of equal level, 1 for inverted ones.
    correlation = sum L R / sqrt(sum L^2 sum R^2): 1 identical, 0 uncorrelated, -1 inverted;
    0 when one channel is silent. Both None when both channels are silent.
    """
    energy = left + right
    if energy <= 0:
        return None, None
    width = min(max((energy - 2.0 * cross) / (2.0 * energy), 0.0), 1.0)
    if left <= 0 or right <= 0:
        return width, 0.0
    correlation = min(max(cross / math.sqrt(left * right), -1.0), 1.0)
    return width, correlation
