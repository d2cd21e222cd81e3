"""Every supported container, channel count and sample rate; files the engine must refuse; edge signals."""

import json

import numpy as np
import pytest

from mastering.analysis import AnalysisError, analyze
from tests.mastering import signals

FORMATS = [
    # (suffix, soundfile format, subtype, expected format, lossy)
    ("wav", "WAV", "PCM_16", "wav", False),
    ("wav", "WAV", "PCM_24", "wav", False),
    ("wav", "WAV", "PCM_32", "wav", False),
    ("wav", "WAV", "FLOAT", "wav", False),
    ("flac", "FLAC", "PCM_24", "flac", False),
    ("aiff", "AIFF", "PCM_24", "aiff", False),
    ("ogg", "OGG", "VORBIS", "ogg", True),
]


def program(rate: int, channels: int) -> np.ndarray:
    mix = signals.music_like(6.0, rate, seed=4) * signals.db_to_amplitude(-3.0)
    return mix if channels == 2 else mix.mean(axis=1)


@pytest.mark.parametrize("rate", [44100, 48000, 96000])
@pytest.mark.parametrize("channels", [1, 2])
def test_every_format_gives_the_same_loudness(tmp_path, rate, channels):
    data = program(rate, channels)
    reference = signals.overall(analyze(signals.write(tmp_path / "reference.wav", data, rate, "DOUBLE")))
    assert reference["integrated_lufs"] is not None
    for index, (suffix, container, subtype, expected_format, lossy) in enumerate(FORMATS):
        path = signals.write(tmp_path / f"f{index}.{suffix}", data, rate, subtype, container)
        result = analyze(path)
        assert result.file.format == expected_format
        assert result.file.subtype == subtype
        assert result.file.sample_rate == rate
        assert result.file.channels == channels
        assert result.file.duration_seconds == pytest.approx(6.0, abs=0.01)
        tolerance = 0.3 if lossy else 0.02
        assert result.overall.integrated_lufs == pytest.approx(reference["integrated_lufs"], abs=tolerance), subtype
        if not lossy:
            assert result.overall.true_peak_dbtp == pytest.approx(reference["true_peak_dbtp"], abs=0.05), subtype
            assert result.vector == pytest.approx(analyze(path).vector)


@pytest.mark.skipif(not signals.has_ffmpeg(), reason="ffmpeg is not installed")
@pytest.mark.parametrize(("rate", "channels"), [(44100, 2), (48000, 1)])
def test_mp3(tmp_path, rate, channels):
    data = program(rate, channels)
    reference = signals.overall(analyze(signals.write(tmp_path / "reference.wav", data, rate, "FLOAT")))
    result = analyze(signals.write_mp3(tmp_path / "mix.mp3", data, rate))
    assert result.file.format == "mp3"
    assert result.file.channels == channels
    assert result.file.duration_seconds == pytest.approx(6.0, abs=0.05)
    assert result.overall.integrated_lufs == pytest.approx(reference["integrated_lufs"], abs=0.3)


# --- files that are refused -----------------------------------------------------------------------


def refused(path, **kwargs) -> str:
    with pytest.raises(AnalysisError) as caught:
        analyze(path, **kwargs)
    message = str(caught.value)
    assert message.endswith(".") and len(message) > 20
    assert str(path) not in message  # the message is for a producer, not a log
    return message


def test_corrupt_bytes(tmp_path):
    path = tmp_path / "mix.wav"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    assert "could not be read as audio" in refused(path)


