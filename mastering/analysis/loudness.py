"""Loudness per ITU-R BS.1770-4 and EBU R128 (Tech 3341, Tech 3342), measured with libebur128.

libebur128 (the C library inside pyebur128, version 1.2.6) K-weights, keeps the 100 ms grid and
gates the integrated loudness; this module feeds it block by block and reads it out:

* **K-weighting and mean square.** Every channel passes the BS.1770 K-filter (a high shelf of
  about +4 dB above 2 kHz and a high pass near 60 Hz, two biquads designed for the file's sample
  rate); the mean square of each channel is weighted (1.0 for left, right and a mono channel) and
  summed. Loudness is ``-0.691 + 10 log10(sum)`` LUFS. A mono file is one channel of weight 1.0
  (BS.1770, and ffmpeg's ``ebur128`` default): the same signal in both channels of a stereo file
  measures 3.01 LU louder.
* **The 100 ms grid.** Audio is fed in steps of exactly 100 ms (libebur128's own
  ``(rate + 5) / 10`` frames). After each step the K-weighted energy of that step is read
  (``ebur128_loudness_window`` over 100 ms). Momentary loudness (M, 400 ms) is the mean of the last
  4 step energies and short-term loudness (S, 3 s) the mean of the last 30, steps before the start
  counting as silence, exactly what libebur128's own M and S give at those instants (and ffmpeg's
  ``ebur128`` every 100 ms). ``momentary_max_lufs`` and ``short_term_max_lufs`` are the maxima
  of these 10 Hz readings. (Asking libebur128 for S itself every 100 ms would sum 3 s of audio
  each time: ten times the cost of the whole measurement.)
* **Integrated loudness (I)** is libebur128's gated mean of 400 ms blocks on the same grid (75 %
  overlap): blocks below -70 LUFS are dropped (absolute gate), then blocks more than 10 LU below
  the mean of the rest (relative gate). Digital silence has no block above the absolute gate and
  gives None.
* **Loudness range (LRA)** per EBU Tech 3342 (2016), from the same 10 Hz short-term readings
  (the 2016 text asks for at least 10 Hz; libebur128's own LRA uses a 1 s step, ffmpeg's
  10 Hz): the readings of full 3 s windows at or above -70 LUFS, then those at or above their
  power mean minus 20 LU; LRA is their 95th minus 10th percentile (kept in a 0.01 LU
  histogram, constant memory). None when the integrated loudness is None or the file is
  shorter than 3 s (no full window).
* The **true peak** and the **sample peak** are measured in :mod:`mastering.analysis.truepeak`,
  with libebur128's own interpolator, vectorised (libebur128's per-sample loop would cost more
  than all the other measures together).

The loudness series for plotting holds M and S every 100 ms (LUFS; None below the -70 LUFS
absolute gate). A long file would give tens of thousands of points, so the series is decimated
as it grows: whenever it would pass :data:`MAX_SERIES_POINTS` points, neighbouring points are
merged in pairs into their maximum and the interval doubles. ``interval_seconds`` is therefore
0.1 x 2^k (0.1 s up to 10 minutes, 0.2 s up to 20, ..., 0.8 s for an hour), each point is the
maximum of the readings in its interval (peaks stay visible), and the last point may cover fewer
readings. Memory stays bounded whatever the length.

**Threading.** pyebur128's Python wrapper holds the GIL while libebur128 works; the same C
functions called through :mod:`ctypes` release it, so the engine runs this meter on a worker
thread beside the numpy work (see :mod:`mastering.analysis.engine`). The ctypes binding uses
the symbols the pyebur128 extension exports (``ebur128_init``, ``ebur128_add_frames_float``,
...); if they are missing, the pyebur128 Python API is used instead, with the same results.
"""

from __future__ import annotations

import ctypes
import math
from dataclasses import dataclass

import numpy as np
import pyebur128
from numpy.lib.stride_tricks import sliding_window_view

from mastering.analysis.stats import Histogram

ABSOLUTE_GATE_LUFS = -70.0
STEP_SECONDS = 0.1
MOMENTARY_STEPS = 4
SHORT_TERM_STEPS = 30
MAX_SERIES_POINTS = 6000

MODE = int(pyebur128.MeasurementMode.MODE_I)
LRA_RELATIVE_GATE_LU = -20.0


@dataclass(frozen=True)
class LoudnessSummary:
    integrated_lufs: float | None
    loudness_range_lu: float | None
    momentary_max_lufs: float | None
    short_term_max_lufs: float | None
    interval_seconds: float
    momentary: tuple[float | None, ...]
    short_term: tuple[float | None, ...]


# --- libebur128 backends ----------------------------------------------------------------------


