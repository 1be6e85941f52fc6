"""At most ``MAX_ORDER_LINES`` lines per order on every path that writes lines: create, edit,
append, paste, amend, template (and the API on top). A refusal is ``sales.too_many_lines`` and
changes nothing; an order already over a lowered limit still moves, but cannot grow."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from ordercrm.accounts.tokens import token_create
from ordercrm.sales import services as sales
from ordercrm.sales.exceptions import TooManyLines
from ordercrm.sales.models import OrderTemplate, SalesOrder, SalesOrderLine
from ordercrm.sales.workflow import Status

LIMIT = 4


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.MAX_ORDER_LINES = LIMIT


def _lines(products, n):
    return [{"product": products[i % len(products)], "quantity": Decimal(1)} for i in range(n)]


def _state(company):
    return (
        SalesOrder.objects.for_company(company).count(),
        SalesOrderLine.objects.for_company(company).count(),
        OrderTemplate.objects.for_company(company).count(),
        sorted(SalesOrder.objects.for_company(company).values_list("version", "line_count")),
    )


def _refused(call, company, count):
    before = _state(company)
    with pytest.raises(TooManyLines) as caught:
        call()
    assert caught.value.code == "sales.too_many_lines"
    assert caught.value.details == {"limit": LIMIT, "count": count}
    assert str(LIMIT) in caught.value.text
    assert _state(company) == before


def test_every_line_writing_path_stops_at_the_limit(company, rep, manager, customer, products):
    ok = sales.order_create(
        company=company, actor=rep, customer=customer, lines=_lines(products, LIMIT)
    )
    assert ok.line_count == LIMIT  # the limit itself is allowed

    def create():
        sales.order_create(
            company=company, actor=rep, customer=customer, lines=_lines(products, LIMIT + 1)
        )

    _refused(create, company, LIMIT + 1)
    draft = sales.order_create(
        company=company, actor=rep, customer=customer, lines=_lines(products, 2)
    )
    _refused(
        lambda: sales.order_update(
            order=draft, actor=rep, version=draft.version, lines=_lines(products, LIMIT + 2)
        ),
        company,
        LIMIT + 2,
    )
    _refused(
        lambda: sales.order_add_lines(
            order=draft, actor=rep, version=draft.version, lines=_lines(products, 3)
        ),
        company,
        5,
    )
    _refused(
        lambda: sales.order_paste_lines(
            order=draft, actor=rep, version=draft.version, text="P0,1\nP1,1\nP2,1"
        ),
        company,
        5,
    )
    _refused(
        lambda: sales.template_create(
            company=company, actor=rep, name="big", lines=_lines(products, LIMIT + 1)
        ),
        company,
        LIMIT + 1,
    )
    confirmed = sales.order_submit(order=ok, actor=rep)
    assert confirmed.status == Status.CONFIRMED
    _refused(
        lambda: sales.order_amend(
            order=confirmed,
            actor=rep,
            version=confirmed.version,
            lines=[{"product": products[0], "quantity": Decimal(1)}],
            reason="one more",
        ),
        company,
        LIMIT + 1,
    )


def test_an_order_over_a_lowered_limit_still_moves_but_cannot_grow(
    settings, company, rep, customer, products
):
    order = sales.order_create(
        company=company, actor=rep, customer=customer, lines=_lines(products, LIMIT)
    )
    settings.MAX_ORDER_LINES = 2
    order = sales.order_submit(order=order, actor=rep)
    assert order.status == Status.CONFIRMED
    with pytest.raises(TooManyLines):
        sales.order_amend(
            order=order,
            actor=rep,
            version=order.version,
            lines=[{"product": products[0], "quantity": Decimal(1)}],
            reason="grow",
        )


def test_the_api_answers_422_with_the_code_and_creates_nothing(client, company, rep, customer):
    _token, raw = token_create(user=rep, name="limit")
    body = {
        "customer_id": str(customer.pk),
        "lines": [{"sku": "P0", "quantity": "1"}] * (LIMIT + 1),
    }
    response = client.post(
        "/api/v1/orders",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "sales.too_many_lines"
    assert response.json()["error"]["details"] == {"limit": LIMIT, "count": LIMIT + 1}
    assert SalesOrder.objects.for_company(company).count() == 0
