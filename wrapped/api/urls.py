from django.urls import path, re_path

from wrapped.api import views

urlpatterns = [
    path("", views.OverviewView.as_view(), name="wrapped-overview"),
    path("account/", views.AccountView.as_view(), name="wrapped-account"),
    path("spotify/authorize/", views.AuthorizeView.as_view(), name="wrapped-authorize"),
    path("spotify/callback/", views.CallbackView.as_view(), name="wrapped-callback"),
    path("enrollment/", views.EnrollmentView.as_view(), name="wrapped-enrollment"),
    path("release-radar/", views.ReleaseRadarView.as_view(), name="wrapped-release-radar"),
    re_path(r"^months/(?P<month_key>[^/]{1,20})/$", views.MonthView.as_view(), name="wrapped-month"),
    re_path(r"^years/(?P<year>[^/]{1,20})/$", views.YearView.as_view(), name="wrapped-year"),
]