class _CtypesBackend:
    """libebur128 through ctypes: every call releases the GIL."""

    _lib = None

    @classmethod
    def library(cls):
        # The C declarations: a wrong one either crashes or, on x86-64, happens to work (small
        # heap addresses fit in an int); the tests check that this binding is the one used and
        # reads what pyebur128's own API reads. Mutating them tests the ABI, not this module.
        if cls._lib is None:
            lib = ctypes.CDLL(pyebur128.pyebur128.__file__)
            state, double_p = ctypes.c_void_p, ctypes.POINTER(ctypes.c_double)  # pragma: no mutate (ABI)
            lib.ebur128_init.restype = state  # pragma: no mutate (ABI)
            lib.ebur128_init.argtypes = [ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]  # pragma: no mutate (ABI)
            lib.ebur128_destroy.restype = None  # pragma: no mutate (ABI)
            lib.ebur128_destroy.argtypes = [ctypes.POINTER(state)]  # pragma: no mutate (ABI)
            lib.ebur128_add_frames_float.restype = ctypes.c_int  # pragma: no mutate (ABI)
            lib.ebur128_add_frames_float.argtypes = [state, ctypes.c_void_p, ctypes.c_size_t]  # pragma: no mutate
            lib.ebur128_loudness_window.restype = ctypes.c_int  # pragma: no mutate (ABI)
            lib.ebur128_loudness_window.argtypes = [state, ctypes.c_ulong, double_p]  # pragma: no mutate (ABI)
            lib.ebur128_loudness_global.restype = ctypes.c_int  # pragma: no mutate (ABI)
            lib.ebur128_loudness_global.argtypes = [state, double_p]  # pragma: no mutate (ABI)
            cls._lib = lib
        return cls._lib

    def __init__(self, channels: int, rate: int) -> None:
        self.lib = self.library()
        self.channels = channels
        self.state = self.lib.ebur128_init(channels, rate, MODE)
        if not self.state:
            raise MemoryError("libebur128 could not allocate its state")  # pragma: no mutate (out of memory)
        self._out = ctypes.c_double()
        self._out_ref = ctypes.byref(self._out)

    def add(self, block: np.ndarray, start: int, count: int) -> None:
        address = block.ctypes.data + start * self.channels * block.itemsize
        if self.lib.ebur128_add_frames_float(self.state, address, count) != 0:
            raise MemoryError("libebur128 could not allocate memory")  # pragma: no mutate (out of memory)

    def window(self, milliseconds: int) -> float:
        self.lib.ebur128_loudness_window(self.state, milliseconds, self._out_ref)
        return self._out.value

    def integrated(self) -> float:
        self.lib.ebur128_loudness_global(self.state, self._out_ref)
        return self._out.value

    def close(self) -> None:
        if self.state:
            self.lib.ebur128_destroy(ctypes.byref(ctypes.c_void_p(self.state)))
            self.state = None  # pragma: no mutate (any false value)


class _PythonBackend:
    """The same measurement through pyebur128's own API (holds the GIL while it works)."""

    def __init__(self, channels: int, rate: int) -> None:
        self.state = pyebur128.R128State(channels, rate, MODE)

    def add(self, block: np.ndarray, start: int, count: int) -> None:
        frames = block[start : start + count].reshape(-1)  # pragma: no mutate (numpy reads -2 as -1)
        self.state.add_frames(frames, count)

    def window(self, milliseconds: int) -> float:
        return pyebur128.get_loudness_window(self.state, milliseconds)

    def integrated(self) -> float:
        return pyebur128.get_loudness_global(self.state)

    def close(self) -> None:
        self.state = None  # pragma: no mutate (any value drops the state)


def _backend(channels: int, rate: int):
    try:
        return _CtypesBackend(channels, rate)
    except (OSError, AttributeError):
        return _PythonBackend(channels, rate)


# --- the decimated series ----------------------------------------------------------------------


class DecimatingSeries:
    """Values at a fixed interval, merged in pairs (maximum) whenever they pass ``max_points``."""

    def __init__(self, max_points: int = MAX_SERIES_POINTS) -> None:
        self.max_points = max_points
        self.factor = 1  # readings per point
        self.points: list[float] = []
        self._partial = -math.inf
        self._partial_count = 0

    def extend(self, values) -> None:
        for value in values:
            value = float(value)
            if value > self._partial:  # pragma: no mutate (>=: the same maximum)
                self._partial = value
            self._partial_count += 1
            if self._partial_count == self.factor:
                self.points.append(self._partial)
                self._partial, self._partial_count = -math.inf, 0
                if len(self.points) > self.max_points:
                    self._halve()

    def _halve(self) -> None:
        # Called as a point completes, so no partial point is pending.
        points = self.points
        if len(points) % 2:
            # The odd last point becomes the start of the next, twice as long, partial point.
            self._partial, self._partial_count = points[-1], self.factor
            points = points[:-1]
        self.points = [max(points[i], points[i + 1]) for i in range(0, len(points), 2)]
        self.factor *= 2

    def finish(self) -> list[float]:
        if self._partial_count:
            self.points.append(self._partial)
            self._partial, self._partial_count = -math.inf, 0
        return self.points


# --- the meter -----------------------------------------------------------------------------------


def _lufs(energy: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):  # pragma: no mutate (a warning, not a value)
        return np.where(energy > 0.0, 10.0 * np.log10(np.maximum(energy, 1e-300)) - 0.691, -np.inf)


