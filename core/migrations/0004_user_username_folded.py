"""One account per username whatever its case or Unicode form, on SQLite and PostgreSQL alike.

Replaces the unique UPPER(username) index of 0002, which folds ASCII only on SQLite and on
PostgreSQL with the C collation ("émile" and "ÉMILE" both got in), by a unique column holding
the NFKC case-folded name, filled here for the existing accounts.

Existing accounts whose names already fold alike cannot all have the folded name. The migration
does not fail and renames nobody (a renamed account could no longer log in with the name its
owner knows): the oldest account (by date_joined) keeps the name, the others keep working with
username_folded left NULL and are logged here, so an admin can rename them (the admin refuses
any other edit of them until then). The same goes for a name whose folded form is over 150
characters, which the column cannot hold.
"""

import logging
import unicodedata

import django.contrib.auth.validators
from django.db import migrations, models

import core.models

logger = logging.getLogger(__name__)
MAX_LENGTH = 150
BATCH = 1000


def _fold(username: str) -> str:
    # A copy of core.models.fold_username as it is now: this migration must keep doing what it did.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


def fill_username_folded(apps, schema_editor):
    User = apps.get_model("core", "User")
    held = set()
    folded_names = []
    left_unset = []
    for pk, username in User.objects.order_by("date_joined", "pk").values_list("pk", "username").iterator():
        folded = _fold(username)
        if folded in held or len(folded) > MAX_LENGTH:
            left_unset.append(username)
            continue
        held.add(folded)
        folded_names.append(User(pk=pk, username_folded=folded))
    User.objects.bulk_update(folded_names, ["username_folded"], batch_size=BATCH)
    if left_unset:
        logger.warning(
            "%d account(s) left without a folded username, as an older account has the same name in another "
            "case or the folded name is too long; rename them in the admin: %s",
            len(left_unset),
            ", ".join(repr(name) for name in left_unset),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_stagedobject"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_folded",
            field=models.CharField(editable=False, max_length=150, null=True, unique=True),
        ),
        migrations.RunPython(fill_username_folded, migrations.RunPython.noop, elidable=False),
        migrations.RemoveConstraint(
            model_name="user",
            name="user_username_unique_any_case",
        ),
        migrations.AlterField(
            model_name="user",
            name="username",
            field=models.CharField(
                error_messages={"unique": "A user with that username already exists."},
                help_text="Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only.",
                max_length=150,
                unique=True,
                validators=[
                    django.contrib.auth.validators.UnicodeUsernameValidator(),
                    core.models.validate_folded_username_length,
                ],
                verbose_name="username",
            ),
        ),
    ]
