from rest_framework.routers import SimpleRouter

from downloads.api import views

router = SimpleRouter()
router.register("", views.DownloadViewSet, basename="download")

urlpatterns = router.urls
