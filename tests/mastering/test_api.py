"""The mastering API: upload, analysis (eager here; a real worker in test_worker.py), references, similarity."""

import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from mastering import services
from mastering.models import Analysis, Reference
from tests.helpers.stored import stored_keys

pytestmark = pytest.mark.django_db(transaction=True)

ANALYSES = "/api/mastering/analyses/"
REFERENCES = "/api/mastering/references/"
OVERALL_FIELDS = {
    "integrated_lufs",
    "loudness_range_lu",
    "true_peak_dbtp",
    "sample_peak_dbfs",
    "momentary_max_lufs",
    "short_term_max_lufs",
    "rms_dbfs",
    "crest_factor_db",
    "plr_db",
    "dynamic_range_db",
    "stereo_width",
    "phase_correlation",
    "spectral_centroid_hz",
    "spectral_rolloff_hz",
    "spectral_flatness",
    "thd_percent",
    "harmonic_ratio",
    "transient_preservation",
    "attack_time_ms",
}


def mix_wav(*, seconds: float = 3.0, low: float = 0.5, high: float = 0.1, seed: int = 1) -> bytes:
    """A short stereo mix: a 60 Hz bass, a 3 kHz tone and some noise, as 24-bit WAV bytes."""
    rate = 44100
    t = np.arange(int(seconds * rate)) / rate
    noise = np.random.default_rng(seed).normal(0, 0.02, (t.size, 2))
    signal = low * np.sin(2 * np.pi * 60 * t)[:, None] + high * np.sin(2 * np.pi * 3000 * t)[:, None] + noise
    out = io.BytesIO()
    soundfile.write(out, (signal * 0.5).astype(np.float32), rate, format="WAV", subtype="PCM_24")
    return out.getvalue()


def upload(client, data: bytes = None, *, name: str = "mix.wav", **fields):
    body = {"file": SimpleUploadedFile(name, data if data is not None else mix_wav(), "audio/wav"), **fields}
    return client.post(ANALYSES, body, format="multipart")


def test_an_upload_is_accepted_then_measured_compared_and_advised(client_a):
    accepted = upload(client_a, genre="rock", recommendation_level="aggressive")
    assert accepted.status_code == 202, accepted.content
    assert accepted.json()["status"] in ("pending", "done")  # eager tasks run as the request commits

    detail = client_a.get(f"{ANALYSES}{accepted.json()['id']}/").json()
    assert detail["status"] == "done", detail["error"]
    assert set(detail["overall"]) == OVERALL_FIELDS
    assert [band["band"] for band in detail["bands"]] == ["low", "low_mid", "mid", "high_mid", "high"]
    assert detail["file"]["sample_rate"] == 44100 and detail["file"]["channels"] == 2
    assert detail["file"]["format"] == "wav" and detail["file"]["duration_seconds"] == pytest.approx(3.0, abs=0.01)
    assert detail["target_source"] == "general"  # no "rock" references: the general targets
    assert {p["platform"] for p in detail["platforms"]} >= {"Spotify", "Apple Music", "YouTube"}
    assert detail["finished_at"] and detail["queued_at"]
    json.dumps(detail, allow_nan=False)
    # The mix is mostly bass: the advice says the low band holds too much of it, at the aggressive level.
    low = [item for item in detail["recommendations"] if item.get("band") == "low"]
    assert low and low[0]["action"] == "cut"

    listed = client_a.get(ANALYSES).json()
    assert listed["count"] == 1 and "overall" not in listed["results"][0]


def test_a_genre_with_references_is_compared_with_them_and_similar_ones_are_ranked(client_a, user, tmp_path):
    for seed, low in ((1, 0.5), (2, 0.1)):
        path = tmp_path / f"ref{seed}.wav"
        path.write_bytes(mix_wav(low=low, seed=seed))
        services.built_in_reference_save(
            path=path, name=f"Ref {seed}", artist="", genre="Techno", year=None, generated=True
        )
    analysis_id = upload(client_a, mix_wav(low=0.5, seed=3), genre="techno").json()["id"]
    detail = client_a.get(f"{ANALYSES}{analysis_id}/").json()
    assert detail["target_source"] == "references"

    similar = client_a.get(f"{ANALYSES}{analysis_id}/similar/", {"genre": "TECHNO", "top_k": 2}).json()
    assert [item["reference"]["name"] for item in similar["results"]] == ["Ref 1", "Ref 2"]
    assert similar["results"][0]["score"] > similar["results"][1]["score"]
    assert similar["results"][0]["reference"]["generated"] is True
    for bad in (0, 51, "x"):
        assert client_a.get(f"{ANALYSES}{analysis_id}/similar/", {"top_k": bad}).status_code == 400


