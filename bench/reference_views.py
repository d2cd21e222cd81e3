"""Reference views for bench/api_bench.py, served next to the product's URLs.

This module is the ROOT_URLCONF of bench.settings only; the product never
routes to it. Both views run behind the same middleware on the same gunicorn
as the API, so the ratios measure what DRF, the ORM and the product code add.
"""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from chants.models import Song

# Same defaults and cap as core.pagination.LimitOffsetPagination, so the same
# query string selects the same page.
DEFAULT_LIMIT = 20
MAX_LIMIT = 200

# The columns SongListSerializer reads: the ones selectors.song_list() loads,
# audio and artwork included because has_audio/has_artwork derive from them.
_SONG_PAGE_SQL = f"""
    SELECT id, title, artist, album, genre, language, duration_seconds,
           audio, artwork, created_by_id, created_at, updated_at
    FROM {Song._meta.db_table}
    ORDER BY title, id
    LIMIT %s OFFSET %s
"""
_SONG_COUNT_SQL = f"SELECT COUNT(*) FROM {Song._meta.db_table}"

# DRF's JSONRenderer writes compact UTF-8; do the same so both send the same bytes.
_COMPACT_JSON = {"separators": (",", ":"), "ensure_ascii": False}


def _int_param(request: HttpRequest, name: str, default: int) -> int:
    try:
        value = int(request.GET.get(name, default))
    except ValueError:
        return default
    return max(value, 0)


def _page_link(request: HttpRequest, limit: int, offset: int) -> str:
    query = request.GET.copy()
    query["limit"] = str(limit)
    if offset > 0:
        query["offset"] = str(offset)
    else:
        # DRF drops the offset from the link to the first page.
        query.pop("offset", None)
    return request.build_absolute_uri(request.path + "?" + query.urlencode())


def _iso(value) -> str:
    # DRF's DateTimeField: full precision, UTC written as "Z". Django's JSON
    # encoder would cut microseconds, which would make the bodies differ.
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _song(row: tuple) -> dict:
    (
        song_id,
        title,
        artist,
        album,
        genre,
        language,
        duration,
        audio,
        artwork,
        created_by_id,
        created_at,
        updated_at,
    ) = row
    return {
        "id": str(song_id),
        "title": title,
        "artist": artist,
        "album": album,
        "genre": genre,
        "language": language,
        "duration_seconds": duration,
        "has_audio": bool(audio),
        "has_artwork": bool(artwork),
        "created_by": created_by_id,
        "created_at": _iso(created_at),
        "updated_at": _iso(updated_at),
    }


def songs_raw(request: HttpRequest) -> JsonResponse:
    """The song list page as the API returns it, from one SQL query plus the count."""
    limit = min(_int_param(request, "limit", DEFAULT_LIMIT) or DEFAULT_LIMIT, MAX_LIMIT)
    offset = _int_param(request, "offset", 0)
    with connection.cursor() as cursor:
        cursor.execute(_SONG_COUNT_SQL)
        (count,) = cursor.fetchone()
        cursor.execute(_SONG_PAGE_SQL, [limit, offset])
        rows = cursor.fetchall()
    body = {
        "count": count,
        "next": _page_link(request, limit, offset + limit) if offset + limit < count else None,
        "previous": _page_link(request, limit, max(offset - limit, 0)) if offset > 0 else None,
        "results": [_song(row) for row in rows],
    }
    return JsonResponse(body, json_dumps_params=_COMPACT_JSON)


def fixed(request: HttpRequest) -> JsonResponse:
    """The cheapest JSON answer this stack can give: the floor for the detail endpoint."""
    return JsonResponse({"status": "ok", "value": 42}, json_dumps_params=_COMPACT_JSON)


# Error pages are configured on the root URLconf; keep the product's.
handler404 = "core.errors.not_found"
handler500 = "core.errors.server_error"

urlpatterns = [
    path("bench/songs-raw/", songs_raw, name="bench-songs-raw"),
    path("bench/fixed/", fixed, name="bench-fixed"),
    path("", include("config.urls")),
]
