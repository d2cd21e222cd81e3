from django.contrib import admin

from learning.models import Card, LearningSettings, ReviewLog


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ("track", "user", "due_at", "repetitions", "interval_days", "easiness_factor", "drill_day")
    list_select_related = ("track", "user")
    search_fields = ("track__name", "track__file_name", "user__username")
    readonly_fields = [field.name for field in Card._meta.fields]


@admin.register(ReviewLog)
class ReviewLogAdmin(admin.ModelAdmin):
    list_display = ("card", "user", "grade", "reviewed_at", "drill", "scheduler")
    list_filter = ("scheduler", "drill")
    readonly_fields = [field.name for field in ReviewLog._meta.fields]

    # The log is never edited, and deleted only with its card.
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


admin.site.register(LearningSettings)
