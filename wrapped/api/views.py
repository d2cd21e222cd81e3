from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import Conflict, Invalid
from core.parsers import JSONParser
from wrapped import linking, selectors, services
from wrapped.api import serializers as s

UNAVAILABLE = OpenApiResponse(
    response=s.SpotifyUnavailableSerializer,
    description="Spotify is not configured on this server (`code`: `spotify_not_configured`, for good until an "
    "operator sets it up), or could not be reached or failed (no `code`: try again later).",
)
NOT_CONFIGURED = OpenApiResponse(
    response=s.SpotifyUnavailableSerializer,
    description="Spotify is not configured on this server (`code`: `spotify_not_configured`): no consent page to send "
    "anyone to until an operator sets SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET and SPOTIFY_REDIRECT_URI.",
)
STAFF_ONLY = OpenApiResponse(description="?email= names another user: staff only.")
NO_SUCH_USER = OpenApiResponse(description="No user with this ?email= (staff).")
SEVERAL_USERS = OpenApiResponse(
    description="?email= is not a valid address, or several accounts have it (staff): `email` says which.",
)
MONTH_KEY = OpenApiParameter(
    "month_key", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM"
)
YEAR = OpenApiParameter(
    "year", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=r"^(20\d{2}|2100)$", description="YYYY"
)
NOT_LINKED = OpenApiResponse(description="No Spotify account is linked: GET /api/wrapped/spotify/authorize/ first.")
LINK_CONFLICT = OpenApiResponse(
    description="No Spotify account is linked (for the flags); or the token belongs to another Spotify account "
    "than the one linked (unlink first with DELETE), or to one linked to another user here."
)
TOKEN_REFUSED = OpenApiResponse(description="Invalid input, or Spotify refused the refresh token (nothing stored).")
STAFF_READ = {400: SEVERAL_USERS, 403: STAFF_ONLY, 404: NO_SUCH_USER, 409: NOT_LINKED}


def _subject(request):
    """The user whose data is asked for: the caller, or for staff the user of `?email=`."""
    query = s.StaffQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    email = query.validated_data.get("email")
    if not email:
        return request.user
    if not request.user.is_staff:
        raise PermissionDenied("Only staff can read another user's Wrapped.")
    return selectors.user_by_email(email)


def _linked(user):
    account = selectors.account_of(user)
    if account is None:
        raise Conflict({"detail": services.NOT_LINKED})
    return account


class AccountView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Your linked Spotify account (never the token)",
        parameters=[s.StaffQuerySerializer],
        responses={200: s.AccountSerializer, **STAFF_READ},
    )
    def get(self, request):
        return Response(s.AccountSerializer(_linked(_subject(request))).data)

    @extend_schema(
        summary="Link with a refresh token and/or change enrollment",
        request=s.AccountInputSerializer,
        responses={200: s.AccountSerializer, 400: TOKEN_REFUSED, 409: LINK_CONFLICT, 503: UNAVAILABLE},
    )
    def put(self, request):
        return self._update(request)

    @extend_schema(
        summary="Link with a refresh token and/or change enrollment",
        request=s.AccountInputSerializer,
        responses={200: s.AccountSerializer, 400: TOKEN_REFUSED, 409: LINK_CONFLICT, 503: UNAVAILABLE},
    )
    def patch(self, request):
        return self._update(request)

    def _update(self, request):
        serializer = s.AccountInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account = services.account_update(user=request.user, **serializer.validated_data)
        return Response(s.AccountSerializer(account).data)

    @extend_schema(summary="Unlink Spotify and forget the token", responses={204: None})
    def delete(self, request):
        linking.unlink(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuthorizeView(APIView):
    @extend_schema(
        summary="Spotify's consent page for this app, with a signed state",
        responses={200: s.AuthorizeSerializer, 503: NOT_CONFIGURED},
    )
    def get(self, request):
        return Response({"authorize_url": linking.authorize_url(request.user)})


class CallbackView(APIView):
    @extend_schema(
        summary="Finish linking: the code and state Spotify sent back",
        parameters=[s.CallbackQuerySerializer],
        responses={200: s.AccountSerializer, 409: LINK_CONFLICT, 503: UNAVAILABLE},
    )
    def get(self, request):
        query = s.CallbackQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        account = linking.link_with_code(user=request.user, **query.validated_data)
        return Response(s.AccountSerializer(account).data)


class OverviewView(APIView):
    @extend_schema(
        summary="Your enrollment and every month's summary",
        parameters=[s.StaffQuerySerializer],
        responses={200: s.OverviewSerializer, **STAFF_READ},
    )
    def get(self, request):
        user = _subject(request)
        account = _linked(user)
        return Response(s.OverviewSerializer({"account": account, "months": selectors.months_of(user)}).data)


class MonthView(APIView):
    @extend_schema(
        summary="One month's Wrapped: its run's status, and its data once done",
        parameters=[MONTH_KEY, s.StaffQuerySerializer],
        responses={
            200: s.MonthSerializer,
            **STAFF_READ,
            404: OpenApiResponse(description="No run of this month (it was never queued), or no user with ?email=."),
        },
    )
    def get(self, request, month_key: str):
        if not s.MONTH_KEY.match(month_key):
            raise Invalid({"month": [f"A month is YYYY-MM, not {month_key!r}."]})
        user = _subject(request)
        _linked(user)
        return Response(s.MonthSerializer(selectors.month_of(user, month_key)).data)


class YearView(APIView):
    @extend_schema(
        summary="A year's months and its aggregate top tracks, artists and genres",
        parameters=[YEAR, s.StaffQuerySerializer],
        responses={200: s.YearSerializer, **STAFF_READ},
    )
    def get(self, request, year: str):
        if not (year.isdigit() and len(year) == 4 and 2000 <= int(year) <= 2100):
            raise Invalid({"year": [f"A year is four digits between 2000 and 2100, not {year!r}."]})
        user = _subject(request)
        _linked(user)
        return Response(s.YearSerializer(selectors.year_of(user, int(year))).data)


class EnrollmentView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Enroll in (or leave) the monthly Wrapped and the weekly release radar",
        request=s.EnrollmentSerializer,
        responses={200: s.AccountSerializer, 409: NOT_LINKED},
    )
    def post(self, request):
        serializer = s.EnrollmentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account = services.account_update(user=request.user, **serializer.validated_data)
        return Response(s.AccountSerializer(account).data)


class ReleaseRadarView(APIView):
    @extend_schema(
        summary="Your weekly release radars, newest first: each run's status, and its tracks once done",
        parameters=[s.StaffQuerySerializer],
        responses={200: s.WeekSerializer(many=True), **STAFF_READ},
    )
    def get(self, request):
        user = _subject(request)
        _linked(user)
        return Response(s.WeekSerializer(selectors.weeks_of(user), many=True).data)
