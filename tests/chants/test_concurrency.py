"""A song deleted while one of its uploads is being promoted: one waits for the other, neither fails."""

import threading

import pytest
from django.db import connection

from chants import assets, services
from chants.models import AssetUpload, Song
from tests.factories import SongFactory
from tests.helpers.locks import wait_for_a_blocked_lock

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_promote_waiting_for_a_song_delete_ends_quietly(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    song = SongFactory()
    upload = AssetUpload.objects.create(
        song=song,
        kind="artwork",
        file_name="cover.png",
        content_type="image/png",
        upload_key=f"staging/{song.created_by_id}/0123abcd",
        created_by=song.created_by,
        status=AssetUpload.Status.PROCESSING,
    )
    checked_key = f"users/{song.created_by_id}/chants/{song.pk}/artwork/0123abcd.png"
    asset_keys = services.song_asset_keys
    song_locked = threading.Event()
    errors = []

    def keys_then_wait_for_the_promote(locked_song):
        # song_delete holds the song's lock here; it goes on once the promote waits for a lock.
        song_locked.set()
        with connection.cursor() as cursor:
            wait_for_a_blocked_lock(cursor)
        return asset_keys(locked_song)

    monkeypatch.setattr(services, "song_asset_keys", keys_then_wait_for_the_promote)

    def delete() -> None:
        try:
            services.song_delete(song_id=song.pk)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            song_locked.set()
        finally:
            connection.close()

    def promote() -> None:
        try:
            assert song_locked.wait(timeout=30)
            checked = assets.CheckedAsset(content_type="image/png", duration_seconds=None)
            services._asset_upload_promote(upload_id=upload.pk, key=checked_key, size=10, checked=checked)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=delete), threading.Thread(target=promote)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert not Song.objects.filter(pk=song.pk).exists() and not AssetUpload.objects.exists()
