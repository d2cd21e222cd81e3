import importlib

import pytest
from django.apps import apps

from learning.models import Card
from tests.factories import TrackFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_tracks_ready_before_the_feature_get_due_cards():
    migration = importlib.import_module("learning.migrations.0002_cards_for_ready_tracks")
    user = UserFactory()
    ready = TrackFactory(owner=user, name="Old")
    TrackFactory(owner=user, name="Pending", processing=True)

    migration.create_cards(apps, None)
    migration.create_cards(apps, None)  # running twice creates nothing more

    assert list(Card.objects.values_list("track_id", "user_id")) == [(ready.pk, user.pk)]
