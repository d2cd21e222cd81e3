from django.contrib import admin

from learning import services
from learning.models import Card, LearningSettings, ReviewLog


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ("track", "user", "due_at", "repetitions", "interval_days", "easiness_factor", "drill_day")
    list_select_related = ("track", "user")
    search_fields = ("track__name", "track__file_name", "user__username")
    readonly_fields = [field.name for field in Card._meta.fields]

    # A card is made for a ready track when it is first due (learning.services), never by hand.
    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ReviewLog)
class ReviewLogAdmin(admin.ModelAdmin):
    list_display = ("card", "user", "grade", "reviewed_at", "drill", "scheduler")
    list_filter = ("scheduler", "drill")
    list_select_related = ("card", "user")
    readonly_fields = [field.name for field in ReviewLog._meta.fields]

    # The log is written by a grade, never added or edited, and deleted only with its card.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LearningSettings)
class LearningSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "scheduler", "desired_retention")
    list_filter = ("scheduler",)
    list_select_related = ("user",)
    search_fields = ("user__username",)
    raw_id_fields = ("user",)

    def get_readonly_fields(self, request, obj=None):
        return ("user",) if obj else ()  # whose settings they are does not change

    def save_model(self, request, obj: LearningSettings, form, change: bool) -> None:
        # As the API saves them: a change of scheduler or retention rebuilds the user's cards.
        services.settings_update(user=obj.user, scheduler=obj.scheduler, desired_retention=obj.desired_retention)
