"""`manage.py analyze_reference PATH --name N --genre G [--artist A] [--year Y]`: a real file, built in."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core import media
from mastering import services


class Command(BaseCommand):
    help = "Analyse an audio file and keep it as a built-in reference (replacing one of the same name and genre)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--name", required=True)
        parser.add_argument("--genre", required=True)
        parser.add_argument("--artist", default="")
        parser.add_argument("--year", type=int, default=None)

    def handle(self, *args, path: Path, name: str, genre: str, artist: str, year: int | None, **options):
        from mastering.analysis import AnalysisError

        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            reference = services.built_in_reference_save(
                path=path, name=name, artist=artist, genre=genre, year=year, generated=False
            )
        except (AnalysisError, media.MediaRejected) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        overall = reference.overall or {}
        self.stdout.write(
            f"Built-in reference {reference.name!r} ({reference.genre}) saved: "
            f"{overall.get('integrated_lufs')} LUFS integrated, {overall.get('true_peak_dbtp')} dBTP true peak."
        )
