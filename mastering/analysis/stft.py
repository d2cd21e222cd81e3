"""The one short-time Fourier transform every spectral measure shares, computed block by block.

Frames are ``n_fft`` samples long with a hop of ``n_fft / 2`` and a periodic Hann window, whose
copies at that hop add up to exactly 1 (so masked frames overlap-added give back a filtered
signal, see :mod:`mastering.analysis.bands`). ``n_fft`` is 4096 at 32 to 60 kHz (93 ms and
10.8 Hz bins at 44.1 kHz), 8192 at 88.2/96 kHz, 16384 at 176.4/192 kHz and 2048 at 22.05 kHz,
so the resolution in time and frequency hardly changes with the sample rate:
``n_fft = 4096 * 2^round(log2(rate / 44100))``.

Streaming: samples that do not yet fill a frame are carried over to the next block. The stream
starts with ``hop`` zeros and ends with ``n_fft`` zeros, so every real sample lies under two
frames and the overlap-add is complete at both ends. Each call returns the rfft of the frames
that became complete, channels first: ``(channels, frames, n_fft / 2 + 1)`` complex64.

Scaling: for a frame ``x`` windowed by ``w``, Parseval gives
``sum (w x)^2 = (|X_0|^2 + 2 sum |X_k|^2 + |X_{N/2}|^2) / N``; dividing by ``sum w^2`` gives the
frame's mean square. :attr:`StreamingSTFT.bin_weights` holds those factors (2 or 1, over
``N sum w^2``), so ``sum_k bin_weights[k] |X_k|^2`` is the mean square of the frame, and the same
sum over a band's bins is the band's mean square. A full-scale sine is 0.5 (-3.01 dBFS).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view


def fft_size(rate: int) -> int:
    exponent = round(math.log2(rate / 44100.0))
    return int(min(max(4096 * 2.0**exponent, 512), 32768))


class StreamingSTFT:
    def __init__(self, rate: int, channels: int) -> None:
        self.rate = rate
        self.channels = channels
        self.n_fft = fft_size(rate)
        self.hop = self.n_fft // 2
        self.bins = self.n_fft // 2 + 1
        self.bin_hz = rate / self.n_fft
        n = np.arange(self.n_fft)
        self.window = (0.5 - 0.5 * np.cos(2.0 * np.pi * n / self.n_fft)).astype(np.float32)
        weights = np.full(self.bins, 2.0)
        weights[0] = weights[-1] = 1.0
        self.bin_weights = (weights / (self.n_fft * float(np.sum(self.window.astype(np.float64) ** 2)))).astype(
            np.float32
        )
        self.frequencies = np.arange(self.bins) * self.bin_hz
        self._pending = np.zeros((channels, self.hop), dtype=np.float32)
        self.frames_done = 0

    def push(self, block: np.ndarray) -> np.ndarray | None:
        """The spectra of the frames completed by ``block`` (frames x channels), or None."""
        data = np.concatenate([self._pending, block.T], axis=1)
        return self._frames(data)

    def flush(self) -> np.ndarray | None:
        """The spectra of the last frames, the stream padded with ``n_fft`` zeros."""
        data = np.concatenate([self._pending, np.zeros((self.channels, self.n_fft), np.float32)], axis=1)
        spectra = self._frames(data)
        self._pending = np.zeros((self.channels, 0), dtype=np.float32)
        return spectra

    def _frames(self, data: np.ndarray) -> np.ndarray | None:
        length = data.shape[1]
        if length < self.n_fft:
            self._pending = data
            return None
        count = (length - self.n_fft) // self.hop + 1
        frames = sliding_window_view(data, self.n_fft, axis=1)[:, :: self.hop][:, :count]
        spectra = scipy.fft.rfft(frames * self.window, axis=-1)
        self._pending = data[:, count * self.hop :].copy()
        self.frames_done += count
        return spectra
