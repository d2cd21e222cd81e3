"""Rate limits read from settings when each request is checked.

DRF's stock throttles copy their rates from REST_FRAMEWORK when the module is
imported; these read THROTTLE_ANON_RATE / THROTTLE_USER_RATE each time, so
tests and benchmarks can set their own. "off" disables a throttle.
"""

from django.conf import settings
from rest_framework import throttling


class _SettingsRateMixin:
    setting_name = ""

    def get_rate(self):
        rate = getattr(settings, self.setting_name, "")
        if not rate or rate.lower() == "off":
            return None
        return rate


class AnonRateThrottle(_SettingsRateMixin, throttling.AnonRateThrottle):
    setting_name = "THROTTLE_ANON_RATE"


class UserRateThrottle(_SettingsRateMixin, throttling.UserRateThrottle):
    setting_name = "THROTTLE_USER_RATE"
