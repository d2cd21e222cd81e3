"""The OpenAPI schema and the two pages that show it (Swagger UI, ReDoc), all served by this app.

The pages load Swagger UI and ReDoc from drf-spectacular-sidecar's static files, never from a CDN,
so the docs work offline. The schema is YAML by default (what tools expect), JSON with
`?format=json` (or the API's `?output_format=json`). A browser that opens the schema's URL asks for
HTML, which the schema has no renderer for: instead of a 406 (or, with a wildcard in its Accept, a
file download) it is shown the YAML as plain text in the page (JSON as `application/json`, which
browsers show too). Nothing here depends on who asks (SERVE_PUBLIC), so no credentials are read: a
stale token never turns the docs into a 401.
"""

from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer

FORMAT_PARAMETER = "format"


class OpenApiYamlTextRenderer(OpenApiYamlRenderer):
    """The YAML schema as `text/plain; charset=utf-8`: a type every browser shows instead of downloading."""

    media_type = "text/plain"
    charset = "utf-8"


# What a browser is given for each format: types it displays in the page.
_FOR_BROWSERS = {"yaml": OpenApiYamlTextRenderer, "json": OpenApiJsonRenderer2}


def asks_for_html(request) -> bool:
    """Whether the Accept header names text/html (with a q above 0): a browser opening the URL.

    API tools and the docs pages' own fetches of the schema never ask for HTML.
    """
    for token in request.META.get("HTTP_ACCEPT", "").split(","):
        media_type, *parameters = (part.strip() for part in token.split(";"))
        if media_type.lower() != "text/html":
            continue
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            return True
    return False


class SchemaNegotiation(DefaultContentNegotiation):
    """`?format=` (or `?output_format=`) chooses YAML or JSON; then a browser gets a type it displays.

    The rest of the API keeps `?format=` for its own filters (the track library's `format`): only
    the schema, which has no filters, reads it.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = (
            format_suffix
            or request.query_params.get(FORMAT_PARAMETER)
            or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        )
        if asks_for_html(request):
            candidates = self.filter_renderers(renderers, wanted or "yaml")  # an unknown format: 404, as DRF does
            shown = _FOR_BROWSERS[candidates[0].format]
            renderer = next(renderer for renderer in candidates if type(renderer) is shown)
            return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix=wanted)


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema: YAML by default, JSON with `?format=json`; readable in a browser."""

    renderer_classes = [
        OpenApiYamlRenderer,
        OpenApiYamlRenderer2,
        OpenApiJsonRenderer,
        OpenApiJsonRenderer2,
        OpenApiYamlTextRenderer,
    ]
    content_negotiation_class = SchemaNegotiation
    authentication_classes = []

    def _get_schema_response(self, request):
        response = super()._get_schema_response(request)
        # Shown as text even by a browser that would otherwise guess HTML from the descriptions in it.
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def handle_exception(self, exc):
        # Every error under /api/ is JSON with a `detail`, not the YAML the schema would have been.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


class SwaggerView(SpectacularSwaggerView):
    """Swagger UI over the schema, from the sidecar's static files."""

    authentication_classes = []
    url_name = "schema"


class RedocView(SpectacularRedocView):
    """ReDoc over the schema, from the sidecar's static files, without drf-spectacular's Google Fonts link."""

    authentication_classes = []
    url_name = "schema"
    template_name = "core/redoc.html"
