"""librosa as an independent oracle for the engine's spectral measures.

The engine computes its spectrum with its own streaming STFT (mastering.analysis.stft: periodic
Hann, n_fft 4096 at 44.1 kHz, hop n_fft/2); librosa's STFT and `feature.spectral_flatness` over
the same frames must give the same numbers, so a slip in the engine's framing, windowing or
averaging shows here.
"""

import numpy as np
import pytest
import soundfile

from mastering.analysis import analyze

librosa = pytest.importorskip("librosa")
RATE = 44100


def _signals() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    t = np.arange(RATE * 6) / RATE
    return {
        "white noise": rng.normal(0, 0.1, t.size),
        "tone in noise": 0.3 * np.sin(2 * np.pi * 440 * t) + rng.normal(0, 0.01, t.size),
        "brown noise": np.cumsum(rng.normal(0, 0.01, t.size)),
    }


@pytest.mark.parametrize("name", list(_signals()))
def test_flatness_and_centroid_agree_with_librosa(name, tmp_path):
    signal = _signals()[name]
    signal = (signal / np.max(np.abs(signal)) * 0.5).astype(np.float32)
    path = tmp_path / "mono.wav"
    soundfile.write(path, signal, RATE, subtype="FLOAT")
    overall = analyze(path).to_dict()["overall"]

    magnitude = np.abs(librosa.stft(signal, n_fft=4096, hop_length=2048, window="hann", center=False))
    frequencies = librosa.fft_frequencies(sr=RATE, n_fft=4096)
    audible = (frequencies >= 20) & (frequencies <= 20000)
    flatness = float(librosa.feature.spectral_flatness(S=magnitude[audible], power=2.0).mean())
    power = magnitude[audible] ** 2
    centroid = float((frequencies[audible][:, None] * power).sum() / power.sum())

    assert overall["spectral_flatness"] == pytest.approx(flatness, rel=0.05, abs=2e-4)
    assert overall["spectral_centroid_hz"] == pytest.approx(centroid, rel=0.03)
