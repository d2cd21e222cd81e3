"""core.mp3: originals to 320 kbps CBR MP3 with ffmpeg, and the check of the result.

Every audio file is made with ffmpeg in tmp_path.
"""

import os
import random
import subprocess
import threading
from pathlib import Path

import pytest
from mutagen import File
from mutagen.flac import FLAC, Picture
from mutagen.mp3 import MONO, MP3, BitrateMode

from core import mp3 as mp3_module
from core.mp3 import (
    MP3_BITRATE_KBPS,
    TranscodeError,
    ffmpeg_command,
    mp3_duration,
    target_sample_rate,
    transcode_to_mp3,
    verify_mp3,
)
from tests.helpers.media import image_bytes, make_tone


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def make_audio(path: Path, *, seconds: float, sample_rate: int, channels: int, source: str = "sine") -> Path:
    lavfi = f"{source}=duration={seconds}:sample_rate={sample_rate}"
    ffmpeg("-f", "lavfi", "-i", lavfi, "-ac", str(channels), str(path))
    return path


def noise_bytes(size: int) -> bytes:
    return random.Random(size).randbytes(size)


def original(path: Path) -> tuple[float, int, int]:
    info = File(path).info
    return info.length, info.sample_rate, info.channels


def run_transcode(source: Path, target: Path, *, timeout_seconds: float = 120) -> None:
    _, sample_rate, channels = original(source)
    transcode_to_mp3(source, target, sample_rate=sample_rate, channels=channels, timeout_seconds=timeout_seconds)


def assert_320_cbr(mp3_path: Path, *, duration: float, sample_rate: int, channels: int) -> None:
    """What mutagen says about the MP3, independently of verify_mp3."""
    info = MP3(mp3_path).info
    assert (info.version, info.layer) == (1, 3)
    assert info.bitrate_mode == BitrateMode.CBR
    # An average over the Xing byte count: 1044- and 1045-byte frames at 44.1 kHz give 319 999 and the like.
    assert abs(info.bitrate - 320_000) < 500
    assert info.sample_rate == sample_rate
    assert info.channels == channels
    # mutagen's length includes the encoder delay and padding (it skips ffmpeg's extension), still within 0.1 s...
    assert 0 < info.length - duration < 0.1
    # ...and without them the MP3 lasts exactly as long as the original, to the sample.
    assert mp3_duration(mp3_path) == pytest.approx(duration, abs=1 / sample_rate)


# target_sample_rate


@pytest.mark.parametrize(
    ("source_rate", "expected"),
    [
        (44100, 44100),
        (48000, 48000),
        (32000, 32000),
        (88200, 44100),
        (176400, 44100),
        (352800, 44100),
        (22050, 44100),
        (11025, 44100),
        (96000, 48000),
        (192000, 48000),
        (384000, 48000),
        (24000, 48000),
        (16000, 48000),
        (12000, 48000),
        (8000, 48000),
        (None, 44100),
        (0, 44100),
        (-1, 44100),
        (37800, 44100),
        (50000, 44100),
    ],
)
def test_target_sample_rate(source_rate, expected):
    assert target_sample_rate(source_rate) == expected


# ffmpeg_command


def test_ffmpeg_command_is_audio_only_320k_cbr_at_the_given_rate(tmp_path):
    source, target = tmp_path / "in.flac", tmp_path / "out.mp3"
    assert ffmpeg_command(source, target, sample_rate=48000) == [
        "ffmpeg",
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-xerror",
        "-i",
        str(source),
        "-map",
        "0:a:0",
        "-vn",
        "-map_metadata",
        "-1",
        "-map_chapters",
        "-1",
        "-codec:a",
        "libmp3lame",
        "-b:a",
        "320k",
        "-ar",
        "48000",
        "-write_xing",
        "1",
        "-f",
        "mp3",
        str(target),
    ]
    assert MP3_BITRATE_KBPS == 320


@pytest.mark.parametrize(("channels", "downmix"), [(None, False), (1, False), (2, False), (6, True)])
def test_ffmpeg_command_downmixes_only_above_stereo(tmp_path, channels, downmix):
    command = ffmpeg_command(tmp_path / "in.wav", tmp_path / "out.mp3", sample_rate=44100, channels=channels)
    assert ("-ac" in command) is downmix
    if downmix:
        assert command[command.index("-ac") + 1] == "2"


