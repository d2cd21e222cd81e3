"""The session login forms (the admin's and the browsable API's) spend the API's password budgets.

Both are Django's LoginView, which checked every password it was sent. Their forms now ask
core.throttling.login_attempt_wait() first, with the posted username: the per-address and
per-account budgets of /api/auth/token/, under the same cache keys, so guesses spread over the
three doors share one budget. An attempt over a budget shows the form again with the message,
answers 429 with Retry-After, and never reaches the password check.
"""

from functools import wraps

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

from core import throttling


class _LoginBudgetMixin:
    """A login form that spends an attempt of the login budgets before it checks the password."""

    #: Seconds to wait, when the budgets refused the attempt.
    throttled_for: int | None = None

    def clean(self):
        # AuthenticationForm.clean() checks the password: the budgets are asked before it.
        wait = throttling.login_attempt_wait(self.request, username=self.cleaned_data.get("username"))
        if wait is not None:
            self.throttled_for = wait
            message = ngettext(
                "Too many login attempts. Try again in %(seconds)d second.",
                "Too many login attempts. Try again in %(seconds)d seconds.",
                wait,
            )
            raise ValidationError(message, code="throttled", params={"seconds": wait})
        return super().clean()


class SessionLoginForm(_LoginBudgetMixin, AuthenticationForm):
    """The browsable API's login form."""


class AdminLoginForm(_LoginBudgetMixin, AdminAuthenticationForm):
    """The admin's login form (AdminSite.login_form, set in core.admin)."""


def answers_429_when_throttled(view):
    """The login view's page, with status 429 and Retry-After when its form was refused by a budget."""

    @wraps(view)
    def login(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        form = (getattr(response, "context_data", None) or {}).get("form")
        wait = getattr(form, "throttled_for", None)
        if wait is not None:
            response.status_code = 429
            response["Retry-After"] = str(wait)
        return response

    return login


session_login = answers_429_when_throttled(
    LoginView.as_view(template_name="rest_framework/login.html", authentication_form=SessionLoginForm)
)


@answers_429_when_throttled
@login_not_required
def admin_login(request, extra_context=None):
    """The admin site's own login view (its context, its redirect when already logged in) with its budgeted form."""
    return admin.site.login(request, extra_context)
