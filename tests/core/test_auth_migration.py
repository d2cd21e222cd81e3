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
