import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_api_clients_get_json(api_client, accept):
    headers = {"HTTP_ACCEPT": accept} if accept is not None else {}

    response = api_client.get("/api/chants/songs/", **headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_browsers_get_the_browsable_api(api_client):
    response = api_client.get("/api/chants/songs/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")

    assert response["Content-Type"].startswith("text/html")


def test_format_override_and_unsatisfiable_accept_follow_drf(api_client):
    assert api_client.get("/api/chants/songs/?output_format=api")["Content-Type"].startswith("text/html")
    assert api_client.get("/api/chants/songs/", HTTP_ACCEPT="application/xml").status_code == 406
