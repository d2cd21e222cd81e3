"""`manage.py populate_references [--force]`: the 24 built-in references, rendered and analysed.

No commercial recording can be shipped, so each built-in reference is rendered by
mastering.generator from a documented genre profile and measured by the project's own engine;
they are labelled as generated profiles everywhere. Existing ones are kept unless --force.
"""

import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand

from mastering import generator, services
from mastering.models import Reference


class Command(BaseCommand):
    help = "Render and analyse the built-in generated reference profiles (kept when present, unless --force)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Render and analyse them again.")

    def handle(self, *args, force: bool, **options):
        present = set(Reference.objects.filter(built_in=True, generated=True).values_list("name", "genre"))
        made = 0
        with tempfile.TemporaryDirectory(prefix="references-") as folder:
            for spec in generator.BUILT_IN:
                if not force and (spec.name, spec.genre) in present:
                    continue
                path = Path(folder) / f"{spec.seed}.wav"
                generator.write_wav(spec, path)
                services.built_in_reference_save(
                    path=path, name=spec.name, artist=spec.artist, genre=spec.genre, year=spec.year, generated=True
                )
                path.unlink()
                made += 1
        kept = len(generator.BUILT_IN) - made
        self.stdout.write(f"Built-in references: {made} rendered and analysed, {kept} already there.")
