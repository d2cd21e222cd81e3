"""The operators' commands: populate_references, analyze_reference, analyze_audio."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mastering import generator
from mastering.models import Reference
from tests.mastering.test_api import mix_wav

pytestmark = pytest.mark.django_db


def test_populate_references_renders_each_profile_once_and_again_with_force(monkeypatch, capsys):
    two = [generator.BUILT_IN[0], generator.BUILT_IN[-1]]  # the command's loop, on two of the 24
    monkeypatch.setattr(generator, "BUILT_IN", two)
    call_command("populate_references")
    made = Reference.objects.order_by("name")
    assert sorted((r.name, r.genre) for r in made) == sorted((spec.name, spec.genre) for spec in two)
    assert {(r.built_in, r.generated, r.owner_id, r.status) for r in made} == {(True, True, None, "done")}
    assert all(r.overall["integrated_lufs"] is not None and len(r.bands) == 5 for r in made)
    first_keys = set(made.values_list("audio_key", flat=True))
    assert "2 rendered and analysed, 0 already there" in capsys.readouterr().out

    call_command("populate_references")
    assert "0 rendered and analysed, 2 already there" in capsys.readouterr().out
    call_command("populate_references", "--force")
    assert Reference.objects.count() == 2  # replaced, not duplicated
    assert set(Reference.objects.values_list("audio_key", flat=True)).isdisjoint(first_keys)


def test_analyze_reference_adds_a_real_file_as_a_built_in_reference(tmp_path, capsys):
    path = tmp_path / "master.wav"
    path.write_bytes(mix_wav(seconds=4.0))
    call_command("analyze_reference", str(path), "--name", "Club master", "--genre", "House", "--year", "2024")
    reference = Reference.objects.get(name="Club master")
    assert (reference.built_in, reference.generated, reference.year, reference.genre) == (True, False, 2024, "House")
    assert "Built-in reference 'Club master' (House) saved" in capsys.readouterr().out

    not_audio = tmp_path / "notes.wav"
    not_audio.write_bytes(b"just text")
    with pytest.raises(CommandError, match="notes.wav"):
        call_command("analyze_reference", str(not_audio), "--name", "Bad", "--genre", "House")
    assert not Reference.objects.filter(name="Bad").exists()


def test_analyze_audio_prints_the_whole_analysis_and_stores_nothing(tmp_path, capsys):
    path = tmp_path / "mix.wav"
    path.write_bytes(mix_wav(seconds=3.0))
    call_command("analyze_audio", str(path), "--json")
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"file", "overall", "bands", "vector", "loudness_series", "platforms"}
    assert len(result["vector"]) == 128 and len(result["platforms"]) == 5

    call_command("analyze_audio", str(path))
    text = capsys.readouterr().out
    assert "integrated_lufs" in text and "Spotify" in text and "low_mid" in text
    assert Reference.objects.count() == 0

    with pytest.raises(CommandError, match="is not a file"):
        call_command("analyze_audio", str(tmp_path / "missing.wav"))
    short = tmp_path / "short.wav"
    short.write_bytes(mix_wav(seconds=0.5))
    with pytest.raises(CommandError, match="short.wav"):
        call_command("analyze_audio", str(short))
