import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chants.models import Song
from core import storage
from tests.factories import INLINE_FORMSET_FOR_SONG, SongFactory
from tests.helpers.media import image_bytes, tone_bytes

pytestmark = pytest.mark.django_db


def test_changelist_shows_columns_search_and_filters(curator):
    SongFactory(title="Ave Maria", artist="Schubert", genre="classical")
    SongFactory(title="Hallelujah", artist="Cohen", genre="folk")

    page = curator.get("/admin/chants/song/?q=schubert&genre__exact=classical")

    assert page.status_code == 200
    body = page.content.decode()
    assert "Ave Maria" in body and "Hallelujah" not in body
    assert "By genre" in body


def test_curator_adds_a_song_with_audio_and_artwork(curator, staff_user, local_storage):
    response = curator.post(
        "/admin/chants/song/add/",
        {
            **INLINE_FORMSET_FOR_SONG,
            "title": "Curated",
            "artist": "Choir",
            "lyrics": "",
            "audio": SimpleUploadedFile("curated.mp3", tone_bytes("mp3"), "audio/mpeg"),
            "artwork": SimpleUploadedFile("cover.png", image_bytes("png"), "image/png"),
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    song = Song.objects.get(title="Curated")
    assert song.created_by == staff_user
    assert song.audio.name.startswith(f"users/{staff_user.pk}/chants/{song.pk}/audio/")
    assert storage.object_exists(song.audio.name) and storage.object_exists(song.artwork.name)
    change_page = curator.get(f"/admin/chants/song/{song.pk}/change/").content.decode()
    assert "/api/storage/" in change_page  # the current file links through a signed URL


def test_admin_delete_removes_the_song_objects(curator, local_storage, django_capture_on_commit_callbacks):
    curator.post(
        "/admin/chants/song/add/",
        {
            **INLINE_FORMSET_FOR_SONG,
            "title": "Gone",
            "lyrics": "",
            "audio": SimpleUploadedFile("gone.mp3", tone_bytes("mp3"), "audio/mpeg"),
        },
    )
    song = Song.objects.get(title="Gone")
    key = song.audio.name

    with django_capture_on_commit_callbacks(execute=True):
        response = curator.post(f"/admin/chants/song/{song.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Song.objects.filter(pk=song.pk).exists()
    assert not storage.object_exists(key)


def test_an_uploaded_audio_file_sets_the_duration(curator, local_storage):
    curator.post(
        "/admin/chants/song/add/",
        {
            **INLINE_FORMSET_FOR_SONG,
            "title": "Timed",
            "lyrics": "",
            "audio": SimpleUploadedFile("timed.mp3", tone_bytes("mp3", seconds=3.0), "audio/mpeg"),
        },
    )

    assert Song.objects.get(title="Timed").duration_seconds == pytest.approx(3.0, abs=0.1)


@pytest.mark.parametrize(
    ("field", "upload", "message"),
    [
        (
            "audio",
            SimpleUploadedFile("fake.mp3", b"<html>not audio</html>" * 50, "audio/mpeg"),
            "not a recognisable audio file",
        ),
        ("audio", SimpleUploadedFile("cover.png", image_bytes("png"), "image/png"), "is not accepted for audio"),
        (
            "artwork",
            SimpleUploadedFile("fake.png", b"not an image at all" * 10, "image/png"),
            "not a JPEG, PNG, WebP or GIF",
        ),
        ("artwork", SimpleUploadedFile("empty.png", b"", "image/png"), "empty"),
    ],
    ids=["not-audio", "wrong-type", "not-an-image", "empty"],
)
def test_the_admin_refuses_files_the_api_would_refuse(curator, local_storage, field, upload, message):
    response = curator.post(
        "/admin/chants/song/add/", {**INLINE_FORMSET_FOR_SONG, "title": "Refused", "lyrics": "", field: upload}
    )

    assert response.status_code == 200  # the form again, with the error
    assert message in response.content.decode()
    assert not Song.objects.filter(title="Refused").exists()
