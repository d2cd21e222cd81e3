"""The audio analysis engine of mastering: loudness, dynamics, spectrum, stereo and a similarity vector.

Pure Python (numpy, scipy, soundfile, pyebur128), no Django imports. One call::

    result = analyze(path, max_seconds=900)   # AnalysisError for a file it cannot measure
    data = result.to_dict()                   # JSON-safe: file, overall, bands, vector,
                                              # loudness_series, platforms

How it works: the file is read once, in blocks (:mod:`.reader`), and every block feeds every
measure at once (:mod:`.engine`), so memory does not grow with the length of the file:

* loudness per ITU-R BS.1770-4 / EBU R128 (integrated, LRA, momentary and short-term maxima and
  series) by libebur128 (:mod:`.loudness`), true and sample peak with libebur128's interpolator
  vectorised (:mod:`.truepeak`), both on a worker thread;
* RMS, stereo width and correlation, onsets, attack time and transient preservation from the
  samples (:mod:`.dynamics`);
* one STFT (:mod:`.stft`) for the spectrum shape, THD, frame-level dynamic range and the
  per-band statistics (:mod:`.spectral`), the band-limited signals for band peaks and RMS
  (:mod:`.bands`) and the harmonic ratio by median-filter HPSS (:mod:`.hpss`);
* the 128-dimensional vector for cosine similarity (:mod:`.vector`) and what each streaming
  platform's normalisation does to the track (:mod:`.platforms`).

Each module's docstring defines its measures exactly; :mod:`.result` gives the shape of
``to_dict()`` and when a value is None. Mono and stereo files are measured; files with more
channels are refused (no downmix is guessed).
"""

from mastering.analysis.engine import DEFAULT_BLOCK_SECONDS, analyze
from mastering.analysis.errors import AnalysisError
from mastering.analysis.result import AnalysisResult, BandMetrics, FileInfo, LoudnessSeries, OverallMetrics

__all__ = [
    "DEFAULT_BLOCK_SECONDS",
    "AnalysisError",
    "AnalysisResult",
    "BandMetrics",
    "FileInfo",
    "LoudnessSeries",
    "OverallMetrics",
    "analyze",
]
