"""What is in storage under a prefix, in either storage mode."""

from django.core.files.storage import default_storage


def stored_keys(prefix: str) -> list[str]:
    """Every object key under the folder `prefix` (no trailing slash), recursively."""
    try:
        folders, names = default_storage.listdir(prefix)
    except FileNotFoundError:  # local storage: the folder was never made
        return []
    keys = [f"{prefix}/{name}" for name in names]
    for folder in folders:
        keys += stored_keys(f"{prefix}/{folder}")
    return sorted(keys)
