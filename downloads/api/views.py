from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.response import Response

from core.api.params import UUID_PATTERN
from core.errors import Conflict
from core.jobs import JobStatus
from core.parsers import JSONParser
from downloads import selectors, services
from downloads.api import serializers as s
from downloads.models import Download

BUSY = OpenApiResponse(
    description="You have DOWNLOADS_MAX_ACTIVE_PER_USER downloads pending or running; "
    "ask again after the Retry-After header's seconds."
)
BUSY_RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[429],
    description="Seconds to wait before asking again.",
)
RUNNING = OpenApiResponse(description="The download is still pending or running.")


@extend_schema_view(
    # Without its own serializer here the list would be documented with the detail's fields (download_url, tracks...).
    list=extend_schema(summary="Your downloads, newest first", responses=s.DownloadListSerializer),
    retrieve=extend_schema(summary="One download: status, progress, each track's state, the zip's link"),
    destroy=extend_schema(summary="Delete a finished download and its zip", responses={204: None, 409: RUNNING}),
)
class DownloadViewSet(viewsets.GenericViewSet):
    lookup_value_regex = UUID_PATTERN
    serializer_class = s.DownloadDetailSerializer
    parser_classes = [JSONParser]
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Download.objects.none()
        return selectors.downloads_of(owner=self.request.user)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.DownloadListSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        download = selectors.download_of(owner=request.user, download_id=pk)
        return Response(s.DownloadDetailSerializer(download).data)

    @extend_schema(
        summary="Download SoundCloud tracks into one zip; 202 while the job runs",
        request=s.DownloadInputSerializer,
        responses={202: s.DownloadDetailSerializer, 429: BUSY},
        parameters=[BUSY_RETRY_AFTER],
    )
    def create(self, request):
        serializer = s.DownloadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        download = services.download_create(owner=request.user, tracks=serializer.validated_data["tracks"])
        download = selectors.download_of(owner=request.user, download_id=download.pk)
        return Response(s.DownloadDetailSerializer(download).data, status=status.HTTP_202_ACCEPTED)

    def destroy(self, request, pk=None):
        download = selectors.download_of(owner=request.user, download_id=pk)
        if download.status in JobStatus.active():
            raise Conflict({"detail": f"The download is {download.status}; delete it once it has finished."})
        services.download_delete(download=download)
        return Response(status=status.HTTP_204_NO_CONTENT)
