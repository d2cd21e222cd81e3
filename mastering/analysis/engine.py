"""The streaming pass: one read of the file, every measure fed block by block, on two threads.

For each block of ``block_seconds`` (frames x channels, float32) from
:class:`mastering.analysis.reader.AudioSource`,
:class:`mastering.analysis.stft.StreamingSTFT` first turns the frames the block completes into
spectra. Then:

* on a worker thread: the loudness meter (libebur128, :mod:`mastering.analysis.loudness`), the
  true peak (:mod:`mastering.analysis.truepeak`) and the signals of the high_mid and high bands
  (:class:`mastering.analysis.bands.BandSignals`, band peaks and RMS from the spectra);
* on the calling thread: :class:`mastering.analysis.dynamics.Dynamics` (a 2 x 2 Gram matrix and
  1 ms envelope frames: RMS, correlation, width, onsets), the signals of the three lower bands,
  :class:`mastering.analysis.spectral.SpectralAccumulator` (spectrum shape, band statistics,
  frame-level dynamics, THD) and :class:`mastering.analysis.hpss.HarmonicRatio`.

Both sides are numpy, FFTs and libebur128 called through ctypes, which all release the GIL, so
on two cores they run at the same time (each is about half of the work). The worker takes its
blocks in order from a bounded queue (:data:`QUEUE_BLOCKS`); blocks and spectra are only read,
never changed, once handed over. Without the ctypes binding (pyebur128's API holds the GIL)
everything runs on the calling thread.

Each consumer keeps only per-bin sums, fixed histograms and a few frames of context, so memory
is a few blocks whatever the length of the file. When the file ends the STFT is flushed, every
consumer gives its summary and :func:`analyze` assembles the :class:`AnalysisResult`, the
vector (:mod:`mastering.analysis.vector`) and the platform previews
(:mod:`mastering.analysis.platforms`).
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from mastering.analysis import platforms
from mastering.analysis.bands import BANDS, BandSignals, BandSignalStats
from mastering.analysis.dynamics import Dynamics, DynamicsSummary
from mastering.analysis.errors import AnalysisError
from mastering.analysis.hpss import HarmonicRatio
from mastering.analysis.loudness import LoudnessMeter, LoudnessSummary
from mastering.analysis.reader import AudioSource, SourceInfo
from mastering.analysis.result import AnalysisResult, BandMetrics, FileInfo, LoudnessSeries, OverallMetrics
from mastering.analysis.spectral import SpectralAccumulator, SpectralSummary
from mastering.analysis.stats import amplitude_db, difference, finite_or_none, power_db
from mastering.analysis.stft import StreamingSTFT
from mastering.analysis.truepeak import TruePeak
from mastering.analysis.vector import VectorInputs, build_vector

DEFAULT_BLOCK_SECONDS = 2.0
MAX_BLOCK_SECONDS = 60.0
QUEUE_BLOCKS = 3


class _Worker:
    """Runs submitted calls in order on one thread (or at once when not threaded).

    The first error a call raises is raised again on the calling thread, by the next
    :meth:`submit` or by :meth:`join`; calls submitted after it are dropped.
    """

    def __init__(self, threaded: bool) -> None:
        self._error: BaseException | None = None
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        if threaded:
            self._queue = queue.Queue(maxsize=QUEUE_BLOCKS)
            self._thread = threading.Thread(target=self._run, name="analysis-worker", daemon=True)
            self._thread.start()

    def submit(self, call: Callable[[], None]) -> None:
        if self._queue is None:
            call()
            return
        if self._error is not None:
            raise self._error
        self._queue.put(call)

    def _run(self) -> None:
        while True:
            call = self._queue.get()
            if call is None:
                return
            if self._error is None:
                try:
                    call()
                except BaseException as exc:  # noqa: BLE001 - raised again on the calling thread
                    self._error = exc

    def join(self) -> None:
        """Wait for every submitted call; raise the first error one of them raised."""
        self.stop()
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None


@dataclass(frozen=True)
class _Measures:
    info: SourceInfo
    frames: int
    loudness: LoudnessSummary
    true_peak: float  # linear
    sample_peak: float  # linear
    spectral: SpectralSummary
    band_signals: list[BandSignalStats | None]
    dynamics: DynamicsSummary
    harmonic_ratio: float | None


def analyze(
    path: str | Path, *, max_seconds: float | None = None, block_seconds: float = DEFAULT_BLOCK_SECONDS
) -> AnalysisResult:
    """Measure the audio file at ``path``; AnalysisError (readable message) for a file it cannot measure.

    ``max_seconds``: refuse files longer than this (None: no limit). ``block_seconds``: how much
    audio is read and processed at once (memory and speed only; results do not depend on it
    beyond floating-point rounding).
    """
    if not (isinstance(block_seconds, int | float) and 0.05 <= block_seconds <= MAX_BLOCK_SECONDS):
        raise ValueError(f"block_seconds must be between 0.05 and {MAX_BLOCK_SECONDS:g}, not {block_seconds!r}")
    if max_seconds is not None and not (isinstance(max_seconds, int | float) and max_seconds > 0):
        raise ValueError(f"max_seconds must be a positive number or None, not {max_seconds!r}")
    try:
        with AudioSource(path, max_seconds=max_seconds) as source:
            measures = _measure(source, block_seconds)
    except MemoryError as exc:
        # An allocation the file's own numbers asked for (libebur128's state, a long series): the
        # file is what cannot be measured here, said as such, not a worker that dies of it.
        raise AnalysisError(
            "The file needs more memory to analyse than this server can give it; check that it is a "
            "normal stereo or mono export, or try a shorter file."
        ) from exc
    return _result(measures)


def _measure(source: AudioSource, block_seconds: float) -> _Measures:
    """The streaming pass over the whole file."""
    info = source.info
    rate, channels = info.sample_rate, info.channels
    stft = StreamingSTFT(rate, channels)
    spectral = SpectralAccumulator(stft)
    band_signals = BandSignals(stft.n_fft, rate, channels)
    harmonic = HarmonicRatio(stft.bins)
    dynamics = Dynamics(rate, channels)
    true_peak = TruePeak(rate, channels)
    meter = LoudnessMeter(channels, rate)
    worker = _Worker(threaded=meter.releases_gil)

    # The two full-rate top bands are the costliest band signals; the worker takes them.
    worker_bands, own_bands = range(3, len(BANDS)), range(3)

    def worker_share(block, spectra) -> None:
        if block is not None:
            meter.feed(block)
            true_peak.push(block)
        if spectra is not None:
            band_signals.push(spectra, worker_bands)

    def own_share(block, spectra) -> None:
        if block is not None:
            dynamics.push(block)
        if spectra is not None:
            band_signals.push(spectra, own_bands)
            harmonic.push(spectral.push(spectra))

    try:
        for block in source.blocks(max(1, round(block_seconds * rate))):
            spectra = stft.push(block)
            worker.submit(lambda b=block, s=spectra: worker_share(b, s))
            own_share(block, spectra)
        spectra = stft.flush()
        worker.submit(lambda s=spectra: worker_share(None, s))
        own_share(None, spectra)
        worker.join()
        loudness = meter.finish()
    finally:
        worker.stop()
        meter.close()

    frames = source.frames_read
    peak, sample_peak = true_peak.finish()
    return _Measures(
        info=info,
        frames=frames,
        loudness=loudness,
        true_peak=peak,
        sample_peak=sample_peak,
        spectral=spectral.finish(),
        band_signals=band_signals.finish(frames),
        dynamics=dynamics.finish(),
        harmonic_ratio=harmonic.finish(),
    )


def _result(m: _Measures) -> AnalysisResult:
    """The measures assembled into the result, with the vector and the platform previews."""
    loudness, spectral, dynamics = m.loudness, m.spectral, m.dynamics
    true_peak = amplitude_db(m.true_peak)
    sample_peak = amplitude_db(m.sample_peak)
    overall = OverallMetrics(
        integrated_lufs=loudness.integrated_lufs,
        loudness_range_lu=loudness.loudness_range_lu,
        true_peak_dbtp=true_peak,
        sample_peak_dbfs=sample_peak,
        momentary_max_lufs=loudness.momentary_max_lufs,
        short_term_max_lufs=loudness.short_term_max_lufs,
        rms_dbfs=dynamics.rms_dbfs,
        crest_factor_db=difference(sample_peak, dynamics.rms_dbfs),
        plr_db=difference(true_peak, loudness.integrated_lufs),
        dynamic_range_db=spectral.dynamic_range_db,
        stereo_width=dynamics.stereo_width,
        phase_correlation=dynamics.phase_correlation,
        spectral_centroid_hz=spectral.spectral_centroid_hz,
        spectral_rolloff_hz=spectral.spectral_rolloff_hz,
        spectral_flatness=spectral.spectral_flatness,
        thd_percent=spectral.thd_percent,
        harmonic_ratio=m.harmonic_ratio,
        transient_preservation=dynamics.transient_preservation,
        attack_time_ms=dynamics.attack_time_ms,
    )
    overall = OverallMetrics(**{k: finite_or_none(v) for k, v in asdict(overall).items()})
    bands = _bands(m.band_signals, spectral)
    vector = build_vector(
        VectorInputs(
            overall=asdict(overall),
            bands=[asdict(b) for b in bands],
            log_band_levels_db=spectral.log_band_levels_db,
            onset_rate=dynamics.onset_rate,
            onset_crest_db=dynamics.onset_crest_db,
            tonal_frame_share=spectral.tonal_frame_share,
            tonal_prominence_db=spectral.tonal_prominence_db,
        )
    )
    if not all(math.isfinite(v) for v in vector):
        raise AnalysisError("The analysis produced an invalid value; the file could not be measured.")
    info = m.info
    return AnalysisResult(
        file=FileInfo(
            duration_seconds=m.frames / info.sample_rate,
            sample_rate=info.sample_rate,
            channels=info.channels,
            format=info.format,
            subtype=info.subtype,
        ),
        overall=overall,
        bands=bands,
        vector=vector,
        loudness_series=LoudnessSeries(
            interval_seconds=loudness.interval_seconds,
            momentary=loudness.momentary,
            short_term=loudness.short_term,
        ),
        platforms=platforms.previews(loudness.integrated_lufs, true_peak),
    )


def _bands(signals: list[BandSignalStats | None], spectral: SpectralSummary) -> tuple[BandMetrics, ...]:
    total = sum(s.mean_square for s in signals if s is not None)
    bands = []
    for band, stats, shape in zip(BANDS, signals, spectral.bands, strict=True):
        if stats is None or stats.mean_square <= 0 or total <= 0:
            # No signal in the band (or no bins at this sample rate): nothing to say about it.
            bands.append(BandMetrics(band.name, band.low_hz, band.high_hz, *([None] * 10)))
            continue
        share = stats.mean_square / total
        peak, rms = amplitude_db(stats.peak), power_db(stats.mean_square)
        bands.append(
            BandMetrics(
                band=band.name,
                low_hz=band.low_hz,
                high_hz=band.high_hz,
                energy_db=power_db(share),
                energy_share=share,
                peak_dbfs=peak,
                rms_dbfs=rms,
                crest_factor_db=difference(peak, rms),
                dynamic_range_db=finite_or_none(shape.dynamic_range_db),
                spectral_centroid_hz=finite_or_none(shape.spectral_centroid_hz),
                spectral_flatness=finite_or_none(shape.spectral_flatness),
                stereo_width=finite_or_none(shape.stereo_width),
                phase_correlation=finite_or_none(shape.phase_correlation),
            )
        )
    return tuple(bands)
