"""The five analysis bands, and their band-limited signals for peak, RMS and crest factor.

Bands (Hz): low 20-200, low_mid 200-500, mid 500-2000, high_mid 2000-6000, high 6000-20000.
A band owns the STFT bins whose centre frequency ``f`` satisfies ``low <= f < high`` (and
``f`` below the Nyquist frequency, so at 32 kHz the high band stops at 16 kHz and at 8 kHz it is
empty: its measures are then None). Nothing below 20 Hz or from 20 kHz up belongs to any band.

**Band-limited signals.** Each STFT frame (periodic Hann, hop n_fft/2, see
:mod:`mastering.analysis.stft`) is masked to a band's bins and transformed back; since the
windows add up to 1 at that hop, adding the halves of neighbouring frames (overlap-add) gives
the band-filtered signal (a brick-wall filter with the frame's resolution, ~11 Hz at 44.1 kHz).
The low bands are narrow, so their signal is produced directly at a lower rate: the inverse
transform keeps only the first ``n_fft / (2 d) + 1`` bins and has length ``n_fft / d``, which
yields exactly every d-th sample of the band signal. ``d`` is the largest power of two that
keeps the band's bins and leaves at least :data:`SAMPLES_PER_CYCLE` samples per cycle of the
band's top frequency (at 44.1 kHz: d = 8 for low, 4 for low_mid, 1 for the others), so a
band's peak is read at most 1 - cos(pi / 20) = 1.2 % (0.11 dB) low, and the inverse
transforms cost a third less.

Per band and channel the module keeps the peak ``max |y|`` and the sum of ``y^2``:

* ``peak_dbfs``: the largest absolute value of the band signal over all channels, dBFS;
* ``rms_dbfs``: 10 log10 of the band signal's mean square, averaged over channels (a full-scale
  sine is -3.01 dBFS);
* ``crest_factor_db``: peak_dbfs - rms_dbfs (3.01 dB for a sine);
* ``energy_share``: the band's mean square over the sum of the five bands' mean squares (the
  shares add up to 1), and ``energy_db`` = 10 log10(energy_share), how far the band lies below
  the whole 20 Hz - 20 kHz signal.

All are None for a band without signal (digital silence, or no bins at this sample rate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.fft

SAMPLES_PER_CYCLE = 20


@dataclass(frozen=True)
class Band:
    name: str
    low_hz: float
    high_hz: float


BANDS = (
    Band("low", 20.0, 200.0),
    Band("low_mid", 200.0, 500.0),
    Band("mid", 500.0, 2000.0),
    Band("high_mid", 2000.0, 6000.0),
    Band("high", 6000.0, 20000.0),
)


def band_bins(band: Band, bin_hz: float, bins: int) -> tuple[int, int]:
    """The half-open range of STFT bins [first, end) of ``band`` (empty when first >= end)."""
    first = math.ceil(band.low_hz / bin_hz - 1e-9)
    end = min(math.ceil(band.high_hz / bin_hz - 1e-9), bins - 1)  # never the Nyquist bin
    return first, max(first, end)


@dataclass(frozen=True)
class BandSignalStats:
    peak: float  # linear amplitude
    mean_square: float  # averaged over channels


class _BandSignal:
    def __init__(self, first: int, end: int, n_fft: int, rate: float, channels: int) -> None:
        self.first, self.end = first, end
        top_hz = end * rate / n_fft
        decimation = 1
        while n_fft // (2 * decimation * 2) >= end and rate / (decimation * 2) >= SAMPLES_PER_CYCLE * top_hz:
            decimation *= 2
        self.decimation = decimation
        self.size = n_fft // decimation
        self.columns = self.size // 2 + 1
        self.half = self.size // 2
        self.carry = np.zeros((channels, self.half), dtype=np.float32)
        self.peak = 0.0
        self.sum_squares = np.zeros(channels)

    def push(self, spectra: np.ndarray) -> None:
        channels, frames, _ = spectra.shape
        masked = np.zeros((channels, frames, self.columns), dtype=np.complex64)
        masked[..., self.first : self.end] = spectra[..., self.first : self.end]
        if self.decimation != 1:
            masked *= np.float32(1.0 / self.decimation)
        signal = scipy.fft.irfft(masked, n=self.size, axis=-1)
        # Overlap-add: each output hop is the second half of one frame plus the first half of the next.
        out = signal[..., : self.half]
        out[:, 0] += self.carry
        out[:, 1:] += signal[:, :-1, self.half :]
        self.carry = signal[:, -1, self.half :].copy()
        self._account(out.reshape(channels, -1))

    def _account(self, samples: np.ndarray) -> None:
        if samples.size == 0:
            return
        self.peak = max(self.peak, float(samples.max()), -float(samples.min()))
        for channel in range(samples.shape[0]):
            row = samples[channel]
            self.sum_squares[channel] += float(np.dot(row, row))

    def finish(self, real_frames: int) -> BandSignalStats:
        self._account(self.carry)
        self.carry = self.carry[:, :0]
        count = real_frames / self.decimation
        mean_square = float(np.mean(self.sum_squares)) / count if count > 0 else 0.0
        return BandSignalStats(peak=self.peak, mean_square=mean_square)


class BandSignals:
    """Peak and mean square of each band's signal, from the shared STFT (None for an empty band)."""

    def __init__(self, n_fft: int, rate: int, channels: int) -> None:
        bins = n_fft // 2 + 1
        bin_hz = rate / n_fft
        self.signals: list[_BandSignal | None] = []
        for band in BANDS:
            first, end = band_bins(band, bin_hz, bins)
            self.signals.append(_BandSignal(first, end, n_fft, rate, channels) if end > first else None)

    def push(self, spectra: np.ndarray, bands: range | None = None) -> None:
        """Account a block of spectra, for every band or only the bands of these indices."""
        for index in range(len(self.signals)) if bands is None else bands:
            signal = self.signals[index]
            if signal is not None:
                signal.push(spectra)

    def finish(self, real_frames: int) -> list[BandSignalStats | None]:
        return [None if s is None else s.finish(real_frames) for s in self.signals]
