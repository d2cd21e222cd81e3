import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Upper


class User(AbstractUser):
    """An account shared by every product; UUID ids so they can appear in URLs and keys."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            # "Bob" and "bob" are one name to people: registering both at once must not give two accounts.
            models.UniqueConstraint(Upper("username"), name="user_username_unique_any_case"),
        ]


class StagedObject(models.Model):
    """A staging key an upload URL was issued for, kept until the sweep deletes what is there (core.staging)."""

    key = models.CharField(max_length=500, unique=True)
    expires_at = models.DateTimeField(db_index=True, help_text="When the last URL that can write to the key expires.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