def test_ffmpeg_command_makes_relative_and_dash_names_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    command = ffmpeg_command(Path("-song.flac"), Path("a:b.mp3"), sample_rate=44100)
    assert command[command.index("-i") + 1] == str(tmp_path / "-song.flac")
    assert command[-1] == str(tmp_path / "a:b.mp3")


# transcode_to_mp3 and verify_mp3 on good originals


@pytest.mark.parametrize(
    ("extension", "sample_rate"),
    [
        ("flac", 44100),
        ("flac", 48000),
        ("flac", 32000),
        ("wav", 44100),
        ("wav", 48000),
        ("aiff", 44100),
        ("aiff", 48000),
    ],
)
def test_lossless_originals_become_320_cbr_at_the_same_rate_and_length(tmp_path, extension, sample_rate):
    source = make_tone(tmp_path / f"in.{extension}", seconds=2.5, sample_rate=sample_rate)
    duration, source_rate, channels = original(source)
    assert (duration, source_rate, channels) == (pytest.approx(2.5), sample_rate, 2)
    target = tmp_path / "out.mp3"

    run_transcode(source, target)

    measured = verify_mp3(target, expected_duration=duration, expected_sample_rate=sample_rate)
    assert_320_cbr(target, duration=duration, sample_rate=sample_rate, channels=2)
    assert measured == (320, sample_rate, 2, pytest.approx(duration, abs=1 / sample_rate))


@pytest.mark.parametrize(("source_rate", "mp3_rate"), [(96000, 48000), (88200, 44100), (192000, 48000)])
def test_high_resolution_flac_is_resampled_within_its_family(tmp_path, source_rate, mp3_rate):
    source = make_tone(tmp_path / "hires.flac", seconds=2.0, sample_rate=source_rate)
    target = tmp_path / "out.mp3"

    run_transcode(source, target)

    measured = verify_mp3(target, expected_duration=2.0, expected_sample_rate=mp3_rate)
    assert_320_cbr(target, duration=2.0, sample_rate=mp3_rate, channels=2)
    assert (measured.bitrate_kbps, measured.sample_rate, measured.channels) == (320, mp3_rate, 2)


def test_mono_stays_mono(tmp_path):
    source = make_audio(tmp_path / "mono.flac", seconds=2.0, sample_rate=44100, channels=1)
    target = tmp_path / "out.mp3"

    run_transcode(source, target)

    measured = verify_mp3(target, expected_duration=2.0, expected_sample_rate=44100)
    assert_320_cbr(target, duration=2.0, sample_rate=44100, channels=1)
    assert MP3(target).info.mode == MONO
    assert (measured.bitrate_kbps, measured.sample_rate, measured.channels) == (320, 44100, 1)


def test_surround_is_downmixed_to_stereo(tmp_path):
    source = make_audio(tmp_path / "surround.wav", seconds=2.0, sample_rate=48000, channels=6)
    assert original(source)[2] == 6
    target = tmp_path / "out.mp3"

    run_transcode(source, target)

    verify_mp3(target, expected_duration=2.0, expected_sample_rate=48000)
    assert_320_cbr(target, duration=2.0, sample_rate=48000, channels=2)


def test_tags_and_cover_of_the_original_are_not_copied(tmp_path):
    source = make_tone(tmp_path / "tagged.flac", seconds=1.0)
    flac = FLAC(source)
    flac["title"] = "Kyrie"
    flac["artist"] = "Schola"
    picture = Picture()
    picture.type, picture.mime, picture.data = 3, "image/png", image_bytes("png")
    flac.add_picture(picture)
    flac.save()
    target = tmp_path / "out.mp3"

    run_transcode(source, target)

    tags = MP3(target).tags
    frames = set(tags.keys()) if tags is not None else set()
    assert not any(key.startswith(("TIT2", "TPE1", "APIC", "CHAP", "TXXX")) for key in frames), frames
    verify_mp3(target, expected_duration=1.0)


