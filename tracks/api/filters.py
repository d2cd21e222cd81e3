import django_filters

from tracks.models import Track


class TrackFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Track.Status.choices)
    artist = django_filters.CharFilter(lookup_expr="iexact")
    genre = django_filters.CharFilter(lookup_expr="iexact")
    format = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Track
        fields = ("status", "artist", "genre", "format")
