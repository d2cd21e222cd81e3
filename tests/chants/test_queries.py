import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import SongFactory, UserFactory

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_song_list_costs_the_same_queries_for_5_or_100_songs(api_client):
    creators = UserFactory.create_batch(3)
    SongFactory.create_batch(5, created_by=creators[0])
    small = _queries(api_client, "/api/chants/songs/?limit=100")

    for creator in creators:
        SongFactory.create_batch(40, created_by=creator)
    large = _queries(api_client, "/api/chants/songs/?limit=100")

    assert small == large == 2  # the page and its count


def test_song_detail_is_one_query_then_served_from_the_cache(api_client):
    song = SongFactory()

    assert _queries(api_client, f"/api/chants/songs/{song.pk}/") == 1
    assert _queries(api_client, f"/api/chants/songs/{song.pk}/") == 0


def test_authenticated_list_adds_only_the_user_lookup(client_a):
    SongFactory.create_batch(30)

    assert _queries(client_a, "/api/chants/songs/?limit=100") == 3
