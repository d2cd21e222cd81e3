"""Every model of the admin, as a superuser: no page answers a 500.

The models are read from `admin.site._registry` when the tests are collected, so an app added
later (or a third-party app's admin) is covered without touching this file. For each one: the
changelist, a search when the admin has search fields, the add form and its empty submit when the
admin offers Add (a model that cannot be made by hand must not offer it: its add page is a 403),
and the change form of an existing row. A row comes from the model's factory in
tests/factories.py; models without one (third-party apps) have a builder in OTHER_ROWS, and a
model registered with neither fails `test_every_registered_model_has_a_row` by name.
"""

import inspect
from datetime import timedelta

import factory
import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from tests import factories

pytestmark = pytest.mark.django_db

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)
MODEL_IDS = [model._meta.label for model in MODELS]

FACTORIES = {
    member._meta.get_model_class(): member
    for _, member in inspect.getmembers(factories, inspect.isclass)
    if issubclass(member, factory.django.DjangoModelFactory) and member._meta.model is not None
}


def _outstanding_token():
    RefreshToken.for_user(factories.UserFactory())  # recorded as outstanding by the blacklist app
    return OutstandingToken.objects.latest("id")


def _periodic_task():
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.MINUTES)
    return PeriodicTask.objects.create(name="tests: a task", task="tests.nothing", interval=every_minute)


# Rows of the registered models that have no factory: third-party apps' models.
OTHER_ROWS = {
    Group: lambda: Group.objects.create(name="Curators"),
    OutstandingToken: _outstanding_token,
    BlacklistedToken: lambda: BlacklistedToken.objects.create(token=_outstanding_token()),
    PeriodicTask: _periodic_task,
    IntervalSchedule: lambda: IntervalSchedule.objects.create(every=7, period=IntervalSchedule.DAYS),
    CrontabSchedule: lambda: CrontabSchedule.objects.create(minute="5", hour="4"),
    SolarSchedule: lambda: SolarSchedule.objects.create(event="sunrise", latitude=48.85, longitude=2.35),
    ClockedSchedule: lambda: ClockedSchedule.objects.create(clocked_time=timezone.now() + timedelta(days=1)),
}


def a_row(model):
    if model in FACTORIES:
        return FACTORIES[model]()
    return OTHER_ROWS[model]()


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _request_of(superuser):
    """A request of the curator's (the `curator` fixture makes `staff_user` a superuser), to ask a ModelAdmin."""
    assert superuser.is_superuser
    request = RequestFactory().get("/admin/")
    request.user = superuser
    return request


def _form_errors(response) -> list:
    """The errors the add page shows: the form's, and each inline formset's."""
    context = response.context
    errors = list(context["adminform"].form.errors.values()) if "adminform" in context else []
    for inline in context.get("inline_admin_formsets", []):
        errors += [error for error in inline.formset.errors if error] + list(inline.formset.non_form_errors())
    if context.get("errors"):
        errors += list(context["errors"])
    return errors


def test_the_registry_is_read():
    """Guards the parametrized tests against passing vacuously: the project's own models are there."""
    labels = set(MODEL_IDS)
    assert {"core.User", "chants.Song", "tracks.Track", "learning.Card", "learning.ReviewLog"} <= labels


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_every_registered_model_has_a_row(model):
    row = a_row(model)

    assert isinstance(row, model) and row.pk is not None


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_the_changelist_answers(curator, model):
    row = a_row(model)

    response = curator.get(_url(model, "changelist"))

    assert response.status_code == 200
    assert row in response.context["cl"].result_list


@pytest.mark.parametrize(
    "model",
    [model for model in MODELS if admin.site._registry[model].search_fields],
    ids=lambda model: model._meta.label,
)
def test_a_search_answers(curator, model):
    a_row(model)

    response = curator.get(_url(model, "changelist"), {"q": "x"})

    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_the_add_form_answers_or_is_not_offered(curator, staff_user, model):
    may_add = admin.site._registry[model].has_add_permission(_request_of(staff_user))

    response = curator.get(_url(model, "add"))

    assert response.status_code == (200 if may_add else 403)


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_an_empty_add_form_is_refused_with_errors_not_a_500(curator, staff_user, model):
    model_admin = admin.site._registry[model]
    request = _request_of(staff_user)
    if not model_admin.has_add_permission(request):
        assert curator.post(_url(model, "add"), {}).status_code == 403
        return
    before = model._default_manager.count()

    response = curator.post(_url(model, "add"), {})

    if response.status_code == 302:  # saved: only a model whose add form requires nothing may be
        form = model_admin.get_form(request)
        assert not [name for name, field in form.base_fields.items() if field.required]
        assert model._default_manager.count() == before + 1
    else:
        assert response.status_code == 200
        assert _form_errors(response), "an empty add form was neither saved nor refused with errors"
        assert model._default_manager.count() == before


# Columns an admin's save_model fills in itself, so its add form need not ask for them.
FILLED_BY_SAVE_MODEL = {("chants.Song", "created_by")}


def _columns_the_database_requires(model) -> list[str]:
    """Columns a new row cannot be saved without: NOT NULL, no default, not set by the database or on save."""
    return [
        field.name
        for field in model._meta.concrete_fields
        if not field.null
        and field.get_default() is None  # text fields default to "", which the database takes
        and not field.db_returning  # auto-increment ids
        and not getattr(field, "auto_now", False)
        and not getattr(field, "auto_now_add", False)
    ]


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_an_add_form_asks_for_every_column_the_database_requires(curator, staff_user, model):
    """An admin whose add form leaves out a NOT NULL column saves a filled form with a 500 (Track's owner)."""
    model_admin = admin.site._registry[model]
    request = _request_of(staff_user)
    if not model_admin.has_add_permission(request):
        return
    asked = set(model_admin.get_form(request).base_fields)

    missing = [
        name
        for name in _columns_the_database_requires(model)
        if name not in asked and (model._meta.label, name) not in FILLED_BY_SAVE_MODEL
    ]

    assert not missing, f"{model._meta.label}'s add form cannot fill {missing}: offer no Add, or ask for them"


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_the_change_form_of_a_row_answers(curator, model):
    row = a_row(model)

    response = curator.get(_url(model, "change", row.pk))

    assert response.status_code == 200
    assert response.context["original"] == row


def test_cards_and_review_logs_offer_no_add(curator):
    """Made only by the API (a ready track's card, a grade's log): their admin has no Add button."""
    log = factories.ReviewLogFactory()

    for model in (type(log.card), type(log)):
        changelist = curator.get(_url(model, "changelist"))
        assert changelist.status_code == 200
        assert _url(model, "add") not in changelist.content.decode()
        assert curator.get(_url(model, "add")).status_code == 403


def test_learning_settings_are_named_in_the_plural_correctly(curator):
    index = curator.get(reverse("admin:index")).content.decode()

    assert "Learning settings" in index
    assert "settingss" not in index.lower()


def test_learning_settings_saved_in_the_admin_rebuild_the_cards_as_the_api_does(curator):
    log = factories.ReviewLogFactory()  # an SM-2 card graded once
    preferences = factories.LearningSettingsFactory(user=log.user)
    card = log.card
    assert card.fsrs_state is None

    response = curator.post(
        _url(type(preferences), "change", preferences.pk), {"scheduler": "fsrs", "desired_retention": "0.85"}
    )

    assert response.status_code == 302
    preferences.refresh_from_db()
    card.refresh_from_db()
    assert (preferences.scheduler, preferences.desired_retention) == ("fsrs", 0.85)
    assert card.fsrs_state is not None and card.stability is not None  # replayed under FSRS
