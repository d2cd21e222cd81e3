import pytest

from core import storage
from tests.tracks.flow import upload
from tracks.models import Track

pytestmark = pytest.mark.django_db


def test_curators_see_tracks_with_their_tags_and_can_delete_them(
    curator, client_a, audio_files, django_capture_on_commit_callbacks
):
    [result] = upload(client_a, {"Admin View.flac": audio_files["flac"]})
    track = Track.objects.get(pk=result["track_id"])

    listing = curator.get("/admin/tracks/track/?status__exact=ready&q=admin")
    change = curator.get(f"/admin/tracks/track/{track.pk}/change/")
    with django_capture_on_commit_callbacks(execute=True):
        deleted = curator.post(f"/admin/tracks/track/{track.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200 and "Admin View.flac" in listing.content.decode()
    assert change.status_code == 200 and "GBUM71029604" in change.content.decode()
    assert deleted.status_code == 302
    assert not Track.objects.filter(pk=track.pk).exists()
    assert not storage.object_exists(track.mp3_key) and not storage.object_exists(track.original_key)
