"""Output formats shared by hand-written representations of hot endpoints."""

from datetime import datetime


def iso_datetime(value: datetime | None) -> str | None:
    """What DRF's DateTimeField writes with USE_TZ and UTC: ISO 8601, UTC as "Z"."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
