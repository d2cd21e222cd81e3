from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from rest_framework_simplejwt.token_blacklist import admin as token_blacklist_admin
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from core.models import User


@admin.register(User)
class MusicUserAdmin(UserAdmin):
    list_display = ("username", "email", "is_staff", "is_active", "date_joined", "last_login")
    # "Empty" lists the accounts whose name clashed with an older one's when migration 0004 ran.
    list_filter = (*UserAdmin.list_filter, ("username_folded", admin.EmptyFieldListFilter))
    ordering = ("-date_joined",)


admin.site.unregister(BlacklistedToken)


@admin.register(BlacklistedToken)
class BlacklistedTokenAdmin(token_blacklist_admin.BlacklistedTokenAdmin):
    # The stock add form lists every outstanding token in a select, with a user query for each.
    raw_id_fields = ("token",)