def test_loudness_series_and_plot_of_a_done_analysis(client_a):
    analysis_id = upload(client_a, genre="house").json()["id"]
    series = client_a.get(f"{ANALYSES}{analysis_id}/loudness/").json()
    assert series["interval_seconds"] > 0 and len(series["momentary"]) > 0 and len(series["short_term"]) > 0
    png = client_a.get(f"{ANALYSES}{analysis_id}/plot.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(png.content)).format == "PNG"


def test_what_is_not_done_has_no_series_plot_or_matches(client_a, user):
    pending = Analysis.objects.create(owner=user, file_name="x.wav", genre="techno")
    for path in ("loudness/", "plot.png", "similar/"):
        response = client_a.get(f"{ANALYSES}{pending.pk}/{path}")
        assert response.status_code == 409 and response.json()["status"] == "pending"


def test_bad_uploads_are_refused_with_the_reason(client_a, user, settings):
    not_audio = upload(client_a, b"<html>hello</html>", name="mix.wav", genre="techno")
    assert not_audio.status_code == 415 and "WAV" in not_audio.json()["detail"]
    # As large as a real mix, so Django keeps it in a temporary file, which is what is checked.
    large_not_audio = upload(client_a, b"<html>hello</html>" * 200_000, name="mix.wav", genre="techno")
    assert large_not_audio.status_code == 415 and "WAV" in large_not_audio.json()["detail"]
    assert upload(client_a, genre="techno", recommendation_level="loud").status_code == 400
    no_genre = upload(client_a)
    assert no_genre.status_code == 400 and "genre" in no_genre.json()
    settings.MASTERING_MAX_UPLOAD_MB = 0
    assert upload(client_a, genre="techno").status_code == 413
    settings.MASTERING_MAX_UPLOAD_MB = 1
    assert upload(client_a, mix_wav(seconds=LARGE_MIX_SECONDS), genre="techno").status_code == 413
    assert Analysis.objects.count() == 0
    assert stored_keys(f"users/{user.pk}") == []


# 24-bit stereo at 44.1 kHz: 5.3 MB, over the 2.5 MB Django keeps in memory (FILE_UPLOAD_MAX_MEMORY_SIZE).
LARGE_MIX_SECONDS = 20.0


@pytest.fixture
def held_jobs(monkeypatch) -> list[str]:
    """Uploads are stored and queued, and their analyses not run: only the upload is looked at."""
    held = []
    monkeypatch.setattr(services, "_enqueue", lambda task_path, pk: held.append(str(pk)))
    return held


@pytest.fixture
def temporary_files_made(monkeypatch) -> list[str]:
    """Each temporary file or folder made through `tempfile` from now on.

    Django's upload handler made its own before (its NamedTemporaryFile was bound at import),
    so this counts the copies made after the request was received.
    """
    made = []
    for name in ("mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile"):
        real = getattr(tempfile, name)

        def record(*args, _real=real, _name=name, **kwargs):
            made.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(tempfile, name, record)
    return made


def _post_mix(client, endpoint: str, data: bytes):
    fields = {"genre": "techno"} if endpoint == ANALYSES else {"name": "Mine", "genre": "techno"}
    return client.post(
        endpoint, {"file": SimpleUploadedFile("mix.wav", data, "audio/wav"), **fields}, format="multipart"
    )


@pytest.mark.parametrize("endpoint", [ANALYSES, REFERENCES])
@pytest.mark.parametrize("seconds", [3.0, LARGE_MIX_SECONDS])  # kept in memory by Django, and in a temporary file
def test_an_upload_is_stored_as_received_without_a_second_local_copy(
    storage_mode, client_a, settings, held_jobs, temporary_files_made, endpoint, seconds
):
    data = mix_wav(seconds=seconds)
    assert (len(data) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE) == (seconds == LARGE_MIX_SECONDS)

    accepted = _post_mix(client_a, endpoint, data)

    assert accepted.status_code == 202, accepted.content
    assert temporary_files_made == []
    row = (Analysis if endpoint == ANALYSES else Reference).objects.get(pk=accepted.json()["id"])
    assert held_jobs == [str(row.pk)]
    with default_storage.open(row.audio_key, "rb") as stored:
        assert stored.read() == data
    assert (row.size, row.format, row.sample_rate) == (len(data), "wav", 44100)


def test_on_local_storage_the_file_django_received_is_moved_into_place(
    local_storage, client_a, settings, tmp_path, held_jobs, monkeypatch
):
    from django.core.files.uploadhandler import TemporaryFileUploadHandler

    received_in = tmp_path / "received"  # beside MEDIA_ROOT: one file system, so a move is a rename
    received_in.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(received_in)
    received = []
    complete = TemporaryFileUploadHandler.file_complete

    def note_the_received_file(handler, file_size):
        uploaded = complete(handler, file_size)
        received.append(os.stat(uploaded.temporary_file_path()).st_ino)
        return uploaded

    monkeypatch.setattr(TemporaryFileUploadHandler, "file_complete", note_the_received_file)
    data = mix_wav(seconds=LARGE_MIX_SECONDS)

    accepted = _post_mix(client_a, ANALYSES, data)

    assert accepted.status_code == 202, accepted.content
    stored = Path(default_storage.path(Analysis.objects.get().audio_key))
    assert stored.stat().st_ino == received[0]  # the very file Django wrote: the bytes were written once
    assert stored.read_bytes() == data
    assert list(received_in.iterdir()) == []


def test_an_unreadable_file_that_passes_the_check_ends_failed_with_a_reason(client_a):
    silence = io.BytesIO()
    soundfile.write(silence, np.zeros((int(0.5 * 44100), 2), dtype=np.float32), 44100, format="WAV")
    too_short = upload(client_a, silence.getvalue(), genre="techno").json()
    detail = client_a.get(f"{ANALYSES}{too_short['id']}/").json()
    assert detail["status"] == "failed" and detail["error"]


def test_settings_give_the_default_genre_and_level(client_a):
    assert client_a.get("/api/mastering/settings/").json() == {
        "default_genre": "",
        "default_recommendation_level": "suggestive",
    }
    changed = client_a.patch(
        "/api/mastering/settings/", {"default_genre": "Psytrance", "default_recommendation_level": "gentle"}
    )
    assert changed.status_code == 200
    assert client_a.patch("/api/mastering/settings/", {"default_recommendation_level": "loud"}).status_code == 400
    made = upload(client_a).json()
    assert (made["genre"], made["recommendation_level"]) == ("Psytrance", "gentle")


def test_other_peoples_analyses_and_references_are_invisible(client_a, client_b):
    analysis_id = upload(client_a, genre="techno").json()["id"]
    for path in ("", "loudness/", "plot.png", "similar/"):
        assert client_b.get(f"{ANALYSES}{analysis_id}/{path}").status_code == 404
    assert client_b.delete(f"{ANALYSES}{analysis_id}/").status_code == 404
    assert client_b.get(ANALYSES).json()["count"] == 0

    mine = client_a.post(
        REFERENCES,
        {"file": SimpleUploadedFile("ref.wav", mix_wav(), "audio/wav"), "name": "My ref", "genre": "Techno"},
        format="multipart",
    )
    assert mine.status_code == 202, mine.content
    reference_id = mine.json()["id"]
    assert client_a.get(REFERENCES, {"genre": "techno"}).json()["count"] == 1
    assert client_b.get(REFERENCES, {"genre": "techno"}).json()["count"] == 0
    assert client_b.get(f"{REFERENCES}{reference_id}/").status_code == 404
    assert client_b.delete(f"{REFERENCES}{reference_id}/").status_code == 404
    assert client_a.delete(f"{REFERENCES}{reference_id}/").status_code == 204


def test_built_in_references_are_shared_and_not_deletable_through_the_api(client_a, client_b, tmp_path):
    path = tmp_path / "ref.wav"
    path.write_bytes(mix_wav())
    reference = services.built_in_reference_save(
        path=path, name="Shared", artist="", genre="House", year=None, generated=True
    )
    assert client_b.get(REFERENCES, {"genre": "house"}).json()["results"][0]["own"] is False
    assert client_a.delete(f"{REFERENCES}{reference.pk}/").status_code == 403
    assert Reference.objects.filter(pk=reference.pk).exists()


def test_a_file_name_that_looks_like_mathtext_is_drawn_as_text(client_a):
    hostile = "mix $x^$ final.wav"  # matplotlib's mathtext would refuse this and fail the plot
    analysis_id = upload(client_a, name=hostile, genre="techno").json()["id"]
    png = client_a.get(f"{ANALYSES}{analysis_id}/plot.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
