import unicodedata
import uuid

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

USERNAME_MAX_LENGTH = 150
USERNAME_TAKEN = "This username is taken."
EMAIL_TAKEN = "This email address is taken."


def fold_username(username: str) -> str:
    """The form two usernames share when people read them as one name: "Émile", "ÉMILE", "émile"."""
    # NFKC first ("ﬀ" is "ff"), then case folding ("ß" is "ss"), then NFKC again, as folding can
    # decompose a letter ("ǰ" folds to "j" and a combining caron).
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


def validate_folded_username_length(username: str) -> None:
    """Refuse a name whose folded form outgrows its column ("ß" folds to two letters, "ﷺ" to 18)."""
    if len(fold_username(username)) > USERNAME_MAX_LENGTH:
        raise ValidationError(
            f"Ensure this username has at most {USERNAME_MAX_LENGTH} characters once its case is folded.",
            code="max_length",
        )


class User(AbstractUser):
    """An account shared by every product; UUID ids so they can appear in URLs and keys."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # AbstractUser's field, plus the check that the folded form fits username_folded.
    username = models.CharField(
        _("username"),
        max_length=USERNAME_MAX_LENGTH,
        unique=True,
        help_text=_("Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only."),
        validators=[UnicodeUsernameValidator(), validate_folded_username_length],
        error_messages={"unique": _("A user with that username already exists.")},
    )
    # "Émile" and "ÉMILE" are one name to people: one account per folded name, held by the database the
    # same way on SQLite and PostgreSQL (SQLite's UPPER() folds ASCII only, as PostgreSQL's does under
    # the C collation, so a unique UPPER(username) let both in).
    # NULL only for a name that already clashed when migration 0004 added the column (see save()).
    # NULL, not "": unique allows many NULLs but one empty string.
    username_folded = models.CharField(  # noqa: DJ001
        max_length=USERNAME_MAX_LENGTH, unique=True, null=True, editable=False
    )
    # The address this account shared with an older account when migration 0007 made addresses unique:
    # while its email is exactly that, the unique index leaves the account out (nothing was deleted or
    # changed). Any other address, set by any means (the admin, a queryset update), is held again.
    legacy_duplicate_email = models.EmailField(blank=True, default="", editable=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            # One account per address whatever its case; lower() is the database's own, so every write
            # is held, and the Python checks (holding_email) compare with the same function.
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_any_case",
                condition=~Q(email="") & ~Q(email=F("legacy_duplicate_email")),
                violation_error_message=EMAIL_TAKEN,
            ),
        ]

    @classmethod
    def holding_email(cls, email: str) -> models.QuerySet:
        """The accounts the unique index holds this address for, in any case (none for a blank one)."""
        if not email:
            return cls._default_manager.none()
        return (
            cls._default_manager.exclude(email="")
            .exclude(email=F("legacy_duplicate_email"))
            .alias(email_lowered=Lower("email"))
            .filter(email_lowered=Lower(Value(email)))
        )

    def clean(self):
        keeps_legacy_duplicate = bool(self.legacy_duplicate_email) and self.email == self.legacy_duplicate_email
        super().clean()
        if keeps_legacy_duplicate:
            # AbstractUser.clean() lowers the domain ("@Example.ORG"): that would be another address to
            # the index, which would then hold it next to the older account's. Saving the account's
            # other fields keeps its address as it was.
            self.email = self.legacy_duplicate_email
        # The admin's forms validate here; without it, a clash would reach the database as a 500.
        if self.username and self._folded_name_held_elsewhere(fold_username(self.username)):
            raise ValidationError({"username": USERNAME_TAKEN})
        if not keeps_legacy_duplicate and self.holding_email(self.email).exclude(pk=self.pk).exists():
            raise ValidationError({"email": EMAIL_TAKEN})

    def save(self, *args, **kwargs):
        # Every way an account is written passes here (create_user, createsuperuser, the admin, a rename
        # in code), so the folded name cannot be forgotten by one of them.
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "username" in update_fields:
            self.username_folded = self._folded_name_to_store()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "username_folded"}
        super().save(*args, **kwargs)

    def _folded_name_to_store(self) -> str | None:
        folded = fold_username(self.username)
        if (
            self.username_folded is None
            and not self._state.adding
            and (len(folded) > USERNAME_MAX_LENGTH or self._folded_name_held_elsewhere(folded))
        ):
            # The name clashed with an older account's when migration 0004 filled the column. The account
            # keeps working and saving; it takes its folded name once that is free (renamed, or the other
            # account deleted). The admin refuses any edit of it until it is renamed (clean()).
            return None
        return folded

    def _folded_name_held_elsewhere(self, folded: str) -> bool:
        return type(self)._default_manager.filter(username_folded=folded).exclude(pk=self.pk).exists()


class StagedObject(models.Model):
    """A staging key an upload URL was issued for, kept until the sweep deletes what is there (core.staging)."""

    key = models.CharField(max_length=500, unique=True)
    expires_at = models.DateTimeField(db_index=True, help_text="When the last URL that can write to the key expires.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
