from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from rest_framework_simplejwt.token_blacklist import admin as token_blacklist_admin
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from core.login_views import AdminLoginForm
from core.models import User

# Password guesses at the admin's login form spend the API's login budgets (core.login_views).
admin.site.login_form = AdminLoginForm


@admin.register(User)
class MusicUserAdmin(UserAdmin):
    list_display = ("username", "email", "is_staff", "is_active", "date_joined", "last_login")
    # "Empty" lists the accounts whose name clashed with an older one's when migration 0004 ran; a legacy
    # duplicate email "not empty", those whose address an older account already had when 0007 ran.
    list_filter = (
        *UserAdmin.list_filter,
        ("username_folded", admin.EmptyFieldListFilter),
        ("legacy_duplicate_email", admin.EmptyFieldListFilter),
    )
    ordering = ("-date_joined",)


admin.site.unregister(BlacklistedToken)


@admin.register(BlacklistedToken)
class BlacklistedTokenAdmin(token_blacklist_admin.BlacklistedTokenAdmin):
    # The stock add form lists every outstanding token in a select, with a user query for each.
    raw_id_fields = ("token",)
