from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from core import services
from core.models import EMAIL_TAKEN, USERNAME_TAKEN, validate_folded_username_length

User = get_user_model()


class RegisterInputSerializer(serializers.Serializer):
    username = serializers.RegexField(
        r"^[\w.@+-]+\Z",
        max_length=150,
        validators=[validate_folded_username_length],
        error_messages={"invalid": "Use letters, digits and @/./+/-/_ only."},
    )
    email = serializers.EmailField(required=False, allow_blank=True)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})

    def validate_username(self, value: str) -> str:
        if services.username_is_taken(username=value):
            raise serializers.ValidationError(USERNAME_TAKEN)
        return value

    def validate_email(self, value: str) -> str:
        # For the message only: the database's unique index decides (services.user_register).
        if services.email_is_taken(email=value):
            raise serializers.ValidationError(EMAIL_TAKEN)
        return value

    def validate(self, attrs):
        candidate = User(username=attrs["username"], email=attrs.get("email", ""))
        try:
            validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": exc.messages}) from exc
        return attrs


class UserSerializer(serializers.ModelSerializer):
    # Not `format: email`: an account may have none, and then this is "".
    email = serializers.CharField(read_only=True, help_text="The account's email address, empty when none was given.")

    class Meta:
        model = User
        fields = ("id", "username", "email", "is_staff", "date_joined")
        read_only_fields = fields


class RegistrationSerializer(serializers.Serializer):
    user = UserSerializer()
    access = serializers.CharField()
    refresh = serializers.CharField()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshTokenInputSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class TokenErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What is wrong with the token or the credentials.")
    code = serializers.CharField(required=False)


class PasswordChangeInputSerializer(serializers.Serializer):
    # Whitespace is trimmed as at registration and login, so the same typing logs in.
    old_password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
    new_password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})

    def validate_new_password(self, value: str) -> str:
        try:
            validate_password(value, user=self.context["request"].user)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value


class HealthCheckSerializer(serializers.Serializer):
    status = serializers.CharField(
        help_text="`ok`; `down` (the check failed: the answer is 503); `eager` (the broker, when tasks run "
        "in-process); `not configured` (an optional integration without its settings: its endpoints answer "
        "503, the server stays healthy, 200)."
    )
    error = serializers.CharField(required=False)
    missing = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="With `not configured`: the settings to set."
    )


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "unavailable"])
    checks = serializers.DictField(child=HealthCheckSerializer())
