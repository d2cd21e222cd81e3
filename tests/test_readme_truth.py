"""The README and .env.example say what the code does: every setting, every app.

Settings are found where the code reads them (`env_int("NAME", ...)` and its siblings in
config/), not from a list kept by hand, so a new setting without its line fails here.
"""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
READ_SETTING = re.compile(r"\benv_(?:int|str|bool|list|float)\(\s*\"([A-Z][A-Z0-9_]*)\"")


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end]


def settings_read_by_the_code() -> set[str]:
    names = set()
    for path in (ROOT / "config").glob("*.py"):
        names |= set(READ_SETTING.findall(path.read_text()))
    return names


def read_by_docker_compose() -> set[str]:
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "docker-compose.yml").read_text()))


def settings_in_env_example() -> set[str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return {line.split("=", 1)[0] for line in lines if re.match(r"^[A-Z][A-Z0-9_]*=", line)}


def test_the_code_reads_settings_at_all():
    # A broken pattern would make the checks below pass on nothing.
    assert {"DATABASE_URL", "REDIS_URL", "JOB_MAX_ATTEMPTS"} <= settings_read_by_the_code()


def test_every_setting_the_code_reads_is_in_env_example_and_no_other():
    read, listed = settings_read_by_the_code(), settings_in_env_example()

    assert read - listed == set(), "add these to .env.example with their default"
    assert listed - read - read_by_docker_compose() == set(), "these lines of .env.example are read by nothing"


def test_every_setting_the_code_reads_is_in_the_readme_configuration_table():
    table = _section("Configuration")
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]*)`", table))

    assert settings_read_by_the_code() - documented == set(), "add these to README's Configuration table"


def test_the_readme_app_table_names_the_installed_apps():
    table = README[: README.index("\n## ")]
    in_readme = set(re.findall(r"^\| `(\w+)/` \|", table, flags=re.MULTILINE))
    local = {app for app in settings.INSTALLED_APPS if (ROOT / app / "apps.py").exists()} - {"core"}

    assert in_readme == local
    assert "planned" not in table  # every app in the table is built
