from django.urls import path
from rest_framework.routers import SimpleRouter

from mastering.api import views

router = SimpleRouter()
router.register("analyses", views.AnalysisViewSet, basename="mastering-analysis")
router.register("references", views.ReferenceViewSet, basename="mastering-reference")

urlpatterns = [
    path("settings/", views.SettingsView.as_view(), name="mastering-settings"),
    path(
        "analyses/<uuid:pk>/plot.png",
        views.AnalysisViewSet.as_view({"get": "plot"}),
        name="mastering-analysis-plot",
    ),
    *router.urls,
]
