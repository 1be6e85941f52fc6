"""``GET /exports/{name}``: a list as CSV or XLSX (``imports.exports``), what the web's Export
links give, for integrations that pull spreadsheets. The filters are the lists' own, under
their field names (``search``, ``status``, ``customer_id``, ``date_from``…); each list reads
the ones it has and ignores the rest. The file is streamed while it is written."""

from __future__ import annotations

from typing import Literal

from django.http import StreamingHttpResponse
from django.utils import translation
from ninja import Router
from ninja.decorators import decorate_view

from ordercrm.api.v1.common import Language, with_errors
from ordercrm.core.db import reading_from_replica, stream_from_replica
from ordercrm.imports import exports

router = Router()

ExportName = Literal[tuple(exports.KINDS)]  # the names of the exportable lists


@router.get("/exports/{name}", response=with_errors({200: None}), tags=["exports"])
@decorate_view(reading_from_replica())
def exports_get(
    request,
    name: ExportName,
    format: Literal["csv", "xlsx"] = "csv",
    language: Language | None = None,
    search: str = "",
    status: str = "",
    kind: str = "",
    customer_id: str = "",
    salesperson_id: str = "",
    date_from: str = "",
    date_to: str = "",
    fulfilment: str = "",
    invoicing: str = "",
    payment: str = "",
    category_id: str = "",
    warehouse_id: str = "",
    price_list_id: str = "",
    currency: str = "",
):
    """Filters by list — customers: search, status (active | inactive | all); products:
    search, category_id, status; price_lists (one row per price, a list without prices as one
    row): price_list_id, currency; stock: search, warehouse_id; orders: search, status,
    fulfilment, invoicing, payment, customer_id, salesperson_id, date_from, date_to;
    invoices: search, status, kind, customer_id; payments: customer_id, date_from, date_to.
    Headings in ``language`` (default: the caller's). Rows are what the caller may see."""
    values = locals()
    with translation.override(language or translation.get_language()):
        found = exports.export(
            request.access, name, values, format, names=exports.field_names(name)
        )
    response = StreamingHttpResponse(
        stream_from_replica(found.chunks()), content_type=found.content_type
    )
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    return response
