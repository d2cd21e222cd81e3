"""Rate limits read from settings when each request is checked.

DRF's stock throttles copy their rates from REST_FRAMEWORK when the module is
imported; these read THROTTLE_*_RATE each time, so tests and benchmarks can set
their own. "off" disables a throttle.

Who an anonymous caller is: the peer address of the connection, unless
TRUSTED_PROXY_COUNT proxies stand in front of the app. Each of those appends the
address it saw to X-Forwarded-For, so the client is the hop that many entries from
the end; whatever the client wrote in the header itself comes before and is never
read. (DRF's own default, with NUM_PROXIES unset, took the whole header as the
identity: a new header on each request was a new budget.) IPv6 addresses count per
/64, the block one customer gets, so choosing a new address in it is no new budget.

Password guesses have two budgets, per address and per account, and every way to guess
spends them: the token endpoint through DRF, the session login forms (the admin's and the
browsable API's, core.login_views) through login_attempt_wait(), with the same cache keys.
"""

import hashlib
import ipaddress
import math

from django.conf import settings
from rest_framework import throttling

from core.models import fold_username


def client_address(request) -> str:
    """The address throttles count a caller by: the peer, or the client a trusted proxy reports."""
    address = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        address = hops[-min(proxies, len(hops))] or address
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class _SettingsRateMixin:
    setting_name = ""

    def get_rate(self):
        rate = getattr(settings, self.setting_name, "")
        if not rate or rate.lower() == "off":
            return None
        return rate

    def get_ident(self, request):
        return client_address(request)


class AnonRateThrottle(_SettingsRateMixin, throttling.AnonRateThrottle):
    setting_name = "THROTTLE_ANON_RATE"


class UserRateThrottle(_SettingsRateMixin, throttling.UserRateThrottle):
    setting_name = "THROTTLE_USER_RATE"


class _AddressRateThrottle(_SettingsRateMixin, throttling.SimpleRateThrottle):
    """One budget per client address, whoever is logged in."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginRateThrottle(_AddressRateThrottle):
    scope = "login"
    setting_name = "THROTTLE_LOGIN_RATE"


class RegisterRateThrottle(_AddressRateThrottle):
    scope = "register"
    setting_name = "THROTTLE_REGISTER_RATE"


class TokenRefreshRateThrottle(_AddressRateThrottle):
    scope = "token_refresh"
    setting_name = "THROTTLE_REFRESH_RATE"


class LoginUsernameRateThrottle(_SettingsRateMixin, throttling.SimpleRateThrottle):
    """One budget per account for password guesses, from any address: "Bob" and "bob" share it.

    The account is the logged-in user (the password change, which checks the old password) or
    else the posted username (login).
    """

    scope = "login_username"
    setting_name = "THROTTLE_LOGIN_USERNAME_RATE"

    def get_cache_key(self, request, view):
        if request.user.is_authenticated:
            username = request.user.get_username()
        else:
            data = request.data
            username = data.get("username") if hasattr(data, "get") else None
        return self.account_cache_key(username)

    def account_cache_key(self, username) -> str | None:
        if not isinstance(username, str) or not username:
            return None  # the serializer refuses the request; the address's budget still counts it
        # A digest keeps the cache key short and plain whatever was posted.
        account = hashlib.sha256(fold_username(username).encode("utf-8", "surrogatepass")).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": account}


class _PostedUsernameThrottle(LoginUsernameRateThrottle):
    """The account budget of a login form, whose username the form has already read and cleaned."""

    def __init__(self, username: str | None):
        super().__init__()
        self.username = username

    def get_cache_key(self, request, view):
        return self.account_cache_key(self.username)


def login_attempt_wait(request, *, username: str | None) -> int | None:
    """Spend one password attempt of the login budgets; None when allowed, else the seconds to wait.

    As DRF checks a view's throttles: every budget is asked, and those that allow the attempt
    count it even when another refuses it.
    """
    waits = [
        throttle.wait()
        for throttle in (LoginRateThrottle(), _PostedUsernameThrottle(username))
        if not throttle.allow_request(request, None)
    ]
    if not waits:
        return None
    return max(1, math.ceil(max((wait for wait in waits if wait is not None), default=1)))
