from rest_framework.routers import SimpleRouter

from chants.api import views
from core.api.params import UUID_PATTERN

router = SimpleRouter()
router.register("songs", views.SongViewSet, basename="song")
router.register(rf"songs/(?P<song_id>{UUID_PATTERN})/assets", views.SongAssetViewSet, basename="song-asset")

urlpatterns = router.urls
