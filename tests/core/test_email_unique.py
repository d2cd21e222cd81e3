"""One account per e-mail address whatever its case: held by the database, a 400 or a form error for people."""

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
REGISTER = "/api/auth/register/"
TAKEN = "This email address is taken."


def register(client, username: str, email: str):
    return client.post(REGISTER, {"username": username, "email": email, "password": "a long enough passphrase"})


def test_register_refuses_an_address_taken_in_another_case(api_client):
    first = register(api_client, "first", "a@x.org")
    second = register(api_client, "second", "A@X.org")

    assert first.status_code == 201
    assert second.status_code == 400
    assert second.data == {"email": [TAKEN]}
    assert list(User.objects.values_list("username", flat=True)) == ["first"]


def test_a_registration_that_passed_the_address_check_too_early_gets_a_400_from_the_database(api_client, monkeypatch):
    from core.api.serializers import RegisterInputSerializer

    register(api_client, "first", "lena@example.org")
    # The other registration checked while the address was still free: only the database can refuse it now.
    monkeypatch.setattr(RegisterInputSerializer, "validate_email", lambda self, value: value)

    response = register(api_client, "second", "Lena@Example.ORG")

    assert response.status_code == 400
    assert response.data == {"email": [TAKEN]}
    assert User.objects.count() == 1


def test_the_database_refuses_a_duplicate_address_written_past_every_python_check():
    User.objects.create_user(username="first", email="a@x.org")
    other = User.objects.create_user(username="other", email="other@x.org")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="second", email="A@x.ORG")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=other.pk).update(email="a@X.org")  # no save(), no clean()

    # Blank addresses are no address: any number of accounts have none.
    User.objects.create_user(username="third", email="")
    User.objects.create_user(username="fourth", email="")
    assert User.objects.filter(email="").count() == 2


def admin_change(curator, user, **changes):
    page = curator.get(f"/admin/core/user/{user.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update({"date_joined_0": "2024-01-01", "date_joined_1": "10:00:00", **changes})
    return curator.post(f"/admin/core/user/{user.pk}/change/", data)


def test_the_admin_refuses_an_address_taken_in_another_case_with_a_form_error(curator, user):
    UserFactory(email="taken@example.org")

    refused = admin_change(curator, user, email="Taken@Example.org")
    free = admin_change(curator, user, email="free@example.org")

    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors == {"email": [TAKEN]}
    assert free.status_code == 302
    user.refresh_from_db()
    assert user.email == "free@example.org"


def test_the_admin_edits_an_account_left_out_by_the_migration_and_keeps_its_address(curator):
    older = UserFactory(email="lena@example.org")
    newer = UserFactory(email="placeholder@example.org")
    # What migration 0007 leaves for an account whose address an older one already had (another case).
    User.objects.filter(pk=newer.pk).update(email="Lena@Example.ORG", legacy_duplicate_email="Lena@Example.ORG")

    kept = admin_change(curator, newer, email="Lena@Example.ORG", first_name="Lena")
    moved_onto_the_older = admin_change(curator, newer, email="LENA@example.org")

    assert kept.status_code == 302, kept.context["adminform"].form.errors
    assert moved_onto_the_older.status_code == 200
    assert moved_onto_the_older.context["adminform"].form.errors == {"email": [TAKEN]}
    newer.refresh_from_db()
    assert (newer.first_name, newer.email) == ("Lena", "Lena@Example.ORG")
    assert User.objects.get(pk=older.pk).email == "lena@example.org"
