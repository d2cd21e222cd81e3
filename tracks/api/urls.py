from rest_framework.routers import SimpleRouter

from tracks.api import views

router = SimpleRouter()
router.register("", views.TrackViewSet, basename="track")

urlpatterns = router.urls
