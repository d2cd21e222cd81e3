import django_filters
from drf_spectacular.utils import extend_schema_field

from tracks.models import Track


# An empty `?status=` filters nothing (django-filter's empty choice), so the schema lists it too.
@extend_schema_field({"type": "string", "enum": [*Track.Status.values, ""]})
class StatusFilter(django_filters.ChoiceFilter):
    pass


class TrackFilter(django_filters.FilterSet):
    status = StatusFilter(choices=Track.Status.choices)
    artist = django_filters.CharFilter(lookup_expr="iexact")
    genre = django_filters.CharFilter(lookup_expr="iexact")
    format = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Track
        fields = ("status", "artist", "genre", "format")
