"""Migration 0004 fills the folded usernames, and does not fail on accounts whose names already clash."""

import logging
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = ("core", "0003_stagedobject")
AFTER = ("core", "0004_user_username_folded")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def migrate_to_latest():
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_existing_names_get_their_folded_form_and_the_older_account_keeps_a_clashing_name(api_client, caplog):
    old_apps = migrate(BEFORE)
    OldUser = old_apps.get_model("core", "User")
    # They fold alike ("ss") but UPPER() tells them apart whatever the collation, so 0002 let both in.
    for username, year in [("STRASSE", 2024), ("straße", 2021), ("Ödön", 2022)]:
        OldUser.objects.create(username=username, date_joined=datetime(year, 1, 1, tzinfo=UTC))

    try:
        with caplog.at_level(logging.WARNING):
            migrate(AFTER)
    finally:
        migrate_to_latest()

    User = get_user_model()
    assert dict(User.objects.values_list("username", "username_folded")) == {
        "straße": "strasse",  # the older of the two
        "STRASSE": None,
        "Ödön": "ödön",
    }
    assert "'STRASSE'" in caplog.text
    # The account left without its folded name keeps working, and its saves do not fail.
    newer = User.objects.get(username="STRASSE")
    newer.set_password(DEFAULT_PASSWORD)
    newer.save()
    tokens = api_client.post("/api/auth/token/", {"username": "STRASSE", "password": DEFAULT_PASSWORD})
    assert tokens.status_code == 200
    assert api_client.post("/api/auth/token/refresh/", {"refresh": tokens.data["refresh"]}).status_code == 200
    # Once the clash is gone, the next save takes the folded name.
    User.objects.get(username="straße").delete()
    newer.save()
    assert User.objects.get(username="STRASSE").username_folded == "strasse"


EMAIL_BEFORE = ("core", "0006_stalled_jobs_requeue_schedule")
EMAIL_AFTER = ("core", "0007_user_email_unique_any_case")


def test_addresses_already_shared_are_kept_and_reported_while_every_new_or_changed_one_is_held(api_client, caplog):
    from django.db import IntegrityError, transaction

    old_apps = migrate(EMAIL_BEFORE)
    OldUser = old_apps.get_model("core", "User")
    accounts = [
        ("lena", "Lena@Example.org", 2022),  # the oldest of three spellings of one address
        ("lena.b", "lena@example.ORG", 2024),
        ("lena.c", "LENA@example.org", 2023),
        ("solo", "solo@example.org", 2021),
        ("nobody", "", 2021),
        ("nobody.either", "", 2022),
    ]
    ids = {}
    for username, email, year in accounts:
        ids[username] = OldUser.objects.create(
            username=username, username_folded=username, email=email, date_joined=datetime(year, 1, 1, tzinfo=UTC)
        ).pk

    try:
        with caplog.at_level(logging.WARNING):
            migrate(EMAIL_AFTER)
    finally:
        migrate_to_latest()

    User = get_user_model()
    # Nothing deleted, no address changed; the newer two are left out of the index, each at its own address.
    assert {username: email for username, email, _ in accounts} == dict(User.objects.values_list("username", "email"))
    assert dict(User.objects.values_list("username", "legacy_duplicate_email")) == {
        "lena": "",
        "lena.b": "lena@example.ORG",
        "lena.c": "LENA@example.org",
        "solo": "",
        "nobody": "",
        "nobody.either": "",
    }
    # Reported: the address and the ids of the accounts that have it.
    assert "Lena@Example.org" in caplog.text
    for username in ("lena", "lena.b", "lena.c"):
        assert str(ids[username]) in caplog.text
    assert str(ids["solo"]) not in caplog.text

    # The shared address is held for everyone else, in any case, by the API and by the database.
    registered = api_client.post(
        "/api/auth/register/", {"username": "newcomer", "email": "LENA@EXAMPLE.ORG", "password": "a long passphrase"}
    )
    assert registered.status_code == 400
    assert registered.data == {"email": ["This email address is taken."]}
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="newcomer", email="lena@example.org")
    # The newer duplicates keep working and saving.
    newer = User.objects.get(username="lena.b")
    newer.first_name = "Lena"
    newer.set_password(DEFAULT_PASSWORD)
    newer.save()
    assert api_client.post("/api/auth/token/", {"username": "lena.b", "password": DEFAULT_PASSWORD}).status_code == 200
    # An address changed afterwards is held, whichever way it is written.
    User.objects.filter(username="lena.b").update(email="lena.b@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="newcomer", email="Lena.B@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(username="lena.c").update(email="SOLO@example.org")
