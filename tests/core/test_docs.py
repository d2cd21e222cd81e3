"""The newcomer's way in: the API root, the schema in a browser and for tools, the docs pages offline."""

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders

from core.api.docs import asks_for_html

pytestmark = pytest.mark.django_db

SCHEMA = "/api/schema/"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
YAML_TYPE = "application/vnd.oai.openapi; charset=utf-8"


class _Resources(HTMLParser):
    """Every URL a page makes the browser load: script and img src, link href."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("script", "img", "iframe") and attributes.get("src"):
            self.urls.append(attributes["src"])
        if tag == "link" and attributes.get("href"):
            self.urls.append(attributes["href"])


def _resources(html: str) -> list[str]:
    parser = _Resources()
    parser.feed(html)
    return parser.urls


# --- Docs pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_a_docs_page_loads_only_static_files_of_this_server(client, page):
    response = client.get(page, HTTP_ACCEPT=BROWSER)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    urls = _resources(html)
    assert any(url.endswith(".js") for url in urls)  # guards against passing on a page that loads nothing
    for url in urls:
        assert url.startswith(settings.STATIC_URL), url
        assert finders.find(url.removeprefix(settings.STATIC_URL)), f"{url} is not a static file this server has"
    assert "://" not in html and "fonts.googleapis" not in html  # no CDN, no Google Fonts, no absolute URL


def test_swagger_ui_shows_no_validator_badge(client):
    # Swagger UI's default badge is an image from validator.swagger.io.
    html = client.get("/api/docs/").content.decode()

    assert '"validatorUrl": null' in html


def test_both_pages_read_the_schema_served_here(client):
    swagger = client.get("/api/docs/").content.decode()
    redoc = client.get("/api/redoc/").content.decode()

    assert 'url: "/api/schema/"' in swagger
    assert '<redoc spec-url="/api/schema/">' in redoc


def test_a_stale_token_does_not_lock_anyone_out_of_the_docs(client):
    for page in ("/api/docs/", "/api/redoc/", SCHEMA):
        assert client.get(page, HTTP_AUTHORIZATION="Bearer expired.or.forged").status_code == 200, page


def test_the_docs_link_the_schema_as_yaml_and_json_the_other_page_and_the_root(client):
    description = json.loads(client.get(SCHEMA, {"format": "json"}).content)["info"]["description"]
    links = dict(re.findall(r"\[([^\]]+)\]\(([^)]+)\)", description))  # markdown, shown by both pages

    assert links == {
        "API root": "/api/",
        "YAML": "/api/schema/",
        "JSON": "/api/schema/?format=json",
        "Swagger UI": "/api/docs/",
        "ReDoc": "/api/redoc/",
        "the admin": "/admin/",
    }
    assert client.get(links["YAML"])["Content-Type"] == YAML_TYPE
    assert json.loads(client.get(links["JSON"]).content)["openapi"].startswith("3.")
    for target in ("API root", "Swagger UI", "ReDoc"):
        assert client.get(links[target]).status_code == 200, target
    assert client.get(links["the admin"]).status_code == 302  # to its login page


def test_the_site_root_redirects_to_the_docs(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/api/docs/"


# --- The schema -------------------------------------------------------------------------------


def test_tools_get_yaml_by_default_and_json_when_asked(client):
    default = client.get(SCHEMA)
    as_json = client.get(SCHEMA, {"format": "json"})
    as_yaml = client.get(SCHEMA, {"format": "yaml"})
    as_before = client.get(SCHEMA, {"output_format": "json"})  # the API's own override still works

    assert default["Content-Type"] == YAML_TYPE and as_yaml["Content-Type"] == YAML_TYPE
    assert as_json["Content-Type"] == "application/vnd.oai.openapi+json"
    assert as_before["Content-Type"] == "application/vnd.oai.openapi+json"
    document = json.loads(as_json.content)
    assert yaml.safe_load(default.content) == document == yaml.safe_load(as_yaml.content)
    assert "/api/chants/songs/" in document["paths"]


@pytest.mark.parametrize("accept", ["text/html", BROWSER])
def test_a_browser_is_shown_the_yaml_as_text(client, accept):
    response = client.get(SCHEMA, HTTP_ACCEPT=accept)

    assert response.status_code == 200  # was a 406 for text/html, a download for a browser's header
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert yaml.safe_load(response.content) == json.loads(client.get(SCHEMA, {"format": "json"}).content)


def test_a_browser_following_the_json_link_gets_json_it_shows(client):
    response = client.get(SCHEMA, {"format": "json"}, HTTP_ACCEPT=BROWSER)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"  # shown inline, not downloaded
    assert response["Content-Disposition"].startswith("inline")
    assert json.loads(response.content)["info"]["title"] == settings.SPECTACULAR_SETTINGS["TITLE"]


@pytest.mark.parametrize(
    ("accept", "browser"),
    [
        ("text/html", True),
        (BROWSER, True),
        ("Text/HTML; q=0.5", True),
        ("text/html;q=0, application/json", False),
        ("application/vnd.oai.openapi+json", False),
        ("*/*", False),
        ("", False),
        ("text/plain", False),
    ],
)
def test_only_a_header_naming_html_is_a_browser(rf, accept, browser):
    assert asks_for_html(rf.get(SCHEMA, HTTP_ACCEPT=accept)) is browser


def test_schema_errors_are_json_with_a_detail(client):
    unknown_format = client.get(SCHEMA, {"format": "xml"})
    unsatisfiable = client.get(SCHEMA, HTTP_ACCEPT="application/xml")

    assert unknown_format.status_code == 404 and unsatisfiable.status_code == 406
    for response in (unknown_format, unsatisfiable):
        assert response["Content-Type"] == "application/json"
        assert response.json()["detail"]


def test_other_endpoints_keep_format_for_their_filters(client_a):
    # ?format= filters the track library; read as an output format it would be a 404 (no "mp3" renderer).
    response = client_a.get("/api/tracks/", {"format": "mp3"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


# --- The API root -----------------------------------------------------------------------------

# The README's paths, written out: the oracle the root's links are checked against.
ROOT_PATHS = {
    "auth": {
        "register": "/api/auth/register/",
        "token": "/api/auth/token/",
        "token_refresh": "/api/auth/token/refresh/",
        "logout": "/api/auth/logout/",
        "password": "/api/auth/password/",
        "me": "/api/auth/me/",
    },
    "health": "/api/health/",
    "chants": {"songs": "/api/chants/songs/"},
    "tracks": {"tracks": "/api/tracks/"},
    "learning": {
        "due": "/api/learning/due/",
        "stats": "/api/learning/stats/",
        "settings": "/api/learning/settings/",
    },
    "mastering": {
        "analyses": "/api/mastering/analyses/",
        "references": "/api/mastering/references/",
        "settings": "/api/mastering/settings/",
    },
    "downloads": {"downloads": "/api/downloads/"},
    "wrapped": {
        "overview": "/api/wrapped/",
        "account": "/api/wrapped/account/",
        "authorize": "/api/wrapped/spotify/authorize/",
        "release_radar": "/api/wrapped/release-radar/",
    },
    "schema": "/api/schema/",
    "docs": "/api/docs/",
    "redoc": "/api/redoc/",
    "admin": "/admin/",
}


def _leaves(tree: dict, prefix: str = "") -> dict[str, str]:
    found = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            found.update(_leaves(value, f"{prefix}{key}."))
        else:
            found[f"{prefix}{key}"] = value
    return found


def test_the_root_links_every_endpoint_as_absolute_urls_from_the_request(api_client):
    response = api_client.get("/api/", HTTP_HOST="localhost:8123")

    assert response.status_code == 200  # anonymous
    assert response["Content-Type"] == "application/json"
    links = _leaves(response.json())
    assert set(links) == set(_leaves(ROOT_PATHS))
    for name, path in _leaves(ROOT_PATHS).items():
        assert links[name] == f"http://localhost:8123{path}", name


def test_the_root_links_https_when_the_request_was_https(api_client):
    links = _leaves(api_client.get("/api/", secure=True).json())

    assert all(url.startswith("https://testserver/") for url in links.values())


def test_every_root_link_answers(client_a, user, curator, settings):
    from tests.factories import SpotifyAccountFactory

    SpotifyAccountFactory(user=user)  # the wrapped links answer 409 until Spotify is linked
    # ...and the authorize link 503 until the server has a Spotify app (it makes no request to it).
    settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET = "test-client", "test-secret"
    settings.SPOTIFY_REDIRECT_URI = "http://127.0.0.1:8000/spotify/callback"
    links = _leaves(client_a.get("/api/").json())

    for name, url in links.items():
        path = urlsplit(url).path
        response = (curator if name == "admin" else client_a).get(path)
        # POST-only endpoints answer a GET with 405; everything else is there and readable.
        expected = 405 if name.startswith("auth.") and name != "auth.me" else 200
        assert response.status_code == expected, f"{name} {path}: {response.status_code}"


def test_the_root_is_in_the_schema_as_it_answers(client, api_client):
    document = json.loads(client.get(SCHEMA, {"format": "json"}).content)
    operation = document["paths"]["/api/"]["get"]
    reference = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = document["components"]["schemas"][reference.rsplit("/", 1)[1]]
    body = api_client.get("/api/").json()

    assert {} in operation["security"]  # anonymous callers allowed
    assert set(component["properties"]) == set(body) == set(component["required"])


def test_a_browser_gets_the_root_as_the_browsable_api(api_client):
    response = api_client.get("/api/", HTTP_ACCEPT=BROWSER)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert 'href="http://testserver/api/chants/songs/"' in html  # the links are clickable
