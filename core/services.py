"""Accounts and their tokens: registration, token pairs, refresh, logout and password change.

Token rules (SimpleJWT with its token_blacklist app, settings.SIMPLE_JWT):
- every refresh token is listed (OutstandingToken) when issued, and a refresh, a logout or a
  password change puts it on the blacklist (BlacklistedToken), which the admin shows;
- tokens carry a digest of the password hash (CHECK_REVOKE_TOKEN): once the password changes,
  by any means, every earlier access and refresh token is refused.
"""

import unicodedata

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from core.models import EMAIL_TAKEN, USERNAME_TAKEN, fold_username

User = get_user_model()
WRONG_OLD_PASSWORD = "Your old password was entered incorrectly."


def username_is_taken(*, username: str) -> bool:
    """Whether an account has this name in any case or Unicode form ("ÉMILE" for "émile")."""
    # The exact name too: an account left without its folded name by migration 0004 still holds it.
    exact = unicodedata.normalize("NFKC", username)
    return User.objects.filter(Q(username_folded=fold_username(username)) | Q(username=exact)).exists()


def email_is_taken(*, email: str) -> bool:
    """Whether an account holds this e-mail address in any case (a blank one is never taken)."""
    return User.holding_email(email).exists()


def user_register(*, username: str, password: str, email: str = "") -> User:
    """Create an account; the password is already validated by the caller's serializer.

    The serializer checks that the name and the address are free, but two registrations can pass
    that check at the same moment: the database's unique constraints decide, and the loser gets
    the same 400.
    """
    try:
        with transaction.atomic():
            return User.objects.create_user(username=username, email=email, password=password)
    except IntegrityError as exc:
        if username_is_taken(username=username):
            raise ValidationError({"username": [USERNAME_TAKEN]}) from exc
        if email_is_taken(email=email):
            raise ValidationError({"email": [EMAIL_TAKEN]}) from exc
        raise  # not a clash of names or addresses: a bug to see as one


def token_pair_create(*, user: User) -> dict[str, str]:
    """A new refresh token for the user (listed for the blacklist) and an access token made from it."""
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


@transaction.atomic
def token_pair_refresh(*, refresh: str) -> dict[str, str]:
    """A new pair for a valid refresh token, which goes on the blacklist: each one works once."""
    token = _valid_refresh_token(refresh)
    user = _token_user(token)
    # Two refreshes of one token at once: the second waits for this row, then finds it blacklisted.
    outstanding = _outstanding_token_locked(token)
    if BlacklistedToken.objects.filter(token=outstanding).exists():
        raise InvalidToken("Token is blacklisted")
    BlacklistedToken.objects.create(token=outstanding)
    return token_pair_create(user=user)


def refresh_token_revoke(*, refresh: str) -> None:
    """Log one session out: its refresh token goes on the blacklist (its access token expires soon)."""
    _valid_refresh_token(refresh).blacklist()


@transaction.atomic
def user_password_change(*, user: User, old_password: str, new_password: str) -> dict[str, str]:
    """Set a new password (validated by the caller), refuse every earlier token, return a new pair."""
    # Locked, so that of two changes at once with the same old password only the first succeeds.
    stored = User.objects.select_for_update().only("password").get(pk=user.pk)
    if not stored.check_password(old_password):
        raise ValidationError({"old_password": [WRONG_OLD_PASSWORD]})
    user.set_password(new_password)
    user.save(update_fields=["password"])
    # The new password alone refuses the earlier tokens (their digest no longer matches); the
    # blacklist also shows it in the admin and holds should the digest check ever be turned off.
    _blacklist_outstanding_tokens(user=user)
    return token_pair_create(user=user)


def _valid_refresh_token(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)
    except TokenError as exc:  # bad signature, expired, wrong type or blacklisted: said in the message
        raise InvalidToken(exc.args[0]) from exc


def _token_user(token: RefreshToken) -> User:
    user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: token.get(jwt_settings.USER_ID_CLAIM)}).first()
    if user is None or not user.is_active:
        # A deleted account is an invalid token like any other (SimpleJWT's own refresh answered 404).
        raise InvalidToken("No active account found for the given token.", code="no_active_account")
    if jwt_settings.CHECK_REVOKE_TOKEN and token.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(
        user.password
    ):
        raise InvalidToken("The user's password has been changed.", code="password_changed")
    return user


def _outstanding_token_locked(token: RefreshToken) -> OutstandingToken:
    token.outstand()  # a token issued before the blacklist app was installed has no row yet
    return OutstandingToken.objects.select_for_update().get(jti=token[jwt_settings.JTI_CLAIM])


def _blacklist_outstanding_tokens(*, user: User) -> None:
    unlisted = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    ).values_list("pk", flat=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token_id=pk) for pk in unlisted], ignore_conflicts=True)
