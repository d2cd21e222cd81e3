from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from core.api.docs import RedocView, SchemaView, SwaggerView
from core.login_views import admin_login, session_login
from core.storage_views import signed_object

handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.not_found"
handler500 = "core.errors.server_error"

api_patterns = [
    path("", include("core.api.urls")),
    path("chants/", include("chants.api.urls")),
    path("tracks/", include("tracks.api.urls")),
    path("learning/", include("learning.api.urls")),
    path("mastering/", include("mastering.api.urls")),
    path("downloads/", include("downloads.api.urls")),
    path("wrapped/", include("wrapped.api.urls")),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(), name="swagger-ui"),
    path("redoc/", RedocView.as_view(), name="redoc"),
    path("storage/<str:token>/", signed_object, name="signed-object"),
]

urlpatterns = [
    path("", RedirectView.as_view(url="/api/docs/", permanent=False)),
    # Both session login forms spend the login budgets of /api/auth/token/ (core.login_views); these
    # come before the includes, whose own login routes keep their names for reverse().
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("api-auth/login/", session_login),
    path("api-auth/", include("rest_framework.urls")),
]
