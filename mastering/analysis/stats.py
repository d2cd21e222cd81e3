"""Fixed-memory statistics for streamed measurements: histograms for percentiles, and dB helpers.

A percentile over a whole file (the 95th minus the 10th percentile of frame levels, the median
attack time, ...) would need every value kept until the end, and the memory would grow with the
length of the file. A :class:`Histogram` keeps counts in fixed bins instead: ``step`` wide from
``low`` to ``high`` (values outside are counted in the first or last bin). A percentile is read
as the centre of the bin where the cumulative count reaches ``q`` percent of all values, so it is
exact to within half a bin (0.005 dB for the level histograms used here), whatever the length of
the file.

The dB helpers turn a power or an amplitude into decibels and give ``None`` for zero, negative
or non-finite input, which is how this package represents "-inf" (digital silence) in results.
"""

from __future__ import annotations

import math

import numpy as np


class Histogram:
    """Counts of values in fixed bins, for percentiles in constant memory."""

    def __init__(self, low: float, high: float, step: float) -> None:
        self.low = float(low)
        self.step = float(step)
        self.bins = int(math.ceil((high - low) / step))
        self.counts = np.zeros(self.bins, dtype=np.int64)

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def add(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64).ravel()
        values = values[np.isfinite(values)]
        if values.size == 0:
            return
        index = np.floor((values - self.low) / self.step).astype(np.int64)
        np.clip(index, 0, self.bins - 1, out=index)
        self.counts += np.bincount(index, minlength=self.bins)

    def percentile(self, q: float, minimum: float | None = None) -> float | None:
        """The value below which ``q`` percent of the values lie, or None when there are none.

        With ``minimum``, only the values in bins from the one holding ``minimum`` up count.
        """
        first = 0
        if minimum is not None:
            first = min(max(int(math.floor((minimum - self.low) / self.step)), 0), self.bins - 1)
        counts = self.counts[first:]
        total = int(counts.sum())
        if total == 0:
            return None
        cumulative = np.cumsum(counts)
        # The smallest bin whose cumulative count reaches q% of the values (at least one value).
        rank = max(1.0, q / 100.0 * total)
        index = min(int(np.searchsorted(cumulative, rank - 1e-9)), len(counts) - 1)
        return self.low + (first + index + 0.5) * self.step


def power_db(power: float) -> float | None:
    """10 log10(power), or None for zero, negative or non-finite power."""
    if not math.isfinite(power) or power <= 0.0:
        return None
    return 10.0 * math.log10(power)


def amplitude_db(amplitude: float) -> float | None:
    """20 log10(amplitude), or None for zero, negative or non-finite amplitude."""
    if not math.isfinite(amplitude) or amplitude <= 0.0:
        return None
    return 20.0 * math.log10(amplitude)


def finite_or_none(value: float | None) -> float | None:
    """A plain float, or None for None, NaN and infinities."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def difference(a: float | None, b: float | None) -> float | None:
    """a - b, or None when either is None."""
    if a is None or b is None:
        return None
    return a - b
