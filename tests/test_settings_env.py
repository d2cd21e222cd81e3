import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str


def test_blank_values_mean_the_default(monkeypatch):
    for name in ("A_BOOL", "A_INT", "A_LIST", "A_STR"):
        monkeypatch.setenv(name, "  ")

    assert env_bool("A_BOOL", True) is True
    assert env_int("A_INT", 7) == 7
    assert env_list("A_LIST", ["x"]) == ["x"]
    assert env_str("A_STR", "default") == "default"


def test_values_are_parsed(monkeypatch):
    monkeypatch.setenv("A_BOOL", "Off")
    monkeypatch.setenv("A_INT", "42")
    monkeypatch.setenv("A_LIST", "a.example.com, b.example.com,")

    assert env_bool("A_BOOL", True) is False
    assert env_int("A_INT", 0) == 42
    assert env_list("A_LIST", []) == ["a.example.com", "b.example.com"]


@pytest.mark.parametrize(("reader", "value"), [(env_bool, "maybe"), (env_int, "ten")])
def test_malformed_values_name_the_variable(monkeypatch, reader, value):
    monkeypatch.setenv("BROKEN", value)

    with pytest.raises(ImproperlyConfigured, match="BROKEN"):
        reader("BROKEN", 0)
