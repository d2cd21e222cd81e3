import uuid

import pytest

from chants.models import Song
from tests.factories import SongFactory

pytestmark = pytest.mark.django_db
SONGS = "/api/chants/songs/"


def test_anyone_can_list_and_read_songs(api_client):
    song = SongFactory(title="Amazing Grace", lyrics="how sweet the sound")

    listing = api_client.get(SONGS)
    detail = api_client.get(f"{SONGS}{song.pk}/")

    assert listing.status_code == 200
    assert listing.data["count"] == 1
    assert listing.data["results"][0]["title"] == "Amazing Grace"
    assert "lyrics" not in listing.data["results"][0]
    assert detail.status_code == 200
    assert detail.data["lyrics"] == "how sweet the sound"
    assert detail.data["audio_url"] is None
    assert detail.data["artwork_url"] is None


def test_creating_needs_an_account(api_client):
    response = api_client.post(SONGS, {"title": "Anonymous"})

    assert response.status_code == 401
    assert not Song.objects.exists()


def test_create_stores_the_song_with_its_creator(client_a, user):
    response = client_a.post(
        SONGS,
        {
            "title": "Kyrie",
            "artist": "The Choir",
            "language": "el",
            "duration_seconds": 181.5,
            "lyrics": "Kyrie eleison",
        },
    )

    assert response.status_code == 201, response.data
    song = Song.objects.get(pk=response.data["id"])
    assert song.created_by == user
    assert song.title == "Kyrie"
    assert song.duration_seconds == 181.5
    assert response["Location"].endswith(f"{SONGS}{song.pk}/")
    assert response["ETag"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"title": "ok", "duration_seconds": -1}, "duration_seconds"),
        ({"title": "ok", "duration_seconds": "long"}, "duration_seconds"),
        ({"title": "ok", "genre": "g" * 101}, "genre"),
    ],
)
def test_create_rejects_bad_input_naming_the_field(client_a, body, field):
    response = client_a.post(SONGS, body)

    assert response.status_code == 400
    assert field in response.data
    assert not Song.objects.exists()


def test_malformed_json_is_a_400_not_a_500(client_a):
    response = client_a.post(SONGS, data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert "JSON parse error" in response.data["detail"]


def test_creator_can_update_and_delete(client_a, user):
    song = SongFactory(created_by=user, title="Old")

    put = client_a.put(f"{SONGS}{song.pk}/", {"title": "New", "artist": "Someone"})
    patch = client_a.patch(f"{SONGS}{song.pk}/", {"genre": "hymn"})
    song.refresh_from_db()

    assert put.status_code == 200 and patch.status_code == 200
    assert (song.title, song.artist, song.genre) == ("New", "Someone", "hymn")
    assert client_a.delete(f"{SONGS}{song.pk}/").status_code == 204
    assert not Song.objects.filter(pk=song.pk).exists()


def test_put_needs_every_required_field(client_a, user):
    song = SongFactory(created_by=user, title="Kept")

    response = client_a.put(f"{SONGS}{song.pk}/", {"artist": "Only artist"})
    song.refresh_from_db()

    assert response.status_code == 400
    assert song.title == "Kept"


def test_someone_else_cannot_change_or_delete_a_song(client_b, user):
    song = SongFactory(created_by=user, title="Mine")

    assert client_b.patch(f"{SONGS}{song.pk}/", {"title": "Theirs"}).status_code == 403
    assert client_b.delete(f"{SONGS}{song.pk}/").status_code == 403
    song.refresh_from_db()
    assert song.title == "Mine"


def test_staff_can_change_any_song(staff_user, user):
    from tests.conftest import bearer_client

    song = SongFactory(created_by=user)

    response = bearer_client(staff_user).patch(f"{SONGS}{song.pk}/", {"title": "Curated"})

    assert response.status_code == 200
    assert response.data["title"] == "Curated"


@pytest.mark.parametrize("path", [f"{SONGS}{uuid.uuid4()}/", f"{SONGS}not-a-uuid/"])
def test_unknown_song_is_404(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 404
    assert "Not found" in response.json()["detail"] or "No Song matches" in response.json()["detail"]


def test_search_filters_ordering_and_pagination(api_client):
    SongFactory(
        title="Ave Maria", artist="Schubert", album="Lieder", genre="classical", language="la", lyrics="gratia plena"
    )
    SongFactory(title="Hallelujah", artist="Cohen", genre="folk", language="en", lyrics="secret chord")
    SongFactory(
        title="Ave Verum", artist="Mozart", album="Motets", genre="classical", language="la", lyrics="natum de maria"
    )
    for index in range(5):
        SongFactory(title=f"Filler {index}", artist="Nobody", genre="pop", language="en", lyrics="la la")

    def titles(query: str) -> list[str]:
        response = api_client.get(f"{SONGS}?{query}")
        assert response.status_code == 200, response.data
        return [song["title"] for song in response.data["results"]]

    assert titles("search=ave") == ["Ave Maria", "Ave Verum"]
    assert titles("search=secret chord") == ["Hallelujah"]
    assert titles("search=maria") == ["Ave Maria", "Ave Verum"]
    assert titles("genre=CLASSICAL&ordering=-title") == ["Ave Verum", "Ave Maria"]
    assert titles("artist=cohen") == ["Hallelujah"]
    assert titles("language=la&album=motets") == ["Ave Verum"]
    assert titles("language=en&album=Motets") == []
    page = api_client.get(f"{SONGS}?limit=3&offset=3&artist=Nobody").data
    assert page["count"] == 5
    assert [song["title"] for song in page["results"]] == ["Filler 3", "Filler 4"]
    assert page["next"] is None and page["previous"] is not None


def test_bad_ordering_and_limits_do_not_break_the_list(api_client):
    SongFactory()

    assert api_client.get(f"{SONGS}?ordering=password").status_code == 200
    assert api_client.get(f"{SONGS}?limit=-5").status_code == 200
    assert len(api_client.get(f"{SONGS}?limit=100000").data["results"]) == 1


def test_filters_with_suffixed_parameters_still_apply(api_client):
    import django_filters

    from chants.api.filters import SongFilter

    SongFactory(title="Timed", duration_seconds=100)

    class WithRange(SongFilter):
        duration = django_filters.RangeFilter(field_name="duration_seconds")

    from chants.api.views import SongViewSet

    original = SongViewSet.filterset_class
    SongViewSet.filterset_class = WithRange
    try:
        matched = api_client.get(f"{SONGS}?duration_min=50&duration_max=150")
        missed = api_client.get(f"{SONGS}?duration_min=150")
    finally:
        SongViewSet.filterset_class = original

    assert [song["title"] for song in matched.data["results"]] == ["Timed"]
    assert missed.data["count"] == 0
