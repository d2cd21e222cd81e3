from rest_framework.negotiation import DefaultContentNegotiation

_PLAIN_ACCEPTS = frozenset({"", "*/*", "application/json"})


class JSONFirstNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, with a short cut for what API clients send: JSON or no preference.

    Parsing and ranking the Accept header is a measurable share of a cached detail
    request; the answer for these three values is always the first (JSON) renderer.
    Anything else (browsers asking for HTML, ?format=) goes through DRF's full rules.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        first = renderers[0]
        if (
            first.media_type == "application/json"
            and not format_suffix
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
            and request.META.get("HTTP_ACCEPT", "").strip() in _PLAIN_ACCEPTS
        ):
            return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
