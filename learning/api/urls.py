from django.urls import path

from learning.api import views

urlpatterns = [
    path("due/", views.DueView.as_view(), name="learning-due"),
    path("grade/", views.GradeView.as_view(), name="learning-grade"),
    path("stats/", views.StatsView.as_view(), name="learning-stats"),
    path("settings/", views.SettingsView.as_view(), name="learning-settings"),
    path("cards/<uuid:track_id>/history/", views.HistoryView.as_view(), name="learning-history"),
]
