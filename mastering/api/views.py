from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.params import UUID_PATTERN
from core.errors import Conflict, Invalid
from core.jobs import JobStatus
from core.parsers import JSONParser
from mastering import selectors, services
from mastering.api import serializers as s
from mastering.models import Analysis

NOT_READABLE = OpenApiResponse(description="Not audio the analysis reads (WAV, FLAC, AIFF, MP3, Ogg).")
TOO_LARGE = OpenApiResponse(description="The file is over MASTERING_MAX_UPLOAD_MB.")
NOT_DONE = OpenApiResponse(description="The analysis is not done (still pending or running, or failed).")


def _done(analysis: Analysis) -> Analysis:
    if analysis.status != JobStatus.DONE:
        raise Conflict({"detail": f"The analysis is {analysis.status}, not done.", "status": analysis.status})
    return analysis


@extend_schema_view(
    list=extend_schema(summary="Your analyses, newest first"),
    retrieve=extend_schema(summary="One analysis: status, measures, bands, recommendations, platform preview"),
    destroy=extend_schema(summary="Delete an analysis and its stored file"),
)
class AnalysisViewSet(viewsets.GenericViewSet):
    lookup_value_regex = UUID_PATTERN
    serializer_class = s.AnalysisDetailSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Analysis.objects.none()
        return selectors.analyses_of(owner=self.request.user)

    def get_object(self):
        return selectors.analysis_of(owner=self.request.user, analysis_id=self.kwargs["pk"])

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.AnalysisListSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(s.AnalysisDetailSerializer(self.get_object()).data)

    @extend_schema(
        summary="Upload a mix (multipart) to analyse; 202 while it is pending",
        request={"multipart/form-data": s.AnalysisInputSerializer},
        responses={202: s.AnalysisDetailSerializer, 413: TOO_LARGE, 415: NOT_READABLE},
    )
    def create(self, request):
        serializer = s.AnalysisInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        defaults = services.settings_of(request.user)
        genre = data.get("genre") or defaults.default_genre
        if not genre:
            raise Invalid({"genre": ["Name a genre, or set a default genre in /api/mastering/settings/."]})
        analysis = services.analysis_create(
            owner=request.user,
            uploaded=data["file"],
            genre=genre,
            recommendation_level=data.get("recommendation_level") or defaults.default_recommendation_level,
        )
        return Response(s.AnalysisDetailSerializer(analysis).data, status=status.HTTP_202_ACCEPTED)

    def get_parsers(self):
        action_name = getattr(self, "action", None) or self.action_map.get(self.request.method.lower())
        return [parsers.MultiPartParser()] if action_name == "create" else super().get_parsers()

    def destroy(self, request, pk=None):
        services.analysis_delete(analysis_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Momentary and short-term loudness over time",
        responses={200: s.LoudnessSeriesSerializer, 409: NOT_DONE},
    )
    @action(detail=True, methods=["get"])
    def loudness(self, request, pk=None):
        analysis = _done(self.get_object())
        return Response(s.LoudnessSeriesSerializer(analysis.loudness_series).data)

    @extend_schema(
        summary="Band balance against the genre and loudness over time, as one PNG",
        responses={(200, "image/png"): OpenApiTypes.BINARY, 409: NOT_DONE},
    )
    def plot(self, request, pk=None):  # routed in urls.py: `plot.png` has no trailing slash
        from mastering import plot  # matplotlib: loaded by the first plot, not by every process

        analysis = _done(self.get_object())
        targets = selectors.genre_targets(genre=analysis.genre, user=request.user)
        image = plot.render_png(
            bands=analysis.bands or [],
            genre_target=selectors.band_targets(targets),
            loudness_series=analysis.loudness_series or {},
            integrated_lufs=(analysis.overall or {}).get("integrated_lufs"),
            title=f"{analysis.file_name} ({analysis.genre})",
        )
        response = HttpResponse(image, content_type="image/png")
        response["Cache-Control"] = "private, max-age=3600"
        return response

    @extend_schema(
        summary="References ranked by cosine similarity to this analysis",
        parameters=[s.SimilarQuerySerializer],
        responses={200: s.SimilarSerializer, 409: NOT_DONE},
    )
    @action(detail=True, methods=["get"])
    def similar(self, request, pk=None):
        query = s.SimilarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        analysis = _done(self.get_object())
        genre = query.validated_data.get("genre", "")
        found = selectors.similar_references(
            analysis=analysis, user=request.user, genre=genre, top_k=query.validated_data["top_k"]
        )
        body = {
            "analysis_id": analysis.pk,
            "genre": genre,
            "results": [{"score": item.score, "reference": item.reference} for item in found],
        }
        return Response(s.SimilarSerializer(body).data)


@extend_schema_view(
    list=extend_schema(summary="Built-in references and your own", parameters=[s.GenreQuerySerializer]),
    retrieve=extend_schema(summary="One reference"),
    destroy=extend_schema(summary="Delete one of your references"),
)
class ReferenceViewSet(viewsets.GenericViewSet):
    lookup_value_regex = UUID_PATTERN
    serializer_class = s.ReferenceSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.Reference.objects.none()
        return selectors.references_for(user=self.request.user)

    def get_parsers(self):
        action_name = getattr(self, "action", None) or self.action_map.get(self.request.method.lower())
        return [parsers.MultiPartParser()] if action_name == "create" else super().get_parsers()

    def list(self, request):
        query = s.GenreQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        references = selectors.references_for(user=request.user, genre=query.validated_data.get("genre"))
        page = self.paginate_queryset(references)
        return self.get_paginated_response(s.ReferenceSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(s.ReferenceSerializer(selectors.reference_of(user=request.user, reference_id=pk)).data)

    @extend_schema(
        summary="Upload a reference master of yours (multipart); analysed in the background, private to you",
        request={"multipart/form-data": s.ReferenceInputSerializer},
        responses={202: s.ReferenceSerializer, 413: TOO_LARGE, 415: NOT_READABLE},
    )
    def create(self, request):
        serializer = s.ReferenceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        reference = services.reference_create(
            owner=request.user,
            uploaded=data["file"],
            name=data["name"],
            artist=data["artist"],
            genre=data["genre"],
            year=data.get("year"),
        )
        return Response(s.ReferenceSerializer(reference).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={204: None, 403: OpenApiResponse(description="Built-in references are not yours.")})
    def destroy(self, request, pk=None):
        reference = selectors.reference_of(user=request.user, reference_id=pk)
        if reference.owner_id != request.user.pk:
            raise PermissionDenied("Built-in references can only be changed in the admin.")
        services.reference_delete(reference_id=reference.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SettingsView(APIView):
    # A handful of fields: JSON only (a form or multipart body that parses to nothing is no change at all).
    parser_classes = [JSONParser]

    @extend_schema(summary="Your mastering defaults", responses=s.MasteringSettingsSerializer)
    def get(self, request):
        return Response(s.MasteringSettingsSerializer(services.settings_of(request.user)).data)

    @extend_schema(
        summary="Change your mastering defaults",
        request=s.MasteringSettingsSerializer,
        responses=s.MasteringSettingsSerializer,
    )
    def patch(self, request):
        serializer = s.MasteringSettingsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        updated = services.settings_update(user=request.user, **serializer.validated_data)
        return Response(s.MasteringSettingsSerializer(updated).data)
