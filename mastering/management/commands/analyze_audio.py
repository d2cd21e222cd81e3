"""`manage.py analyze_audio PATH [--json]`: the full analysis of a file, printed, nothing stored."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Print the full analysis of an audio file (overall, bands, platform preview) without storing it."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--json", action="store_true", help="The whole result as JSON (with the vector).")

    def handle(self, *args, path: Path, json: bool, **options):
        from mastering.analysis import AnalysisError, analyze

        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            result = analyze(path, max_seconds=settings.MASTERING_MAX_SECONDS).to_dict()
        except AnalysisError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        if json:
            self.stdout.write(_dumps(result))
            return
        info = result["file"]
        self.stdout.write(
            f"{path.name}: {info['format']} {info['sample_rate']} Hz, {info['channels']} ch, "
            f"{info['duration_seconds']:.1f} s"
        )
        for name, value in result["overall"].items():
            self.stdout.write(f"  {name:24} {_number(value)}")
        self.stdout.write("  bands (energy share, rms dBFS, width):")
        for band in result["bands"]:
            self.stdout.write(
                f"    {band['band']:9} {_number(band['energy_share'])}  {_number(band['rms_dbfs'])}  "
                f"{_number(band['stereo_width'])}"
            )
        self.stdout.write("  streaming preview (gain dB, true peak after dBTP):")
        for platform in result["platforms"]:
            self.stdout.write(
                f"    {platform['platform']:14} {platform['reference_lufs']:>6} LUFS  "
                f"{_number(platform['gain_db'])}  {_number(platform['true_peak_after_dbtp'])}"
            )


def _number(value) -> str:
    return "-" if value is None else f"{value:8.2f}"


def _dumps(result: dict) -> str:
    return json.dumps(result, indent=2, allow_nan=False)
