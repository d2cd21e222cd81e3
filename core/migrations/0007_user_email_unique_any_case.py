"""One account per e-mail address whatever its case, held by the database; blank addresses are free.

A unique index on lower(email), partial: it leaves out blank addresses, and accounts whose address
already belonged to an older account when this migration ran. Those cannot all be held, and the
migration neither fails nor deletes or changes anyone's address: for each address shared in any
case, the oldest account (by date_joined) keeps it and is held by the index; each newer one gets
its current address copied into legacy_duplicate_email, and the index leaves it out for as long
as its email is exactly that. Every such address is logged with the ids of its accounts, so an
admin can sort them out (the user list filters them).

So every new account, and every address changed afterwards (by the admin, the API, a queryset
update), is held: a newer duplicate that changes its address is in the index again, and nobody
can take a shared address in another case, since its oldest holder is in the index.

The duplicates are grouped by the database's own lower(), the function the index compares with,
so no group the index would refuse is missed. On PostgreSQL the whole migration is one
transaction, and AddField's ALTER TABLE holds its exclusive lock on the table to the end: no
account can be written between the grouping and the index.
"""

import logging

from django.db import migrations, models
from django.db.models import Count, F, Q
from django.db.models.functions import Lower

logger = logging.getLogger(__name__)
BATCH = 1000


def mark_legacy_duplicates(apps, schema_editor):
    User = apps.get_model("core", "User")
    accounts = User.objects.exclude(email="").annotate(email_lowered=Lower("email"))
    shared = (
        accounts.values("email_lowered").annotate(holders=Count("pk")).filter(holders__gt=1).order_by("email_lowered")
    )
    left_out = []
    for group in list(shared.values_list("email_lowered", flat=True)):
        holders = list(accounts.filter(email_lowered=group).order_by("date_joined", "pk").values_list("pk", "email"))
        (kept_pk, kept_email), newer = holders[0], holders[1:]
        left_out.extend(User(pk=pk, legacy_duplicate_email=email) for pk, email in newer)
        logger.warning(
            "e-mail address %s is shared by %d accounts: the oldest, %s, keeps it; left out of the unique index "
            "until their address changes: %s",
            kept_email,
            len(holders),
            kept_pk,
            ", ".join(f"{pk} ({email})" for pk, email in newer),
        )
    User.objects.bulk_update(left_out, ["legacy_duplicate_email"], batch_size=BATCH)
    if left_out:
        logger.warning(
            "%d account(s) share an e-mail address with an older account; nothing was deleted or changed. "
            "Find them in the admin's user list (filter: legacy duplicate email, not empty).",
            len(left_out),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_stalled_jobs_requeue_schedule"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="legacy_duplicate_email",
            field=models.EmailField(blank=True, default="", editable=False, max_length=254),
        ),
        migrations.RunPython(mark_legacy_duplicates, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email="") & ~Q(email=F("legacy_duplicate_email")),
                name="user_email_unique_any_case",
                violation_error_message="This email address is taken.",
            ),
        ),
    ]
