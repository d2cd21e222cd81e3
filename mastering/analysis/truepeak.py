"""True peak (ITU-R BS.1770-4 Annex 2) and sample peak: the largest absolute value of the signal, oversampled.

This is libebur128's own true-peak interpolator (1.2.6, ``interp_create``/``interp_process``):
the same filter, vectorised with numpy instead of its per-sample C loop. It reads what
libebur128's ``MODE_TRUE_PEAK`` reads (to 1e-4 dB, the tests compare them on the same samples)
at about a fifth of the cost; libebur128's loop alone takes longer than ffmpeg's whole
``ebur128=peak=true`` pass over the same file, which is why the engine does not use that mode.

* Oversampling factor 4 below 96 kHz, 2 below 192 kHz, none (the sample peak) from 192 kHz on.
* A 49-tap low-pass FIR, a sinc with its cut-off at the original Nyquist frequency under a Hann
  window: ``h[j] = sinc((j - 24) / factor) * hann(j)``, in polyphase form: component ``p``
  holds ``h[p::factor]``, and its coefficient k weighs the sample k steps back. Component 0 is
  a unit impulse (the original samples are among the outputs); components 1..factor-1 give
  the values between samples, FIRs over the last 12 samples at 4x (24 at 2x).
* The FIR is symmetric, so component ``factor - p`` is component ``p`` reversed: a mirrored
  pair is computed from sums and differences of sample pairs, half the multiplications.
* ``true_peak_dbtp`` is 20 log10 of the largest absolute output over all phases, samples and
  channels; ``sample_peak_dbfs`` that of the largest absolute sample. The filter starts from
  silence, like libebur128's, so a file that starts abruptly is measured with that step.

Streaming: the last samples of each block (11 at 4x) are kept as the filter's history for the
next; each block is worked through in pieces of :data:`CHUNK_FRAMES` frames, which stay in the
CPU cache (twice as fast as whole 2 s blocks).
"""

from __future__ import annotations

import math

import numpy as np

TAPS = 49
CHUNK_FRAMES = 32768


def oversampling_factor(rate: int) -> int:
    if rate < 96000:
        return 4
    if rate < 192000:
        return 2
    return 1


def interpolator(factor: int) -> np.ndarray:
    """The polyphase components 1..factor-1 of libebur128's interpolator: (factor - 1, ceil(49 / factor)).

    Coefficient k of a component applies to the sample k steps back.
    """
    length = (TAPS + factor - 1) // factor
    phases = np.zeros((factor, length))
    for j in range(TAPS):
        m = j - (TAPS - 1) / 2.0
        # The centre tap (m = 0) is in component 0, the unit impulse, which is dropped below.
        c = 1.0 if m == 0 else math.sin(m * math.pi / factor) / (m * math.pi / factor)  # pragma: no mutate
        c *= 0.5 * (1.0 - math.cos(2.0 * math.pi * j / (TAPS - 1)))
        phases[j % factor, j // factor] = c
    return phases[1:]


class TruePeak:
    def __init__(self, rate: int, channels: int) -> None:
        self.factor = oversampling_factor(rate)
        self.peak = 0.0
        self.sample_peak = 0.0
        if self.factor == 1:
            return
        phases = interpolator(self.factor)
        # Drop the trailing taps that are zero in every component (the 13th at 4x).
        length = int(np.max(np.nonzero(np.any(phases != 0.0, axis=0))[0])) + 1
        self.phases = phases[:, :length]
        self.length = length
        # float32 throughout is for speed: float64 would read the same peaks to 1e-4 dB.
        self.history = np.zeros((channels, length - 1), dtype=np.float32)  # pragma: no mutate (float64: same)
        # Component factor - p is component p reversed (the FIR is symmetric: a Hann-windowed sinc
        # of 49 taps around the 25th; a test checks it), which halves the work: with
        # s_k = x[n-k] + x[n-L+1+k] and d_k = x[n-k] - x[n-L+1+k] (k < L/2), a pair's outputs are
        # (S + D) / 2 and (S - D) / 2 with S = sum (a_k + a_{L-1-k}) s_k, D = sum (a_k - a_{L-1-k}) d_k,
        # so the larger of their absolute values is (|S| + |D|) / 2. Only the first L/2
        # coefficients of each are used. Taken as a pair, a self-mirrored component (p = factor / 2)
        # would give the same peak with a zero difference, and a pair taken twice the same peaks:
        # the pragmas below mark mutants that only do more work.
        self.pairs = []  # (sum coefficients, difference coefficients)
        self.selves = []  # coefficients of self-mirrored components
        for p in range(1, self.factor):  # pragma: no mutate (p = 0 repeats the pair of 1 and factor - 1)
            q = self.factor - p  # pragma: no mutate (factor + p: every component a pair, same peaks)
            a = self.phases[p - 1]
            if p == q:
                self.selves.append(a.astype(np.float32))  # pragma: no mutate (float64: same)
            elif p < q:  # pragma: no mutate (p = q is taken above)
                mirror = a[::-1]
                plus, minus = a + mirror, a - mirror
                self.pairs.append((plus.astype(np.float32), minus.astype(np.float32)))  # pragma: no mutate (same)

    def push(self, block: np.ndarray) -> None:
        """Account a block of samples (frames x channels, float32)."""
        for start in range(0, block.shape[0], CHUNK_FRAMES):
            self._push(block[start : start + CHUNK_FRAMES])

    def _push(self, block: np.ndarray) -> None:  # a block of at least one frame (push)
        self.sample_peak = max(self.sample_peak, float(block.max()), -float(block.min()))
        self.peak = max(self.peak, self.sample_peak)
        if self.factor == 1:
            return
        last = self.length - 1
        data = np.concatenate([self.history, block.T], axis=1)  # channels x (L - 1 + frames)
        self.history = data[:, -last:].copy()
        count = block.shape[0]

        def back(k: int) -> np.ndarray:  # x[n - k] for the block's outputs n
            return data[:, last - k : last - k + count]

        selves = [None] * len(self.selves)
        sums = [None] * len(self.pairs)
        differences = [None] * len(self.pairs)
        for k in range(self.length // 2):
            near, far = back(k), back(self.length - 1 - k)
            s_k = near + far
            d_k = near - far if self.pairs else None  # pragma: no mutate (unused without pairs)
            for i, coefficients in enumerate(self.selves):
                selves[i] = coefficients[k] * s_k if k == 0 else selves[i] + coefficients[k] * s_k
            for i, (plus, minus) in enumerate(self.pairs):
                sums[i] = plus[k] * s_k if k == 0 else sums[i] + plus[k] * s_k
                differences[i] = minus[k] * d_k if k == 0 else differences[i] + minus[k] * d_k
        for value in selves:
            self._account(value)
        for total, difference in zip(sums, differences, strict=True):  # pragma: no mutate (one length)
            both = np.abs(total)
            both += np.abs(difference)
            self.peak = max(self.peak, 0.5 * float(both.max()))

    def _account(self, value: np.ndarray) -> None:
        self.peak = max(self.peak, float(value.max()), -float(value.min()))

    def finish(self) -> tuple[float, float]:
        """(true peak, sample peak) as linear values (0 for digital silence)."""
        return self.peak, self.sample_peak
