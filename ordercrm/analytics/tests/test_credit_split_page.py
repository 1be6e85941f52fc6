"""The credit-split form of an order (``/orders/<id>/credit-split/``): a manager shares the
credit 70 / 30 and the facts follow; shares not adding up to 100, a share out of range or the
same person twice are refused beside their row, in the reader's language, and change nothing;
a rep may not open it; removing the split gives the salesperson all of it back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from ordercrm.analytics import refresh
from ordercrm.analytics.models import CreditSplit, SalesFact
from ordercrm.sales import services as sales
from tests.factories import OrderFactory

from .conftest import at

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def order(shop):
    rep = shop["people"]["rep"]
    with at("2026-01-10"):
        made = OrderFactory(
            company=shop["company"], actor=rep, customer=shop["mingda"], lines=[(shop["drill"], 5)]
        )
        return sales.order_submit(order=made, actor=rep)


def _splits(shop, order) -> dict:
    return {
        s.salesperson_id: s.percent
        for s in CreditSplit.objects.for_company(shop["company"]).filter(order=order)
    }


def _booked(shop, person) -> Decimal:
    value = (
        SalesFact.objects.for_company(shop["company"])
        .filter(salesperson=person)
        .aggregate(v=Sum("ordered_base"))["v"]
    )
    return value or D(0)


def test_manager_shares_the_credit_and_the_facts_follow(client, shop, order):
    people = shop["people"]
    rep, rep2 = people["rep"], people["rep2"]
    client.force_login(people["manager"])
    detail = client.get(f"/orders/{order.pk}/").content.decode()
    assert f'href="/orders/{order.pk}/credit-split/"' in detail
    form = client.get(f"/orders/{order.pk}/credit-split/")
    assert form.status_code == 200
    text = form.content.decode()
    # the salesperson has all of it until shared: the first row says so
    assert f'<option value="{rep.pk}" selected>' in text
    assert 'value="100"' in text
    saved = client.post(
        f"/orders/{order.pk}/credit-split/",
        {"salesperson_0": rep.pk, "percent_0": "70", "salesperson_1": rep2.pk, "percent_1": "30"},
    )
    assert saved.status_code == 302
    assert saved["Location"] == f"/orders/{order.pk}/"
    assert _splits(shop, order) == {rep.pk: D(70), rep2.pk: D(30)}
    while refresh.process_company(shop["company"]):
        pass
    assert _booked(shop, rep) == D("350.00")
    assert _booked(shop, rep2) == D("150.00")
    detail = client.get(f"/orders/{order.pk}/").content.decode()
    assert "70%" in detail
    assert "30%" in detail
    # removing the split gives the order back to its salesperson
    assert client.post(f"/orders/{order.pk}/credit-split/", {"clear": "1"}).status_code == 302
    assert _splits(shop, order) == {}
    while refresh.process_company(shop["company"]):
        pass
    assert _booked(shop, rep) == D("500.00")
    assert _booked(shop, rep2) == D(0)


@pytest.mark.parametrize(
    ("language", "whole", "range_", "twice"),
    [
        (
            "en",
            "must add up to 100 %",
            "Enter a share above 0 and at most 100.",
            "Each salesperson once.",
        ),
        ("zh-hans", "100", None, None),
    ],
)
def test_refusals_are_shown_by_row_and_change_nothing(
    client, shop, order, language, whole, range_, twice
):
    people = shop["people"]
    rep, rep2, manager = people["rep"], people["rep2"], people["manager"]
    manager.language = language
    manager.save(update_fields=["language"])
    client.force_login(manager)
    client.post(
        f"/orders/{order.pk}/credit-split/",
        {"salesperson_0": rep.pk, "percent_0": "60", "salesperson_1": rep2.pk, "percent_1": "40"},
    )
    before = _splits(shop, order)
    url = f"/orders/{order.pk}/credit-split/"
    # 60 + 30: not whole
    page = client.post(
        url,
        {"salesperson_0": rep.pk, "percent_0": "60", "salesperson_1": rep2.pk, "percent_1": "30"},
    )
    assert page.status_code == 422
    text = page.content.decode()
    assert whole in text
    assert "90" in text  # the total they add up to
    # a share of 0 in the second row, and the same person twice
    page = client.post(
        url,
        {"salesperson_0": rep.pk, "percent_0": "100", "salesperson_2": rep.pk, "percent_2": "0"},
    )
    assert page.status_code == 422
    text = page.content.decode()
    assert 'id="split-error-2"' in text
    assert 'id="split-error-0"' not in text
    if range_:
        assert range_ in text
        assert twice in text
    else:  # the same problems, in Chinese
        assert "Enter a share" not in text
        assert "Each salesperson" not in text
    # a share without a salesperson
    page = client.post(url, {"percent_1": "100"})
    assert page.status_code == 422
    assert 'id="split-error-1"' in page.content.decode()
    assert _splits(shop, order) == before


def test_a_rep_may_not_share_the_credit(client, shop, order):
    client.force_login(shop["people"]["rep"])
    assert client.get(f"/orders/{order.pk}/credit-split/").status_code == 403
    assert 'id="edit-credit-split"' not in client.get(f"/orders/{order.pk}/").content.decode()
    response = client.post(
        f"/orders/{order.pk}/credit-split/",
        {"salesperson_0": shop["people"]["rep"].pk, "percent_0": "100"},
    )
    assert response.status_code == 403
    assert _splits(shop, order) == {}
