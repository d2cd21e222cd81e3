from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.parsers import JSONParser
from learning import selectors, services
from learning.api import serializers as s


class DueView(GenericAPIView):
    filter_backends = []

    @extend_schema(
        summary="Today's drills, then the cards due by now, by due time; paginated",
        responses=s.DueItemSerializer(many=True),
    )
    def get(self, request):
        now = timezone.now()
        page = self.paginate_queryset(selectors.due_cards(user=request.user, now=now))
        return self.get_paginated_response(s.DueItemSerializer(page, many=True, context={"now": now}).data)


class GradeView(APIView):
    @extend_schema(
        request=s.GradeInputSerializer,
        responses={
            200: s.GradedCardSerializer,
            404: OpenApiResponse(description="No track of yours has that id."),
            409: OpenApiResponse(description="The track is not ready to be reviewed."),
        },
    )
    def post(self, request):
        serializer = s.GradeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        card = services.card_grade(user=request.user, **serializer.validated_data)
        # The grade's own time is read under the card's lock; whether the card is in today's drill is told now.
        return Response(s.GradedCardSerializer(card, context={"now": timezone.now()}).data)


class StatsView(APIView):
    @extend_schema(responses=s.StatsSerializer)
    def get(self, request):
        return Response(s.StatsSerializer(selectors.stats(user=request.user)).data)


class SettingsView(APIView):
    # A handful of fields: JSON only (a form or multipart body that parses to nothing is no change at all).
    parser_classes = [JSONParser]

    @extend_schema(responses=s.SettingsSerializer)
    def get(self, request):
        return Response(s.SettingsSerializer(services.settings_of(request.user)).data)

    @extend_schema(request=s.SettingsSerializer, responses=s.SettingsSerializer)
    def patch(self, request):
        serializer = s.SettingsSerializer(services.settings_of(request.user), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        updated = services.settings_update(user=request.user, **serializer.validated_data)
        return Response(s.SettingsSerializer(updated).data, status=status.HTTP_200_OK)


class HistoryView(GenericAPIView):
    serializer_class = s.ReviewLogSerializer
    filter_backends = []

    @extend_schema(summary="The card's review log, newest first; paginated", responses=s.ReviewLogSerializer(many=True))
    def get(self, request, track_id):
        card = selectors.card_of_track(user=request.user, track_id=track_id)
        page = self.paginate_queryset(selectors.history(card=card))
        return self.get_paginated_response(s.ReviewLogSerializer(page, many=True).data)
