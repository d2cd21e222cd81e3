"""harmonic_ratio: the harmonic share of the energy, by median-filter harmonic/percussive separation.

Fitzgerald's HPSS (2010), as librosa's ``hpss`` does it, on a coarser spectrogram so that it
costs little:

1. ``S``: magnitude of the shared STFT (power summed over channels), two neighbouring bins
   pooled into one (21.5 Hz at 44.1 kHz), up to a quarter of the sample rate (11 kHz at
   44.1 kHz; harmonic partials above that carry little energy).
2. ``H``: median of ``S`` over 7 frames in time (325 ms at 44.1 kHz; steady partials survive,
   clicks do not); ``P``: median of ``S`` over 9 pooled bins in frequency (194 Hz; broadband
   clicks survive, isolated partials do not). The medians are exact, computed with
   min/max comparator networks (7 and 9 inputs) over whole arrays instead of per-element sorts.
3. Soft masks as librosa's default (power 2): ``M_H = H^2 / (H^2 + P^2)``.
4. ``harmonic_ratio = sum(M_H S^2) / sum(S^2)`` over the file: 1 for a steady tone, about 0.5
   for white noise, near 0 for a click train. None for digital silence.

Streaming: the time median needs 3 frames on each side, so each block keeps the last 6 frames
for the next one; the first and last 3 frames of the file (0.14 s each at 44.1 kHz) are not
counted. The frequency median repeats the edge bins.
"""

from __future__ import annotations

import numpy as np

TIME_KERNEL = 7
FREQUENCY_KERNEL = 9
POOL = 2

# Comparator networks that leave the median in the middle position (Paeth / Devillard).
MEDIAN_NETWORKS = {
    7: (
        [(0, 5), (0, 3), (1, 6), (2, 4), (0, 1), (3, 5), (2, 6), (2, 3), (3, 6), (4, 5), (1, 4), (1, 3), (3, 4)],
        3,
    ),
    9: (
        [
            (1, 2), (4, 5), (7, 8), (0, 1), (3, 4), (6, 7), (1, 2), (4, 5), (7, 8), (0, 3), (5, 8), (4, 7),
            (3, 6), (1, 4), (2, 5), (4, 7), (4, 2), (6, 4), (4, 2),
        ],
        4,
    ),
}  # fmt: skip


def _plan(pairs: list[tuple[int, int]], output: int) -> list[tuple[int, int, bool, bool]]:
    """The comparators needed for ``output``, each with whether its min and its max are used."""
    needed = {output}
    plan = []
    for low, high in reversed(pairs):
        want_min, want_max = low in needed, high in needed
        if want_min or want_max:
            plan.append((low, high, want_min, want_max))
            needed |= {low, high}
    return list(reversed(plan))


_PLANS = {size: (_plan(pairs, output), output) for size, (pairs, output) in MEDIAN_NETWORKS.items()}


def median_of(arrays: list[np.ndarray]) -> np.ndarray:
    """The element-wise median of 7 or 9 equally shaped arrays, exactly, with np.minimum/np.maximum."""
    plan, output = _PLANS[len(arrays)]
    values = list(arrays)
    for low, high, want_min, want_max in plan:
        a, b = values[low], values[high]
        if want_min and want_max:
            values[low], values[high] = np.minimum(a, b), np.maximum(a, b)
        elif want_min:
            values[low] = np.minimum(a, b)
        else:
            values[high] = np.maximum(a, b)
    return values[output]


class HarmonicRatio:
    def __init__(self, bins: int) -> None:
        self.columns = (bins - 1) // (2 * POOL)  # pooled bins up to a quarter of the sample rate
        self.context = TIME_KERNEL - 1
        self.tail = np.zeros((0, self.columns), dtype=np.float32)
        self.harmonic = 0.0
        self.total = 0.0

    def push(self, power: np.ndarray) -> None:
        """Account a block of power spectra (frames x bins, summed over channels)."""
        pooled = power[:, : self.columns * POOL].reshape(power.shape[0], self.columns, POOL).sum(axis=2)
        magnitude = np.sqrt(pooled, dtype=np.float32)
        frames = np.concatenate([self.tail, magnitude]) if self.tail.size else magnitude
        self.tail = frames[-self.context :].copy()
        count = frames.shape[0] - self.context
        if count <= 0:
            return
        half = TIME_KERNEL // 2
        centre = frames[half : half + count]
        harmonic = median_of([frames[i : i + count] for i in range(TIME_KERNEL)])
        reach = FREQUENCY_KERNEL // 2
        padded = np.pad(centre, ((0, 0), (reach, reach)), mode="edge")
        percussive = median_of([padded[:, i : i + self.columns] for i in range(FREQUENCY_KERNEL)])
        h2 = harmonic * harmonic
        p2 = percussive * percussive
        energy = centre * centre
        denominator = h2 + p2
        mask = np.divide(h2, denominator, out=np.full_like(h2, 0.5), where=denominator > 0)
        self.harmonic += float(np.sum(mask * energy, dtype=np.float64))
        self.total += float(np.sum(energy, dtype=np.float64))

    def finish(self) -> float | None:
        if self.total <= 0:
            return None
        return min(max(self.harmonic / self.total, 0.0), 1.0)
