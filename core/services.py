from django.contrib.auth import get_user_model
from django.db import transaction

User = get_user_model()


@transaction.atomic
def user_register(*, username: str, password: str, email: str = "") -> User:
    """Create an account; the password is already validated by the caller's serializer."""
    return User.objects.create_user(username=username, email=email, password=password)