def test_duration_stays_exact_after_tags_and_cover_are_written(tmp_path):
    """The caller tags the MP3 with mutagen afterwards; a large ID3 tag in front must not matter."""
    from mutagen.id3 import APIC, TIT2

    source = make_tone(tmp_path / "in.flac", seconds=1.5, sample_rate=48000)
    target = tmp_path / "out.mp3"
    run_transcode(source, target)
    mp3 = MP3(target)
    mp3.tags.add(TIT2(encoding=3, text="Gloria"))
    mp3.tags.add(APIC(encoding=3, mime="image/png", type=3, data=os.urandom(300_000)))
    mp3.save()
    assert target.stat().st_size > 300_000

    assert mp3_duration(target) == pytest.approx(1.5, abs=1 / 48000)
    verify_mp3(target, expected_duration=1.5, tolerance_seconds=0.001, expected_sample_rate=48000)


LONG_SECONDS = 300 if os.environ.get("TRANSCODE_LONG") else 60


@pytest.mark.parametrize("sample_rate", [44100, 48000])
def test_long_original_keeps_its_length(tmp_path, sample_rate):
    """Set TRANSCODE_LONG=1 for the 5-minute version (about 2.5 s each instead of 0.5 s)."""
    source = make_tone(tmp_path / "long.flac", seconds=LONG_SECONDS, sample_rate=sample_rate)
    target = tmp_path / "out.mp3"

    run_transcode(source, target)

    verify_mp3(target, expected_duration=LONG_SECONDS, expected_sample_rate=sample_rate)
    assert_320_cbr(target, duration=LONG_SECONDS, sample_rate=sample_rate, channels=2)


# transcode_to_mp3 failures


def assert_no_worker_path(message: str, tmp_path: Path) -> None:
    assert str(tmp_path) not in message


def test_random_bytes_are_refused_and_leave_no_mp3(tmp_path):
    source = tmp_path / "song.flac"
    source.write_bytes(noise_bytes(64 * 1024))
    target = tmp_path / "out.mp3"

    with pytest.raises(TranscodeError) as caught:
        transcode_to_mp3(source, target, sample_rate=44100, channels=2, timeout_seconds=60)

    message = str(caught.value)
    assert message.startswith("ffmpeg could not decode the file: ")
    assert len(message) > len("ffmpeg could not decode the file: ") + 5
    assert "Error marking filters as finished" not in message  # the consequence, not the cause
    assert_no_worker_path(message, tmp_path)
    assert not target.exists()


