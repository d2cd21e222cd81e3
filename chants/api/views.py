from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from chants import selectors, services
from chants.api.filters import SongFilter
from chants.api.serializers import (
    AssetUploadInputSerializer,
    AssetUploadSerializer,
    AssetUploadStartedSerializer,
    SongDetailSerializer,
    SongInputSerializer,
    SongListSerializer,
)
from core.api.params import IF_MATCH, IF_NONE_MATCH, UUID_PATTERN
from core.conditional import none_match
from core.permissions import IsCreatorOrStaff

PRECONDITION_FAILED = OpenApiResponse(description="If-Match names an ETag that is no longer current.")


def _require_song_editor(request, song) -> None:
    permission = IsCreatorOrStaff()
    if not permission.has_object_permission(request, None, song):
        raise PermissionDenied(permission.message)


def _detail_response(row: dict, *, status_code: int = status.HTTP_200_OK) -> Response:
    response = Response(SongDetailSerializer(row).data, status=status_code)
    response["ETag"] = services.song_etag(row)
    return response


@extend_schema_view(
    list=extend_schema(summary="List and search songs"),
    retrieve=extend_schema(
        summary="A song with short-lived download URLs for its assets",
        parameters=[IF_NONE_MATCH],
        responses={200: SongDetailSerializer, 304: OpenApiResponse(description="Not modified.")},
    ),
    create=extend_schema(summary="Add a song", request=SongInputSerializer, responses={201: SongDetailSerializer}),
    update=extend_schema(
        summary="Replace a song's fields",
        parameters=[IF_MATCH],
        request=SongInputSerializer,
        responses={200: SongDetailSerializer, 412: PRECONDITION_FAILED},
    ),
    partial_update=extend_schema(
        summary="Change some of a song's fields",
        parameters=[IF_MATCH],
        request=SongInputSerializer(partial=True),
        responses={200: SongDetailSerializer, 412: PRECONDITION_FAILED},
    ),
    destroy=extend_schema(
        summary="Delete a song and its asset files",
        parameters=[IF_MATCH],
        responses={204: None, 412: PRECONDITION_FAILED},
    ),
)
class SongViewSet(viewsets.GenericViewSet):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsCreatorOrStaff]
    filterset_class = SongFilter
    search_fields = ("title", "artist", "album", "lyrics")
    ordering_fields = ("title", "artist", "album", "genre", "language", "duration_seconds", "created_at", "updated_at")
    ordering = ("title", "id")
    lookup_value_regex = UUID_PATTERN
    serializer_class = SongDetailSerializer

    def get_queryset(self):
        return selectors.song_list() if self.action == "list" else selectors.songs()

    def filter_queryset(self, queryset):
        # Search, filters and ordering shape lists; a lookup by id needs none of them.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_serializer_class(self):
        if self.action == "list":
            return SongListSerializer
        if self.action in ("create", "update", "partial_update"):
            return SongInputSerializer
        return SongDetailSerializer

    def list(self, request):
        songs = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(SongListSerializer(songs, many=True).data)

    def retrieve(self, request, pk=None):
        # Reading is public (no object permission to check), so the detail row can come
        # from the caches without loading the model; anonymous readers may get one a second old.
        row = selectors.song_detail(song_id=pk, allow_recent=not request.user.is_authenticated)
        etag = services.song_etag(row)
        if none_match(request.headers.get("If-None-Match"), etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        response = Response(SongDetailSerializer(row).data)
        response["ETag"] = etag
        return response

    def create(self, request):
        data = self._valid_input(request, partial=False)
        song = services.song_create(user=request.user, **data)
        response = _detail_response(selectors.song_row(song), status_code=status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(f"{song.pk}/")
        return response

    def update(self, request, pk=None):
        return self._change(request, partial=False)

    def partial_update(self, request, pk=None):
        return self._change(request, partial=True)

    def destroy(self, request, pk=None):
        song = self.get_object()
        services.song_delete(song_id=song.pk, if_match=request.headers.get("If-Match"))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _change(self, request, *, partial: bool) -> Response:
        song = self.get_object()
        data = self._valid_input(request, partial=partial)
        song = services.song_update(song_id=song.pk, if_match=request.headers.get("If-Match"), **data)
        return _detail_response(selectors.song_row(song))

    @staticmethod
    def _valid_input(request, *, partial: bool) -> dict:
        serializer = SongInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class SongAssetViewSet(viewsets.GenericViewSet):
    """Uploads of a song's audio and artwork: start (presigned URL), complete, follow."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = AssetUploadSerializer
    lookup_value_regex = UUID_PATTERN
    lookup_url_kwarg = "upload_id"
    filter_backends = []

    def get_queryset(self):
        return selectors.asset_uploads_of(song_id=self.kwargs["song_id"], user=self.request.user)

    @extend_schema(summary="Your uploads for this song, newest first")
    def list(self, request, song_id=None):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(AssetUploadSerializer(page, many=True).data)

    @extend_schema(
        summary="Start an audio or artwork upload: returns the presigned URL to PUT the file to",
        request=AssetUploadInputSerializer,
        responses={
            201: AssetUploadStartedSerializer,
            415: OpenApiResponse(description="The content type is not accepted for this kind of asset."),
        },
    )
    def create(self, request, song_id=None):
        song = get_object_or_404(selectors.songs(), pk=song_id)
        _require_song_editor(request, song)
        serializer = AssetUploadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        started = services.asset_upload_start(song=song, user=request.user, **serializer.validated_data)
        return Response(AssetUploadStartedSerializer(started).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="One of your uploads for this song")
    def retrieve(self, request, song_id=None, upload_id=None):
        return Response(AssetUploadSerializer(self.get_object()).data)

    @extend_schema(
        summary="Tell the server the file is uploaded; it is checked in the background",
        request=None,
        responses={202: AssetUploadSerializer},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, song_id=None, upload_id=None):
        upload = self.get_object()
        upload = services.asset_upload_complete(upload_id=upload.pk)
        return Response(AssetUploadSerializer(upload).data, status=status.HTTP_202_ACCEPTED)
