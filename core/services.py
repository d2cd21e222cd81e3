from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

User = get_user_model()
USERNAME_TAKEN = "This username is taken."


def user_register(*, username: str, password: str, email: str = "") -> User:
    """Create an account; the password is already validated by the caller's serializer.

    The serializer checks that the name is free, but two registrations can pass that check at
    the same moment: the database's unique constraints decide, and the loser gets the same 400.
    """
    try:
        with transaction.atomic():
            return User.objects.create_user(username=username, email=email, password=password)
    except IntegrityError as exc:
        raise ValidationError({"username": [USERNAME_TAKEN]}) from exc
