from django.urls import path

from ordercrm.api.base import api
from ordercrm.api.v1 import routes  # noqa: F401 - registers the endpoints

urlpatterns = [path("v1/", api.urls)]
