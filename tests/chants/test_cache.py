"""The shared detail cache never serves what a committed write replaced."""

import pytest

from chants import cache as song_cache
from chants import selectors
from tests.factories import DEFAULT_PASSWORD, INLINE_FORMSET_FOR_SONG, SongFactory

pytestmark = pytest.mark.django_db
SONGS = "/api/chants/songs/"


def test_an_edit_shows_on_the_next_read(api_client, client_a, user):
    song = SongFactory(created_by=user, title="Before")
    assert api_client.get(f"{SONGS}{song.pk}/").data["title"] == "Before"

    client_a.patch(f"{SONGS}{song.pk}/", {"title": "After"})

    assert api_client.get(f"{SONGS}{song.pk}/").data["title"] == "After"


def test_a_deleted_song_is_gone_at_once(api_client, client_a, user):
    song = SongFactory(created_by=user)
    api_client.get(f"{SONGS}{song.pk}/")

    client_a.delete(f"{SONGS}{song.pk}/")

    assert api_client.get(f"{SONGS}{song.pk}/").status_code == 404


def test_a_reader_that_loaded_before_a_write_cannot_overwrite_it(user):
    song = SongFactory(created_by=user, title="Old")
    stale = selectors.song_row(song)
    song.title = "New"
    song.save()
    song_cache.put(selectors.song_row(song))  # what the writer does after its commit

    song_cache.add(stale)  # a reader that loaded the old row finishes late

    assert selectors.song_detail(song_id=song.pk)["title"] == "New"


def test_an_admin_edit_shows_on_the_next_read(api_client, client, staff_user, django_capture_on_commit_callbacks):
    staff_user.is_superuser = True
    staff_user.save()
    client.login(username=staff_user.username, password=DEFAULT_PASSWORD)
    song = SongFactory(title="Before")
    api_client.get(f"{SONGS}{song.pk}/")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/chants/song/{song.pk}/change/", {**INLINE_FORMSET_FOR_SONG, "title": "Curated", "lyrics": ""}
        )

    assert response.status_code == 302
    assert api_client.get(f"{SONGS}{song.pk}/").data["title"] == "Curated"


class TestAnonymousMicroCache:
    """Another process's write, simulated by changing the shared tier behind this process's back."""

    @pytest.fixture
    def clock(self, monkeypatch):
        now = [1000.0]
        monkeypatch.setattr(song_cache.time, "monotonic", lambda: now[0])
        return now

    def _write_elsewhere(self, song, title):
        song.title = title
        song.save()
        song_cache.cache.set(song_cache._key(str(song.pk)), selectors.song_row(song), song_cache.TTL_SECONDS)

    def test_anonymous_reads_may_lag_one_second_behind_other_processes(self, api_client, clock):
        song = SongFactory(title="Before")
        assert api_client.get(f"{SONGS}{song.pk}/").data["title"] == "Before"

        self._write_elsewhere(song, "After")
        within_a_second = api_client.get(f"{SONGS}{song.pk}/").data["title"]
        clock[0] += 1.01
        after_a_second = api_client.get(f"{SONGS}{song.pk}/").data["title"]

        assert (within_a_second, after_a_second) == ("Before", "After")

    def test_logged_in_readers_always_see_the_shared_tier(self, api_client, client_a, clock):
        song = SongFactory(title="Before")
        api_client.get(f"{SONGS}{song.pk}/")

        self._write_elsewhere(song, "After")

        assert client_a.get(f"{SONGS}{song.pk}/").data["title"] == "After"

    def test_other_spellings_of_an_id_share_one_entry(self, api_client, client_a, user):
        song = SongFactory(created_by=user, title="Before")
        upper = str(song.pk).upper()
        assert api_client.get(f"{SONGS}{upper}/").data["title"] == "Before"

        client_a.patch(f"{SONGS}{song.pk}/", {"title": "After"})

        assert api_client.get(f"{SONGS}{upper}/").data["title"] == "After"
        assert api_client.get(f"{SONGS}{song.pk.hex}/").data["title"] == "After"