def test_corrupt_mp3(tmp_path):
    path = tmp_path / "mix.mp3"
    path.write_bytes(b"ID3" + bytes(range(256)) * 40)
    assert "could not be read as audio" in refused(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    assert "could not be read as audio" in refused(path)


def test_wav_without_samples(tmp_path):
    path = signals.write(tmp_path / "nothing.wav", np.zeros((0, 2)), 44100, "PCM_16")
    assert "no audio" in refused(path)


def test_too_short(tmp_path):
    path = signals.write(tmp_path / "short.wav", signals.stereo(signals.sine(440.0, 0.5, 44100)), 44100, "PCM_16")
    message = refused(path)
    assert "too short" in message and "0.50 s" in message


def test_too_long(tmp_path):
    path = signals.write(tmp_path / "long.wav", signals.stereo(signals.sine(440.0, 5.0, 44100)), 44100, "PCM_16")
    message = refused(path, max_seconds=4.0)
    assert "too long" in message and "limit is 4 s" in message
    assert analyze(path, max_seconds=5.0).file.duration_seconds == pytest.approx(5.0)


def test_more_than_two_channels(tmp_path):
    data = np.tile(signals.sine(440.0, 2.0, 48000)[:, None], (1, 6))
    path = signals.write(tmp_path / "surround.wav", data, 48000, "PCM_24")
    assert "6 channels" in refused(path)


def test_float_file_with_nan(tmp_path):
    data = signals.stereo(signals.sine(440.0, 2.0, 48000))
    data[1000, 0] = np.nan
    path = signals.write(tmp_path / "nan.wav", data, 48000, "FLOAT")
    assert "invalid samples" in refused(path)


def test_unsupported_container(tmp_path):
    path = signals.write(tmp_path / "tone.au", signals.stereo(signals.sine(440.0, 2.0, 48000)), 48000, "PCM_16", "AU")
    assert "not analysed" in refused(path)


# --- edge signals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("channels", [1, 2])
def test_digital_silence(tmp_path, channels):
    path = signals.write(tmp_path / "silence.wav", np.zeros((3 * 44100, channels)), 44100, "PCM_16")
    result = analyze(path)
    data = result.to_dict()
    json.dumps(data, allow_nan=False)
    overall = data["overall"]
    for key in (
        "integrated_lufs", "loudness_range_lu", "true_peak_dbtp", "sample_peak_dbfs", "momentary_max_lufs",
        "short_term_max_lufs", "rms_dbfs", "crest_factor_db", "plr_db", "dynamic_range_db",
        "spectral_centroid_hz", "spectral_rolloff_hz", "spectral_flatness", "thd_percent", "harmonic_ratio",
        "transient_preservation", "attack_time_ms",
    ):  # fmt: skip
        assert overall[key] is None, key
    if channels == 1:
        assert overall["stereo_width"] == 0.0 and overall["phase_correlation"] == 1.0
    else:
        assert overall["stereo_width"] is None and overall["phase_correlation"] is None
    assert all(b["energy_share"] is None and b["peak_dbfs"] is None for b in data["bands"])
    assert all(p["gain_db"] is None for p in data["platforms"])
    assert set(data["loudness_series"]["momentary"]) == {None}
    assert len(data["vector"]) == 128 and all(np.isfinite(data["vector"]))


def test_clipped_file(tmp_path):
    """A sine driven 10 dB into the ceiling: samples at full scale, and the waveform between them above it."""
    tone = np.clip(signals.sine(997.0, 3.0, 44100, dbfs=10.0), -1.0, 1.0)
    result = analyze(signals.write(tmp_path / "clipped.wav", signals.stereo(tone), 44100, "PCM_24"))
    assert result.overall.sample_peak_dbfs == pytest.approx(0.0, abs=0.001)
    assert result.overall.true_peak_dbtp > 0.0


def test_one_silent_channel(tmp_path):
    tone = signals.sine(440.0, 3.0, 44100, dbfs=-6.0)
    result = analyze(signals.write(tmp_path / "left.wav", signals.stereo(tone, np.zeros_like(tone)), 44100, "PCM_24"))
    assert result.overall.phase_correlation == 0.0
    assert result.overall.stereo_width == pytest.approx(0.5)
    json.dumps(result.to_dict(), allow_nan=False)


def wav_header_claiming(rate: int, *, channels: int = 2, frames: int = 40) -> bytes:
    """A tiny 16-bit PCM WAV whose header says `rate` Hz: what a hostile upload looks like (204 bytes)."""
    import struct

    data = np.random.default_rng(rate).integers(-3000, 3000, frames * channels, dtype=np.int16).tobytes()
    block_align = channels * 2
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * block_align, block_align, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.mark.parametrize("rate", [1, 8, 15, 7_999, 384_001, 3_000_000])
def test_a_header_claiming_an_absurd_sample_rate_is_refused_before_anything_is_allocated(tmp_path, rate):
    path = tmp_path / "hostile.wav"
    path.write_bytes(wav_header_claiming(rate, frames=max(40, 2 * rate) if rate < 8000 else 40))

    message = refused(path)

    assert f"{rate} Hz" in message and "8000 Hz to 384000 Hz" in message


@pytest.mark.parametrize("rate", [8_000, 384_000])
def test_the_sample_rate_bounds_themselves_are_measured(tmp_path, rate):
    samples = signals.stereo(signals.sine(rate / 8, 1.5, rate))
    path = signals.write(tmp_path / f"edge-{rate}.wav", samples, rate, "PCM_16")

    assert analyze(path).file.sample_rate == rate


def test_an_allocation_failure_inside_the_engine_is_an_analysis_error(tmp_path, monkeypatch):
    from mastering.analysis import loudness

    def no_memory(self, channels, rate):
        raise MemoryError("libebur128 could not allocate its state")

    path = signals.write(tmp_path / "fine.wav", signals.stereo(signals.sine(440.0, 2.0, 44100)), 44100, "PCM_16")
    monkeypatch.setattr(loudness.LoudnessMeter, "__init__", no_memory)

    assert "more memory" in refused(path)
