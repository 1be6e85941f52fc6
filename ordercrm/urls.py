from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("ordercrm.api.urls")),
    path("", include("ordercrm.web.urls")),
]
