from django.urls import path
from django.views.generic import RedirectView

from ordercrm.api.base import api
from ordercrm.api.v1 import routes  # noqa: F401 - registers the endpoints

urlpatterns = [
    path("v1/", api.urls),
    path("docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
]