def _gated(value: float) -> float | None:
    if not math.isfinite(value) or value < ABSOLUTE_GATE_LUFS:
        return None
    return value


class LoudnessMeter:
    """Feeds blocks to libebur128 (:meth:`feed`); :meth:`finish` gives the summary."""

    def __init__(self, channels: int, rate: int, *, series_points: int = MAX_SERIES_POINTS) -> None:
        self.step_frames = (rate + 5) // 10  # pragma: no mutate (libebur128's 100 ms; +6 is the same for real rates)
        self._backend = _backend(channels, rate)
        self._position = 0  # frames into the current 100 ms step
        self._history = np.zeros(SHORT_TERM_STEPS - 1)  # energies of the last 29 steps
        self._steps = 0
        # Loudness range: the short-term readings of full 3 s windows above the absolute gate.
        # No reading passes +3.01 LUFS (a full-scale sine in both channels): +20 is room enough.
        self._lra_histogram = Histogram(ABSOLUTE_GATE_LUFS, 20.0, 0.01)  # pragma: no mutate (any top above +3.01)
        self._lra_energy = 0.0
        self._lra_count = 0
        self._momentary = DecimatingSeries(series_points)
        self._short_term = DecimatingSeries(series_points)
        self._momentary_max = -math.inf
        self._short_term_max = -math.inf

    @property
    def releases_gil(self) -> bool:
        """Whether libebur128 runs without the GIL (ctypes), so that other threads can work meanwhile."""
        return isinstance(self._backend, _CtypesBackend)

    def feed(self, block: np.ndarray) -> None:
        """Measure a float32 C-contiguous block (frames x channels)."""
        self._process(block)

    def finish(self) -> LoudnessSummary:
        try:
            return self._summary()
        finally:
            self.close()

    def close(self) -> None:
        """Free libebur128's state (also after an error)."""
        self._backend.close()

    def _process(self, block: np.ndarray) -> None:
        frames = block.shape[0]
        energies = []
        start = 0
        while start < frames:
            count = min(self.step_frames - self._position, frames - start)
            self._backend.add(block, start, count)
            start += count
            self._position += count
            if self._position == self.step_frames:
                self._position = 0
                loudness = self._backend.window(100)
                energies.append(10.0 ** ((loudness + 0.691) / 10.0))  # silence reads -inf: a power of 0.0
        if energies:
            self._add_steps(np.asarray(energies))

    def _add_steps(self, energies: np.ndarray) -> None:
        steps = np.concatenate([self._history, energies])
        short_term = _lufs(sliding_window_view(steps, SHORT_TERM_STEPS).mean(axis=1))
        recent = steps[-(len(energies) + MOMENTARY_STEPS - 1) :]
        momentary = _lufs(sliding_window_view(recent, MOMENTARY_STEPS).mean(axis=1))
        self._history = steps[-(SHORT_TERM_STEPS - 1) :].copy()
        self._momentary_max = max(self._momentary_max, float(momentary.max()))
        self._short_term_max = max(self._short_term_max, float(short_term.max()))
        self._momentary.extend(momentary)
        self._short_term.extend(short_term)
        # Readings before the 30th step average over silence before the start: not for LRA.
        first_full = max(0, SHORT_TERM_STEPS - 1 - self._steps)
        self._steps += len(energies)
        full = short_term[first_full:]
        gated = full[full >= ABSOLUTE_GATE_LUFS]  # pragma: no mutate (no reading is exactly -70.0)
        self._lra_histogram.add(gated)
        self._lra_energy += float(np.sum(10.0 ** ((gated + 0.691) / 10.0)))
        self._lra_count += len(gated)

    def _summary(self) -> LoudnessSummary:
        backend = self._backend
        integrated = _gated(backend.integrated())
        # No integrated loudness means no 400 ms block reached -70 LUFS, so no 3 s window did:
        # the range is None then too.
        loudness_range = self._loudness_range()
        momentary = self._momentary.finish()
        short_term = self._short_term.finish()
        interval = STEP_SECONDS * self._momentary.factor
        return LoudnessSummary(
            integrated_lufs=integrated,
            loudness_range_lu=loudness_range,
            momentary_max_lufs=_gated(self._momentary_max),
            short_term_max_lufs=_gated(self._short_term_max),
            interval_seconds=round(interval, 6),  # pragma: no mutate (0.1 x 2^k: 6 digits or 7, the same)
            momentary=tuple(_gated(v) for v in momentary),
            short_term=tuple(_gated(v) for v in short_term),
        )

    def _loudness_range(self) -> float | None:
        """EBU Tech 3342: 95th minus 10th percentile of the gated short-term readings."""
        if self._lra_count == 0:
            return None
        mean = 10.0 * math.log10(self._lra_energy / self._lra_count) - 0.691
        threshold = mean + LRA_RELATIVE_GATE_LU
        # The power mean is at least the quietest reading, so readings pass the gate: both exist.
        high = self._lra_histogram.percentile(95.0, minimum=threshold)
        low = self._lra_histogram.percentile(10.0, minimum=threshold)
        return max(high - low, 0.0)
