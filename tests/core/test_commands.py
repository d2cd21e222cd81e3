from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_ensure_superuser_creates_one_with_a_printed_password_then_does_nothing():
    first, second = StringIO(), StringIO()

    call_command("ensure_superuser", stdout=first)
    call_command("ensure_superuser", stdout=second)

    admin = get_user_model().objects.get(username="admin")
    password = first.getvalue().split("with password ")[1].split()[0]
    assert admin.is_superuser and admin.check_password(password)
    assert len(password) >= 20
    assert "nothing created" in second.getvalue()
    assert password not in second.getvalue()
    assert get_user_model().objects.filter(is_superuser=True).count() == 1
