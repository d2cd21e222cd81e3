"""What the API root (`GET /api/`) lists: each app's endpoints, the schema, the docs and the admin.

Each link is a `LinkField` naming its route, so this one place says what is listed, and the
OpenAPI schema (the `ApiRoot` component) is read from the same fields. A new app adds its
serializer here and a field for it in `ApiRootSerializer`.
"""

from django.urls import reverse
from rest_framework import serializers


class LinkField(serializers.URLField):
    """The absolute URL of a named route, with the scheme, host and port the client used."""

    def __init__(self, url_name: str, **kwargs):
        self.url_name = url_name
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value) -> str:
        return self.context["request"].build_absolute_uri(reverse(self.url_name))


class AuthLinksSerializer(serializers.Serializer):
    register = LinkField("auth-register", help_text="POST a username and password: an account and a token pair.")
    token = LinkField("auth-token", help_text="POST a username and password: a token pair.")
    token_refresh = LinkField("auth-token-refresh", help_text="POST a refresh token: a new pair.")
    logout = LinkField("auth-logout", help_text="POST a refresh token: it is blacklisted.")
    password = LinkField("auth-password", help_text="POST the old and new password (logged in).")
    me = LinkField("auth-me", help_text="The logged-in user.")


class ChantsLinksSerializer(serializers.Serializer):
    songs = LinkField("song-list", help_text="The song catalogue.")


class TracksLinksSerializer(serializers.Serializer):
    tracks = LinkField("track-list", help_text="Your track library.")


class LearningLinksSerializer(serializers.Serializer):
    due = LinkField("learning-due", help_text="The cards due for review.")
    stats = LinkField("learning-stats", help_text="Your review statistics.")
    settings = LinkField("learning-settings", help_text="Your scheduler and desired retention.")


class MasteringLinksSerializer(serializers.Serializer):
    analyses = LinkField("mastering-analysis-list", help_text="Your analyses; POST a mix to analyse.")
    references = LinkField("mastering-reference-list", help_text="Reference masters: built in and your own.")
    settings = LinkField("mastering-settings", help_text="Your default genre and recommendation level.")


class DownloadsLinksSerializer(serializers.Serializer):
    downloads = LinkField("download-list", help_text="Your SoundCloud downloads; POST tracks to zip.")


class WrappedLinksSerializer(serializers.Serializer):
    overview = LinkField("wrapped-overview", help_text="Your enrollment and every month's Wrapped.")
    account = LinkField("wrapped-account", help_text="Your linked Spotify account.")
    authorize = LinkField("wrapped-authorize", help_text="Link Spotify: the consent page's URL.")
    release_radar = LinkField("wrapped-release-radar", help_text="Your weekly release radars.")


class ApiRootSerializer(serializers.Serializer):
    auth = AuthLinksSerializer(source="*", read_only=True)
    health = LinkField(
        "health", help_text="Whether the database, broker, storage and ffmpeg work, and Spotify is configured."
    )
    chants = ChantsLinksSerializer(source="*", read_only=True)
    tracks = TracksLinksSerializer(source="*", read_only=True)
    learning = LearningLinksSerializer(source="*", read_only=True)
    mastering = MasteringLinksSerializer(source="*", read_only=True)
    downloads = DownloadsLinksSerializer(source="*", read_only=True)
    wrapped = WrappedLinksSerializer(source="*", read_only=True)
    schema = LinkField("schema", help_text="The OpenAPI 3 schema: YAML, or JSON with ?format=json.")
    docs = LinkField("swagger-ui", help_text="Swagger UI.")
    redoc = LinkField("redoc", help_text="ReDoc.")
    admin = LinkField("admin:index", help_text="The admin (staff only).")
