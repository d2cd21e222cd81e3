from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.params import UUID_PATTERN
from core.parsers import JSONParser
from tracks import selectors, services
from tracks.api import serializers as s
from tracks.api.filters import TrackFilter
from tracks.models import Track

NOT_AUDIO = OpenApiResponse(description="A file name or content type is not audio.")
ALREADY_IN_LIBRARY = OpenApiResponse(description="A file of that name is already in your library (its `track_id` too).")
NOT_YOURS = OpenApiResponse(description="A track id is not one of your tracks.")


@extend_schema_view(
    list=extend_schema(
        summary="Your tracks (no URLs, no sha256 or details); filter, search, order, paginate",
        responses=s.TrackSerializer(many=True),
    ),
    retrieve=extend_schema(summary="One track with its full tag record"),
    update=extend_schema(
        summary="Rename a track", request=s.TrackUpdateInputSerializer, responses=s.TrackDetailSerializer
    ),
    partial_update=extend_schema(
        summary="Rename a track", request=s.TrackUpdateInputSerializer(partial=True), responses=s.TrackDetailSerializer
    ),
    destroy=extend_schema(summary="Delete a track and every object it owns"),
)
class TrackViewSet(viewsets.GenericViewSet):
    filterset_class = TrackFilter
    search_fields = ("name", "artist", "album", "file_name")
    ordering_fields = ("name", "artist", "album", "genre", "year", "bpm", "duration_seconds", "created_at", "file_name")
    ordering = ("-created_at", "id")
    lookup_value_regex = UUID_PATTERN
    serializer_class = s.TrackDetailSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Track.objects.none()
        if self.action == "list":
            return selectors.tracks_of(owner=self.request.user)
        return selectors.track_with_details(owner=self.request.user)

    def get_parsers(self):
        # A confirm's `files` is a list of objects, which only JSON can carry (forms are flat).
        action = getattr(self, "action", None) or self.action_map.get(self.request.method.lower())
        return [JSONParser()] if action == "create" else super().get_parsers()

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(s.TrackSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(s.TrackDetailSerializer(self.get_object()).data)

    def update(self, request, pk=None):
        return self._rename(request, partial=False)

    def partial_update(self, request, pk=None):
        return self._rename(request, partial=True)

    def _rename(self, request, *, partial: bool) -> Response:
        track = self.get_object()
        serializer = s.TrackUpdateInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        services.track_update(track_id=track.pk, **serializer.validated_data)
        return Response(s.TrackDetailSerializer(self.get_object()).data)

    def destroy(self, request, pk=None):
        services.track_delete(track_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Confirm uploaded files: 202 with each `processing` (a worker reads and keeps it), or why not",
        request=s.ConfirmInputSerializer,
        responses={202: s.ConfirmResultsSerializer, 404: NOT_YOURS},
    )
    def create(self, request):
        serializer = s.ConfirmInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        results = services.track_uploads_confirm(owner=request.user, confirmations=serializer.validated_data["files"])
        # One status per file: a bad file is reported in its entry and does not fail the others. The
        # client polls the tracks that are `processing` (GET /api/tracks/{id}/ or the list).
        return Response(s.ConfirmResultsSerializer({"tracks": results}).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Presigned upload URLs for 1 to 100 files; creates their tracks",
        request=s.UploadInputSerializer,
        responses={
            201: s.UploadSlotsSerializer,
            409: ALREADY_IN_LIBRARY,
            413: OpenApiResponse(description="A file is over TRACKS_MAX_UPLOAD_MB."),
            415: NOT_AUDIO,
        },
    )
    @action(detail=False, methods=["post"], url_path="upload-urls", parser_classes=[JSONParser])
    def upload_urls(self, request):
        serializer = s.UploadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        slots = services.track_upload_urls_create(owner=request.user, uploads=serializer.validated_data["files"])
        return Response(s.UploadSlotsSerializer({"uploads": slots}).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Upload one file directly (multipart): 202 with the track `processing`, read by a worker",
        request={"multipart/form-data": s.DirectUploadInputSerializer},
        responses={
            202: s.ConfirmResultSerializer,
            409: ALREADY_IN_LIBRARY,
            413: OpenApiResponse(description="The file is over TRACKS_MAX_UPLOAD_MB."),
            415: NOT_AUDIO,
        },
    )
    @action(detail=False, methods=["post"], parser_classes=[parsers.MultiPartParser])
    def upload(self, request):
        serializer = s.DirectUploadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.track_create_from_file(
            owner=request.user, uploaded=data["file"], name=data.get("name", ""), artist=data.get("artist", "")
        )
        return Response(s.ConfirmResultSerializer(result).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="The id of your track with this file name",
        parameters=[s.LookupQuerySerializer],
        responses={200: s.LookupSerializer, 404: OpenApiResponse(description="No track of yours has that file name.")},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def lookup(self, request):
        query = s.LookupQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)  # required, at most 255 characters, no NUL
        track_id = selectors.track_id_named(owner=request.user, file_name=query.validated_data["file_name"])
        return Response(s.LookupSerializer({"track_id": track_id}).data)

    @extend_schema(
        summary="Presigned MP3, original and artwork URLs of your ready tracks, paged",
        parameters=[
            s.DownloadUrlsQuerySerializer,
            OpenApiParameter("limit", OpenApiTypes.INT, description="Number of results to return per page."),
            OpenApiParameter(
                "offset", OpenApiTypes.INT, description="The initial index from which to return the results."
            ),
        ],
        responses={200: s.DownloadUrlPageSerializer},
    )
    @action(detail=False, methods=["get"], url_path="download-urls", filter_backends=[])
    def download_urls(self, request):
        query = s.DownloadUrlsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.ready_tracks_of(owner=request.user, ids=query.validated_data["ids"]))
        items = s.DownloadUrlSerializer(selectors.download_urls_of(page), many=True).data
        # The paginator's body with the items under `tracks` (WaveLoft's name), as DownloadUrlPageSerializer declares.
        body = self.get_paginated_response(items).data
        body["tracks"] = body.pop("results")
        return Response(body)

    @extend_schema(
        summary="Create a placeholder track item with a name and no file",
        request=s.TrackItemInputSerializer,
        responses={201: s.TrackDetailSerializer},
    )
    @action(detail=False, methods=["post"])
    def items(self, request):
        serializer = s.TrackItemInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        track = services.track_item_create(owner=request.user, **serializer.validated_data)
        return Response(s.TrackDetailSerializer(track).data, status=status.HTTP_201_CREATED)
