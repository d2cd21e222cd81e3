"""Input fields that accept what their OpenAPI schema says, and refuse what it does not.

DRF's CharField turns a JSON number into text and checks `max_length` after trimming, and its
FloatField reads a JSON string as a number: requests that violate the published schema would be
accepted. These fields hold a JSON body to the declared types and limits. A form (the browsable
API, `application/x-www-form-urlencoded`, `multipart/form-data`) sends every value as text, so
there text stays acceptable for a number, and `null` (JSON's spelling, as schemathesis sends it) is null.
"""

from django.http import QueryDict
from rest_framework import serializers


def _from_form(field: serializers.Field) -> bool:
    return isinstance(getattr(field.root, "initial_data", None), QueryDict)


class StrictCharField(serializers.CharField):
    """Text only (not a number), and `max_length` counted before whitespace is trimmed."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    """A JSON number (not text, not a boolean); text only from a form, where `null` is null."""

    def validate_empty_values(self, data):
        if self.allow_null and isinstance(data, str) and data.lower() == "null" and _from_form(self):
            data = None
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if isinstance(data, bool) or (isinstance(data, str) and not _from_form(self)):
            self.fail("invalid")
        return super().to_internal_value(data)
