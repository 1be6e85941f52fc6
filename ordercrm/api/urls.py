from django.urls import path
from django.views.generic import RedirectView

from ordercrm.api.base import api
from ordercrm.api.v1 import (
    billing,
    catalog,
    customers,
    events,
    exports,
    fulfilment,
    orders,
    performance,
    returns,
    revaluations,
    service,
    settings,
    stock,
    terms,
)

# v1 is one router per area, all at the API's root (paths are the areas' own).
for area in (
    customers,
    catalog,
    stock,
    orders,
    fulfilment,
    billing,
    revaluations,
    terms,
    returns,
    service,
    performance,
    events,
    exports,
    settings,
):
    api.add_router("", area.router)

urlpatterns = [
    path("v1/", api.urls),
    path("docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
]
