import pytest

from tests.factories import SongFactory

pytestmark = pytest.mark.django_db
SONGS = "/api/chants/songs/"


def test_detail_carries_an_etag_and_if_none_match_gives_304(api_client):
    song = SongFactory()

    first = api_client.get(f"{SONGS}{song.pk}/")
    again = api_client.get(f"{SONGS}{song.pk}/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    assert again.content == b""


def test_etag_changes_when_the_song_changes(api_client, client_a, user):
    song = SongFactory(created_by=user)
    before = api_client.get(f"{SONGS}{song.pk}/")["ETag"]

    client_a.patch(f"{SONGS}{song.pk}/", {"title": "Changed"})
    after = api_client.get(f"{SONGS}{song.pk}/", HTTP_IF_NONE_MATCH=before)

    assert after.status_code == 200
    assert after["ETag"] != before


def test_second_editor_with_a_stale_etag_gets_412_and_changes_nothing(client_a, user, staff_user):
    from tests.conftest import bearer_client

    song = SongFactory(created_by=user, title="Original", artist="A")
    editor_two = bearer_client(staff_user)
    etag_read_by_both = client_a.get(f"{SONGS}{song.pk}/")["ETag"]

    first = client_a.patch(f"{SONGS}{song.pk}/", {"title": "First edit"}, HTTP_IF_MATCH=etag_read_by_both)
    second = editor_two.put(
        f"{SONGS}{song.pk}/", {"title": "Second edit", "artist": "B"}, HTTP_IF_MATCH=etag_read_by_both
    )
    song.refresh_from_db()

    assert first.status_code == 200
    assert first["ETag"] != etag_read_by_both
    assert second.status_code == 412
    assert "If-Match" in second.data["detail"]
    assert (song.title, song.artist) == ("First edit", "A")


def test_matching_if_match_and_wildcard_are_accepted(client_a, user):
    song = SongFactory(created_by=user)
    etag = client_a.get(f"{SONGS}{song.pk}/")["ETag"]

    assert client_a.patch(f"{SONGS}{song.pk}/", {"title": "x"}, HTTP_IF_MATCH=etag).status_code == 200
    assert client_a.patch(f"{SONGS}{song.pk}/", {"title": "y"}, HTTP_IF_MATCH="*").status_code == 200


def test_delete_with_a_stale_etag_keeps_the_song(client_a, user):
    song = SongFactory(created_by=user)

    response = client_a.delete(f"{SONGS}{song.pk}/", HTTP_IF_MATCH='"stale"')

    assert response.status_code == 412
    assert client_a.get(f"{SONGS}{song.pk}/").status_code == 200


def test_etag_of_a_song_with_assets_moves_on_before_its_urls_expire(api_client, client_a, user, settings):
    import time_machine

    settings.PRESIGNED_URL_EXPIRES = 900
    song = SongFactory(created_by=user, audio="users/x/chants/s/audio/a-tone.mp3")
    with time_machine.travel("2026-03-01 10:00:00Z", tick=False):
        cached = api_client.get(f"{SONGS}{song.pk}/")
    with time_machine.travel("2026-03-01 10:07:00Z", tick=False):
        still_fresh = api_client.get(f"{SONGS}{song.pk}/", HTTP_IF_NONE_MATCH=cached["ETag"])
    with time_machine.travel("2026-03-01 10:08:00Z", tick=False):
        refreshed = api_client.get(f"{SONGS}{song.pk}/", HTTP_IF_NONE_MATCH=cached["ETag"])
    # Time passing is not an edit: the old ETag still guards a write.
    edit = client_a.patch(f"{SONGS}{song.pk}/", {"title": "Edited"}, HTTP_IF_MATCH=cached["ETag"])

    assert still_fresh.status_code == 304
    assert refreshed.status_code == 200
    assert refreshed.data["audio_url"] != cached.data["audio_url"]
    assert edit.status_code == 200
