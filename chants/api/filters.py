import django_filters

from chants.models import Song


class SongFilter(django_filters.FilterSet):
    artist = django_filters.CharFilter(lookup_expr="iexact")
    album = django_filters.CharFilter(lookup_expr="iexact")
    genre = django_filters.CharFilter(lookup_expr="iexact")
    language = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Song
        fields = ("artist", "album", "genre", "language")
