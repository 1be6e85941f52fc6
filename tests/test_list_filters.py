"""The one order-list filter reads each caller's own parameter names and refuses, naming
them, what it cannot read (the web list, its export and ``GET /orders`` share it)."""

import datetime
import uuid

import pytest

from ordercrm.api.v1.orders import ORDER_FILTERS as API_NAMES
from ordercrm.billing.filters import InvoiceListFilter
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.sales.filters import OrderListFilter
from ordercrm.web.orders import ORDER_FILTERS as WEB_NAMES


def test_web_and_api_names_read_into_the_same_filter():
    customer = uuid.uuid4()
    web = OrderListFilter.parse(
        {"q": " SO-1 ", "from": "2026-1-5", "customer": str(customer), "fulfilment": "shipped"},
        WEB_NAMES,
    )
    api = OrderListFilter.parse(
        {
            "search": "SO-1",
            "date_from": "2026-01-05",
            "customer_id": str(customer),
            "fulfilment_status": "shipped",
        },
        API_NAMES,
    )
    assert web == api
    assert web.date_from == datetime.date(2026, 1, 5)
    assert web.customer_id == customer


@pytest.mark.parametrize(
    ("names", "raw", "field"),
    [
        (WEB_NAMES, {"from": "2026-13-45"}, "from"),
        (API_NAMES, {"date_to": "tomorrow"}, "date_to"),
        (WEB_NAMES, {"status": "bogus"}, "status"),
        (API_NAMES, {"customer_id": "not-an-id"}, "customer_id"),
    ],
)
def test_an_unreadable_value_is_refused_under_the_callers_name(names, raw, field):
    with pytest.raises(ValidationFailed) as error:
        OrderListFilter.parse(raw, names)
    assert list(error.value.details["fields"]) == [field]


def test_an_unknown_invoice_kind_is_refused():
    with pytest.raises(ValidationFailed) as error:
        InvoiceListFilter.parse({"kind": "receipt"}, {"kind": "kind"})
    assert "receipt" in error.value.text
