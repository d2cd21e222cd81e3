from django.contrib.auth import update_session_auth_hash
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView

from core import health, services, throttling
from core.api.root import ApiRootSerializer
from core.api.serializers import (
    HealthSerializer,
    PasswordChangeInputSerializer,
    RefreshTokenInputSerializer,
    RegisterInputSerializer,
    RegistrationSerializer,
    TokenErrorSerializer,
    TokenPairSerializer,
    UserSerializer,
)

BAD_TOKEN = OpenApiResponse(
    TokenErrorSerializer,
    description="The refresh token is invalid, expired or blacklisted, or its account is gone, "
    "inactive or has changed its password since.",
)


class _TokenView(APIView):
    """Endpoints that take a refresh token in the body instead of an Authorization header."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [throttling.AnonRateThrottle, throttling.TokenRefreshRateThrottle]

    def get_authenticate_header(self, request):
        # Without an authenticator DRF turns a 401 into a 403; a refused token is a 401.
        return 'Bearer realm="api"'


class RegisterView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [throttling.AnonRateThrottle, throttling.RegisterRateThrottle]

    @extend_schema(request=RegisterInputSerializer, responses={201: RegistrationSerializer})
    def post(self, request):
        serializer = RegisterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        body = {"user": user, **services.token_pair_create(user=user)}
        return Response(RegistrationSerializer(body).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    post=extend_schema(
        responses={
            200: TokenPairSerializer,
            401: OpenApiResponse(TokenErrorSerializer, description="Wrong username or password."),
        }
    )
)
class LoginView(TokenObtainPairView):
    """A token pair for a username and password."""

    # Password guesses are limited per client address and per account, whatever X-Forwarded-For says.
    throttle_classes = [
        throttling.AnonRateThrottle,
        throttling.LoginRateThrottle,
        throttling.LoginUsernameRateThrottle,
    ]


class TokenRefreshView(_TokenView):
    @extend_schema(request=RefreshTokenInputSerializer, responses={200: TokenPairSerializer, 401: BAD_TOKEN})
    def post(self, request):
        """A new token pair for a refresh token, which then stops working (rotation)."""
        serializer = RefreshTokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tokens = services.token_pair_refresh(refresh=serializer.validated_data["refresh"])
        return Response(TokenPairSerializer(tokens).data)


class LogoutView(_TokenView):
    @extend_schema(
        request=RefreshTokenInputSerializer,
        responses={204: OpenApiResponse(description="Logged out: the refresh token is blacklisted."), 401: BAD_TOKEN},
    )
    def post(self, request):
        """Blacklist a refresh token; access tokens made from it expire within their lifetime."""
        serializer = RefreshTokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.refresh_token_revoke(refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    # Wrong old passwords here are guesses at the account like wrong logins: they share its budget.
    throttle_classes = [throttling.UserRateThrottle, throttling.LoginUsernameRateThrottle]

    @extend_schema(request=PasswordChangeInputSerializer, responses={200: TokenPairSerializer})
    def post(self, request):
        """Change the password; every earlier token is refused, and the answer is a new pair."""
        serializer = PasswordChangeInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        tokens = services.user_password_change(user=request.user, **serializer.validated_data)
        if isinstance(request.successful_authenticator, SessionAuthentication):
            # Django logs every session out when the password changes; keep the one that changed it.
            update_session_auth_hash(request, request.user)
        return Response(TokenPairSerializer(tokens).data)


class MeView(APIView):
    @extend_schema(responses=UserSerializer)
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class HealthView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = []

    @extend_schema(responses={200: HealthSerializer, 503: HealthSerializer})
    def get(self, request):
        healthy, checks = health.run_checks()
        body = {"status": "ok" if healthy else "unavailable", "checks": checks}
        return Response(body, status=status.HTTP_200_OK if healthy else status.HTTP_503_SERVICE_UNAVAILABLE)


class ApiRootView(APIView):
    """Links to every endpoint of each app, the schema, the docs and the admin."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=ApiRootSerializer, tags=["root"])
    def get(self, request):
        return Response(ApiRootSerializer({}, context={"request": request}).data)