def test_truncated_flac_is_refused_and_leaves_no_mp3(tmp_path):
    # Noise, so the FLAC is big and cut in the middle of its audio frames.
    whole = make_audio(tmp_path / "whole.flac", seconds=5.0, sample_rate=44100, channels=2, source="anoisesrc")
    source = tmp_path / "song.flac"
    data = whole.read_bytes()
    source.write_bytes(data[: len(data) // 2])
    target = tmp_path / "out.mp3"

    with pytest.raises(TranscodeError) as caught:
        transcode_to_mp3(source, target, sample_rate=44100, channels=2, timeout_seconds=60)

    assert str(caught.value).startswith("ffmpeg could not decode the file: ")
    assert_no_worker_path(str(caught.value), tmp_path)
    assert not target.exists()


def test_a_file_without_audio_is_refused(tmp_path):
    source = tmp_path / "song.flac"
    source.write_bytes(image_bytes("png"))
    target = tmp_path / "out.mp3"

    no_audio = r"^ffmpeg could not decode the file: the file contains no audio stream\.$"
    with pytest.raises(TranscodeError, match=no_audio):
        transcode_to_mp3(source, target, sample_rate=None, channels=None, timeout_seconds=60)
    assert not target.exists()


def test_a_failed_transcode_removes_an_older_target(tmp_path):
    source = tmp_path / "song.flac"
    source.write_bytes(b"not audio at all" * 100)
    target = tmp_path / "out.mp3"
    target.write_bytes(b"left over from an earlier attempt")

    with pytest.raises(TranscodeError):
        transcode_to_mp3(source, target, sample_rate=44100, channels=2, timeout_seconds=60)
    assert not target.exists()


def test_tiny_timeout_is_reported_with_its_length(tmp_path):
    source = make_tone(tmp_path / "long.wav", seconds=30)
    target = tmp_path / "out.mp3"

    with pytest.raises(TranscodeError, match=r"^Transcoding took longer than 0\.01 s and was stopped\.$"):
        transcode_to_mp3(source, target, sample_rate=44100, channels=2, timeout_seconds=0.01)
    assert not target.exists()


def test_timeout_kills_ffmpeg_and_removes_the_partial_mp3(tmp_path, monkeypatch):
    # The input stalls after 20 s of a WAV whose header promises 300 s: ffmpeg encodes what came,
    # writes that much of the MP3, then waits for the rest until the time limit kills it. However
    # slow the machine, the partial MP3 is there when the limit hits (no race with a short timeout).
    whole = make_tone(tmp_path / "long.wav", seconds=300).read_bytes()
    arrives = whole[: 44 + 20 * 44100 * 4]
    source = tmp_path / "stalled.wav"
    os.mkfifo(source)
    stop_feeding = threading.Event()

    def feed() -> None:
        with open(source, "wb") as pipe:
            pipe.write(arrives)
            pipe.flush()
            stop_feeding.wait(120)  # keep the pipe open: no end of file, only silence from here on

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    target = tmp_path / "out.mp3"
    partial_at_kill = []
    real_run = subprocess.run

    def run(*args, **kwargs):
        try:
            return real_run(*args, **kwargs)
        except subprocess.TimeoutExpired:
            partial_at_kill.append(target.exists() and target.stat().st_size > 0)
            raise

    monkeypatch.setattr(subprocess, "run", run)
    try:
        with pytest.raises(TranscodeError, match=r"^Transcoding took longer than 8 s and was stopped\.$"):
            transcode_to_mp3(source, target, sample_rate=44100, channels=2, timeout_seconds=8)
    finally:
        stop_feeding.set()
        feeder.join(10)

    assert partial_at_kill == [True]  # ffmpeg had started writing...
    assert not target.exists()  # ...and the partial MP3 is gone


def test_timeout_on_an_input_that_never_arrives(tmp_path):
    """A FIFO nobody writes to: ffmpeg blocks for ever unless it is killed."""
    source = tmp_path / "stuck.flac"
    os.mkfifo(source)
    target = tmp_path / "out.mp3"

    with pytest.raises(TranscodeError, match=r"^Transcoding took longer than 0\.3 s and was stopped\.$"):
        transcode_to_mp3(source, target, sample_rate=None, channels=None, timeout_seconds=0.3)
    assert not target.exists()


def test_missing_ffmpeg(tmp_path, monkeypatch):
    monkeypatch.setattr(mp3_module, "FFMPEG", "ffmpeg-that-is-not-installed")
    source = make_tone(tmp_path / "in.wav", seconds=0.5)
    target = tmp_path / "out.mp3"

    with pytest.raises(TranscodeError, match=r"^ffmpeg is not installed on the worker\.$"):
        transcode_to_mp3(source, target, sample_rate=44100, channels=2, timeout_seconds=60)
    assert not target.exists()


# verify_mp3 refusals


@pytest.fixture
def good_mp3(tmp_path) -> Path:
    """A 2-second, 44.1 kHz stereo MP3 made by transcode_to_mp3."""
    source = make_tone(tmp_path / "in.flac", seconds=2.0)
    target = tmp_path / "good.mp3"
    run_transcode(source, target)
    return target


def test_verify_refuses_128_kbps(tmp_path):
    mp3 = make_tone(tmp_path / "low.mp3", seconds=2.0)  # 128 kbps CBR
    assert MP3(mp3).info.bitrate_mode == BitrateMode.CBR

    with pytest.raises(TranscodeError, match=r"^The MP3 is 128 kbps, not 320 kbps CBR\.$"):
        verify_mp3(mp3, expected_duration=2.0)


def test_verify_refuses_vbr(tmp_path):
    source = make_tone(tmp_path / "in.wav", seconds=2.0)
    mp3 = tmp_path / "vbr.mp3"
    ffmpeg("-i", str(source), "-codec:a", "libmp3lame", "-q:a", "0", str(mp3))

    with pytest.raises(TranscodeError, match=r"^The MP3 is VBR \(about \d+ kbps\), not 320 kbps CBR\.$"):
        verify_mp3(mp3, expected_duration=2.0)


def test_verify_refuses_an_mp3_without_info_header(tmp_path):
    """Without the Info frame mutagen only guesses CBR (BitrateMode.UNKNOWN); that is not accepted."""
    source = make_tone(tmp_path / "in.wav", seconds=2.0)
    mp3 = tmp_path / "bare.mp3"
    ffmpeg("-i", str(source), "-codec:a", "libmp3lame", "-b:a", "320k", "-write_xing", "0", str(mp3))
    assert MP3(mp3).info.bitrate_mode == BitrateMode.UNKNOWN
    assert MP3(mp3).info.bitrate == 320_000

    no_info = r"^The MP3 has no Info header, so it cannot be confirmed as 320 kbps CBR\.$"
    with pytest.raises(TranscodeError, match=no_info):
        verify_mp3(mp3, expected_duration=2.0)


def test_verify_refuses_mpeg2(tmp_path):
    source = make_tone(tmp_path / "in.wav", seconds=2.0, sample_rate=22050)
    mp3 = tmp_path / "mpeg2.mp3"
    ffmpeg("-i", str(source), "-codec:a", "libmp3lame", "-b:a", "160k", str(mp3))

    with pytest.raises(TranscodeError, match=r"^The output is MPEG-2 Layer 3, not MPEG-1 Layer III\.$"):
        verify_mp3(mp3, expected_duration=2.0)


def test_verify_refuses_what_is_not_an_mp3(tmp_path):
    not_mp3 = make_tone(tmp_path / "in.flac", seconds=1.0)

    with pytest.raises(TranscodeError, match=r"^The output is not a readable MP3: "):
        verify_mp3(not_mp3, expected_duration=1.0)


def test_verify_refuses_a_wrong_duration(good_mp3):
    verify_mp3(good_mp3, expected_duration=2.0)

    with pytest.raises(TranscodeError, match=r"^The MP3 lasts 2\.00 s but the original lasts 2\.50 s\.$"):
        verify_mp3(good_mp3, expected_duration=2.5)
    with pytest.raises(TranscodeError, match=r"^The MP3 lasts 2\.00 s but the original lasts 1\.89 s\.$"):
        verify_mp3(good_mp3, expected_duration=1.89)


def test_verify_measures_the_playing_length_not_mutagens(good_mp3):
    """mutagen counts the 1656 samples of encoder delay and padding (2.038 s); the check must not."""
    assert MP3(good_mp3).info.length == pytest.approx(2.0376, abs=1e-4)
    assert mp3_duration(good_mp3) == 2.0

    verify_mp3(good_mp3, expected_duration=1.91)  # 0.09 s off the real length, 0.128 s off mutagen's
    verify_mp3(good_mp3, expected_duration=2.0, tolerance_seconds=1e-6)


def test_verify_checks_the_sample_rate(good_mp3):
    verify_mp3(good_mp3, expected_duration=2.0, expected_sample_rate=44100)

    with pytest.raises(TranscodeError, match=r"^The MP3 is sampled at 44100 Hz, not 48000 Hz\.$"):
        verify_mp3(good_mp3, expected_duration=2.0, expected_sample_rate=48000)


def test_an_original_that_decodes_to_nothing_is_caught_by_verify(tmp_path):
    """A FLAC header followed by garbage: ffmpeg exits 0 with no audio; the duration check refuses it."""
    whole = make_audio(tmp_path / "whole.flac", seconds=2.0, sample_rate=44100, channels=2, source="anoisesrc")
    source = tmp_path / "song.flac"
    source.write_bytes(whole.read_bytes()[:8192] + noise_bytes(200_000))
    target = tmp_path / "out.mp3"

    transcode_to_mp3(source, target, sample_rate=44100, channels=2, timeout_seconds=60)

    with pytest.raises(TranscodeError, match=r"^The MP3 lasts 0\.00 s but the original lasts 2\.00 s\.$"):
        verify_mp3(target, expected_duration=2.0)
