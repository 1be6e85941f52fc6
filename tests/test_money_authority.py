"""Authority over money (issue #21, item 4): exchange rates come from the company rate table,
credit limits and payment terms are finance's, and new companies get approval rules for
prices below list, big discounts and big orders — none of which any path can skip."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from ordercrm.accounts.roles import Role
from ordercrm.accounts.tokens import token_create
from ordercrm.catalog import selectors as catalog_selectors
from ordercrm.catalog import services as catalog
from ordercrm.catalog.models import ExchangeRate
from ordercrm.core.exceptions import PermissionDenied, ValidationFailed
from ordercrm.core.models import AuditEntry
from ordercrm.customers import services as customers
from ordercrm.customers.models import Customer, PaymentTerm
from ordercrm.sales import services as sales
from ordercrm.sales.exceptions import ExchangeRateMissing, ExchangeRateOverride
from ordercrm.sales.models import ApprovalRule, RuleKind, SalesOrder
from ordercrm.sales.workflow import Status


@pytest.fixture
def finance(make_user, company):
    return make_user(Role.FINANCE, company, username="fin")


@pytest.fixture
def today(company):
    return sales._company_today(company)


@pytest.fixture
def big(company, make_product):
    return make_product(company, sku="BIG", list_price=Decimal("1000.00"))


@pytest.fixture
def usd_customer(company, rep, make_customer, products, big):
    """An export customer priced from the company's USD list (the same figures as CNY)."""
    usd = catalog.price_list_create(
        company=company, actor=None, name="USD", currency="USD", is_default=True
    )
    for product in [*products, big]:
        catalog.price_list_set_price(
            price_list=usd, product=product, unit_price=product.list_price, actor=None
        )
    return make_customer(company, actor=rep, name="Pacific Imports", currency="USD")


@pytest.fixture
def bearer():
    def make(user):
        _token, raw = token_create(user=user, name="test")
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make


@pytest.fixture
def call(client):
    def do(method, path, auth, body=None):
        kwargs = dict(auth)
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(client, method)(f"/api/v1{path}", **kwargs)
        return response.status_code, response.json()

    return do


def fresh(order):
    return SalesOrder.objects.for_company(order.company_id).get(pk=order.pk)


def reasons_of(order):
    return [r["rule"] for r in json.loads(fresh(order).status_reason or "[]")]


def rates(company):
    return list(ExchangeRate.objects.for_company(company).values_list("currency", "date", "rate"))


# ---------------------------------------------------------------- the rate table


def test_finance_keeps_the_rate_table_and_bad_rates_change_nothing(
    company, finance, rep, manager, today
):
    earlier = today - datetime.timedelta(days=10)
    catalog.exchange_rate_set(
        company=company, actor=finance, currency="usd", date=earlier, rate="7.0"
    )
    for actor in (rep, manager):
        with pytest.raises(PermissionDenied):
            catalog.exchange_rate_set(
                company=company, actor=actor, currency="USD", date=today, rate="7.2"
            )
    for currency, date, rate, field in [
        ("USD", today, "0", "rate"),
        ("USD", today, "-7", "rate"),
        ("USD", today, "0.00000001", None),  # the smallest step is a valid rate …
        ("USD", today, "0.000000001", "rate"),  # … but a ninth decimal is not
        ("USD", today, "1e30", "rate"),
        ("USD", today, "NaN", "rate"),
        ("USD", today, "abc", "rate"),
        ("CNY", today, "1", "currency"),  # the company currency is always 1
        ("XYZ", today, "1", "currency"),
        ("USD", "2026-99-99", "7", "date"),
    ]:
        if field is None:
            continue
        with pytest.raises(ValidationFailed) as raised:
            catalog.exchange_rate_set(
                company=company, actor=finance, currency=currency, date=date, rate=rate
            )
        assert field in raised.value.details["fields"]
    assert rates(company) == [("USD", earlier, Decimal("7.0"))]
    # The latest rate dated on or before the day; none before the first.
    assert catalog_selectors.exchange_rate_on(company, "USD", today).rate == Decimal("7")
    assert catalog_selectors.exchange_rate_on(company, "USD", earlier).rate == Decimal("7")
    assert (
        catalog_selectors.exchange_rate_on(company, "USD", earlier - datetime.timedelta(1)) is None
    )
    # Setting a day again replaces its rate, with the old and new rate in the audit.
    row = catalog.exchange_rate_set(
        company=company, actor=finance, currency="USD", date=earlier, rate="7.05"
    )
    assert rates(company) == [("USD", earlier, Decimal("7.05"))]
    entry = AuditEntry.objects.for_company(company).filter(entity_id=str(row.pk)).last()
    assert entry.changes["rate"] == ["7", "7.05"]
    catalog.exchange_rate_delete(rate=row, actor=finance)
    assert rates(company) == []


def test_the_database_refuses_a_rate_out_of_bounds(company, finance, today):
    from django.db import IntegrityError, transaction

    for rate in (Decimal("0"), Decimal("-1"), Decimal("1000001")):
        with pytest.raises(IntegrityError), transaction.atomic():
            ExchangeRate.objects.create(company=company, currency="USD", date=today, rate=rate)
    catalog.exchange_rate_set(company=company, actor=finance, currency="USD", date=today, rate=7)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExchangeRate.objects.create(company=company, currency="USD", date=today, rate=8)


def test_an_order_takes_the_rate_of_its_date_fixed_at_confirmation(
    company, finance, rep, manager, usd_customer, products, today
):
    catalog.exchange_rate_set(
        company=company,
        actor=finance,
        currency="USD",
        date=today - datetime.timedelta(days=10),
        rate="7.0",
    )
    catalog.exchange_rate_set(
        company=company, actor=finance, currency="USD", date=today, rate="7.2"
    )
    lines = [{"product": products[0], "quantity": 2}]
    old = sales.order_create(
        company=company,
        actor=manager,  # back-dating needs order_backdate (managers, administrators)
        customer=usd_customer,
        lines=lines,
        order_date=today - datetime.timedelta(days=5),
    )
    new = sales.order_create(company=company, actor=rep, customer=usd_customer, lines=lines)
    assert sales.order_submit(order=old, actor=rep).exchange_rate == Decimal("7.0")
    confirmed = sales.order_submit(order=new, actor=rep)
    assert (confirmed.status, confirmed.exchange_rate) == (Status.CONFIRMED, Decimal("7.2"))
    assert confirmed.company_gross_total == (confirmed.gross_total * Decimal("7.2")).quantize(
        Decimal("0.01")
    )
    # Finance correcting today's rate later does not move a confirmed order.
    catalog.exchange_rate_set(company=company, actor=finance, currency="USD", date=today, rate="9")
    assert fresh(new).exchange_rate == Decimal("7.2")


def test_a_missing_rate_names_the_currency_the_date_and_who_can_set_it(
    company, rep, usd_customer, products, today
):
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=usd_customer,
        lines=[{"product": products[0], "quantity": 1}],
    )
    with pytest.raises(ExchangeRateMissing) as raised:
        sales.order_submit(order=order, actor=rep)
    assert raised.value.code == "sales.exchange_rate_missing"
    assert raised.value.details == {
        "currency": "USD",
        "base": "CNY",
        "date": today.isoformat(),
        "set_by_roles": ["admin", "finance"],
    }
    assert "USD" in raised.value.text
    assert today.isoformat() in raised.value.text
    assert (fresh(order).status, fresh(order).exchange_rate) == (Status.DRAFT, None)


# ---------------------------------------------------------------- overriding the rate


def test_the_reported_bypass_a_rep_cannot_choose_the_rate_on_any_path(
    company, finance, rep, usd_customer, big, today, bearer, call
):
    """A rep sent ``exchange_rate: "0.00000001"`` and a 56,000 CNY order (approval needed)
    confirmed at once, worth 0.00 in the company currency."""
    catalog.exchange_rate_set(
        company=company, actor=finance, currency="USD", date=today, rate="7.1"
    )
    lines = [{"product": big, "quantity": 7}]
    for attempt in (
        lambda: sales.order_create(
            company=company,
            actor=rep,
            customer=usd_customer,
            lines=lines,
            exchange_rate="0.00000001",
        ),
        lambda: sales.order_preview(
            company=company,
            actor=rep,
            customer=usd_customer,
            lines=lines,
            exchange_rate="0.00000001",
        ),
    ):
        with pytest.raises(ExchangeRateOverride) as raised:
            attempt()
        assert raised.value.code == "sales.exchange_rate_override"
    status, body = call(
        "post",
        "/orders",
        bearer(rep),
        {
            "customer_id": str(usd_customer.pk),
            "exchange_rate": "0.00000001",
            "lines": [{"sku": "BIG", "quantity": "7"}],
        },
    )
    assert (status, body["error"]["code"]) == (403, "sales.exchange_rate_override")
    assert not SalesOrder.objects.for_company(company).exists()
    order = sales.order_create(company=company, actor=rep, customer=usd_customer, lines=lines)
    with pytest.raises(ExchangeRateOverride):
        sales.order_update(
            order=order, actor=rep, version=order.version, exchange_rate="0.00000001"
        )
    status, body = call(
        "patch",
        f"/orders/{order.pk}",
        bearer(rep),
        {"version": order.version, "exchange_rate": "0.00000001"},
    )
    assert (status, body["error"]["code"]) == (403, "sales.exchange_rate_override")
    assert (fresh(order).exchange_rate, fresh(order).version) == (None, order.version)
    # Without a rate of its own the order takes the table's, and its size needs approval.
    status, body = call(
        "post", f"/orders/{order.pk}/submit", bearer(rep), {"version": order.version}
    )
    assert fresh(order).status == Status.PENDING_APPROVAL
    assert fresh(order).exchange_rate == Decimal("7.1")
    assert reasons_of(order) == ["order_total"]


def test_a_hand_set_rate_beyond_the_tolerance_always_needs_finance(
    company, finance, rep, manager, admin, usd_customer, products, today
):
    catalog.exchange_rate_set(
        company=company, actor=finance, currency="USD", date=today, rate="7.0"
    )
    lines = [{"product": products[0], "quantity": 1}]

    def submitted(rate, actor=manager):
        order = sales.order_create(
            company=company, actor=actor, customer=usd_customer, lines=lines, exchange_rate=rate
        )
        return sales.order_submit(order=order, actor=actor)

    # Within the company's 2 % a manager's negotiated rate is kept and confirms.
    within = submitted("7.14")
    assert (within.status, within.exchange_rate, within.exchange_rate_overridden) == (
        Status.CONFIRMED,
        Decimal("7.14"),
        True,
    )
    # Beyond it: an approval reason with the figures, approved by finance.
    beyond = submitted("0.00000001")
    assert beyond.status == Status.PENDING_APPROVAL
    reason = json.loads(fresh(beyond).status_reason)[0]
    assert (reason["rule"], reason["rate"], reason["table_rate"], reason["tolerance"]) == (
        "exchange_rate",
        "0.00000001",
        "7",
        "2",
    )
    with pytest.raises(PermissionDenied):  # a manager is not the finance step
        sales.order_approve(order=beyond, actor=make_other_manager(company, manager))
    approved = sales.order_approve(order=beyond, actor=finance)
    assert (approved.status, approved.exchange_rate) == (Status.CONFIRMED, Decimal("0.00000001"))
    # A rule row of the kind only picks the approvers: switched off, the check still runs.
    rule = sales.approval_rule_create(
        company=company, actor=admin, name="fx", kind=RuleKind.EXCHANGE_RATE
    )
    sales.approval_rule_set_active(rule=rule, actor=admin, active=False)
    company.exchange_rate_tolerance = Decimal("0")
    company.save()
    assert reasons_of(submitted("7.01")) == ["exchange_rate"]


def make_other_manager(company, manager):
    from ordercrm.accounts.services import user_create

    return user_create(
        username="manager2",
        password="correct horse battery",
        company=company,
        role=Role.SALES_MANAGER,
        team=manager.memberships.get().team,
        check_password=False,
    )


def test_amend_and_duplicate_cannot_carry_an_approved_rate_past_review(
    company, finance, manager, usd_customer, products, today
):
    catalog.exchange_rate_set(
        company=company, actor=finance, currency="USD", date=today, rate="7.0"
    )
    order = sales.order_create(
        company=company,
        actor=manager,
        customer=usd_customer,
        lines=[{"product": products[0], "quantity": 1}],
        exchange_rate="6",
    )
    order = sales.order_submit(order=order, actor=manager)
    order = sales.order_approve(order=order, actor=finance)
    assert order.status == Status.CONFIRMED
    line = order.lines.get()
    amended = sales.order_amend(
        order=order,
        actor=manager,
        version=order.version,
        lines=[{"line_id": line.pk, "quantity": 2}],
    )
    assert amended.status == Status.PENDING_APPROVAL
    assert reasons_of(amended) == ["exchange_rate"]
    copy = sales.order_duplicate(order=order, actor=manager)
    assert (copy.exchange_rate, copy.exchange_rate_overridden) == (None, False)
    assert sales.order_submit(order=copy, actor=manager).exchange_rate == Decimal("7.0")


def test_a_table_change_while_waiting_reruns_the_rules(
    company, finance, rep, usd_customer, big, today
):
    catalog.exchange_rate_set(
        company=company, actor=finance, currency="USD", date=today, rate="7.1"
    )
    order = sales.order_create(
        company=company, actor=rep, customer=usd_customer, lines=[{"product": big, "quantity": 7}]
    )
    order = sales.order_submit(order=order, actor=rep)
    assert reasons_of(order) == ["order_total"]
    # Finance corrects the day's rate: the approver's click re-evaluates at the new rate.
    catalog.exchange_rate_set(company=company, actor=finance, currency="USD", date=today, rate="1")
    order = sales.order_approve(order=order, actor=finance)
    assert (order.status, order.exchange_rate) == (Status.CONFIRMED, Decimal("1"))
    assert order.company_gross_total < Decimal("50000")


# ---------------------------------------------------------------- default approval rules


DEFAULT_RULES = {
    (RuleKind.BELOW_PRICE_LIST, Decimal("10")),
    (RuleKind.LINE_DISCOUNT, Decimal("15")),
    (RuleKind.ORDER_TOTAL, Decimal("50000")),
}


def test_new_companies_get_the_default_rules(make_company):
    # The demo company gets them too: ordercrm/console/tests/test_commands.py checks it on the
    # one demo the suite builds (a demo build costs tens of seconds).
    fresh_company = make_company()
    assert (
        set(ApprovalRule.objects.for_company(fresh_company).values_list("kind", "threshold"))
        == DEFAULT_RULES
    )
    bare = make_company(default_rules=False)
    assert not ApprovalRule.objects.for_company(bare).exists()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ({"sku": "BIG", "quantity": 1, "unit_price": "0.01"}, "below_price_list"),
        ({"sku": "BIG", "quantity": 1, "unit_price": "899.99"}, "below_price_list"),
        ({"sku": "BIG", "quantity": 1, "discount_percent": "100"}, "line_discount"),
        ({"sku": "BIG", "quantity": 1, "discount_percent": "15.01"}, "line_discount"),
        ({"sku": "BIG", "quantity": 45}, "order_total"),  # 45,000 + 13 % VAT
        ({"sku": "BIG", "quantity": 1, "unit_price": "900"}, None),  # exactly 10 % below
        ({"sku": "BIG", "quantity": 1, "discount_percent": "15"}, None),
    ],
)
def test_default_rules_stop_giveaways_over_services_and_api(
    company, rep, customer, big, bearer, call, line, reason
):
    service_line = {**line, "product": big}
    service_line.pop("sku")
    order = sales.order_create(company=company, actor=rep, customer=customer, lines=[service_line])
    sales.order_submit(order=order, actor=rep)
    status, created = call(
        "post",
        "/orders",
        bearer(rep),
        {"customer_id": str(customer.pk), "lines": [{k: str(v) for k, v in line.items()}]},
    )
    assert status == 201
    status, _body = call(
        "post", f"/orders/{created['id']}/submit", bearer(rep), {"version": created["version"]}
    )
    assert status == 200
    for result in (fresh(order), SalesOrder.objects.for_company(company).get(pk=created["id"])):
        if reason is None:
            assert result.status == Status.CONFIRMED
        else:
            assert result.status == Status.PENDING_APPROVAL
            assert reasons_of(result) == [reason]


def test_default_rules_hold_on_the_web_and_after_approval(
    client, company, rep, manager, customer, big, products
):
    client.force_login(rep)
    client.post(
        reverse("order_new"),
        {
            "customer": str(customer.pk),
            "sku": ["BIG"],
            "quantity": ["1"],
            "discount": ["100"],
            "action": "save",
        },
    )
    order = SalesOrder.objects.for_company(company).get()
    client.post(reverse("order_action", args=[order.pk, "submit"]), {"version": order.version})
    assert fresh(order).status == Status.PENDING_APPROVAL
    assert reasons_of(order) == ["line_discount"]
    approved = sales.order_approve(order=order, actor=manager)
    assert approved.status == Status.CONFIRMED
    # Approved once is not approved for anything: a price cut after approval asks again …
    line = approved.lines.get()
    amended = sales.order_amend(
        order=approved,
        actor=rep,
        version=approved.version,
        lines=[{"line_id": line.pk, "unit_price": "0.01"}],
    )
    assert amended.status == Status.PENDING_APPROVAL
    assert set(reasons_of(amended)) == {"below_price_list", "line_discount"}
    # … and a copy of the approved order is a new order with its own review.
    copy = sales.order_duplicate(order=approved, actor=rep)
    assert sales.order_submit(order=copy, actor=rep).status == Status.PENDING_APPROVAL


# ---------------------------------------------------------------- credit limits and terms


def test_credit_limit_and_payment_terms_are_finance_only(
    company, rep, manager, finance, customer, bearer, call
):
    sixty = PaymentTerm.objects.for_company(company).get(days=60)
    for values, fields in [
        ({"credit_limit": "1000000"}, ["credit_limit"]),
        ({"credit_limit": "0"}, ["credit_limit"]),
        ({"payment_terms": sixty}, ["payment_terms"]),
        ({"credit_limit": "5", "payment_terms": sixty}, ["credit_limit", "payment_terms"]),
    ]:
        for actor in (rep, manager):
            with pytest.raises(customers.CreditTermsFinanceOnly) as raised:
                customers.customer_create(company=company, actor=actor, name="New Co", **values)
            assert sorted(raised.value.details["fields"]) == fields
            with pytest.raises(customers.CreditTermsFinanceOnly):
                customers.customer_update(customer=customer, actor=actor, name="Renamed", **values)
    assert Customer.objects.for_company(company).count() == 1
    customer.refresh_from_db()
    assert (
        customer.name,
        customer.credit_limit,
        customer.payment_terms.days,
        customer.version,
    ) == (
        "Shanghai Mingda",
        None,
        30,
        1,
    )
    # Over the API: the same refusal, nothing created or changed.
    status, body = call(
        "post", "/customers", bearer(rep), {"name": "API Co", "credit_limit": "999999"}
    )
    assert (status, body["error"]["code"]) == (403, "customers.credit_terms_finance_only")
    assert list(body["error"]["details"]["fields"]) == ["credit_limit"]
    status, body = call(
        "patch", f"/customers/{customer.pk}", bearer(rep), {"version": 1, "credit_limit": "999999"}
    )
    assert (status, body["error"]["code"]) == (403, "customers.credit_terms_finance_only")
    assert Customer.objects.for_company(company).count() == 1
    assert Customer.objects.for_company(company).get().credit_limit is None
    # Finance sets them (without being allowed to edit the rest of the customer) …
    status, body = call(
        "patch",
        f"/customers/{customer.pk}",
        bearer(finance),
        {"version": 1, "credit_limit": "80000"},
    )
    assert (status, Decimal(body["credit_limit"])) == (200, Decimal("80000"))
    with pytest.raises(PermissionDenied):
        customers.customer_update(customer=customer, actor=finance, name="Finance rename")
    # … and a rep's edit that sends the current values back is no change to them.
    status, body = call(
        "patch",
        f"/customers/{customer.pk}",
        bearer(rep),
        {"version": 2, "name": "Mingda Shanghai", "credit_limit": "80000.00"},
    )
    assert (status, body["name"], Decimal(body["credit_limit"])) == (
        200,
        "Mingda Shanghai",
        Decimal("80000"),
    )
    made = customers.customer_create(company=company, actor=rep, name="Plain Co")
    assert (made.credit_limit, made.payment_terms.days) == (None, 30)


# ---------------------------------------------------------------- rate table over API and web


def test_rates_over_the_api_are_finance_only(company, finance, rep, bearer, call, today):
    body = {"currency": "USD", "date": today.isoformat(), "rate": "7.1012"}
    status, made = call("post", "/exchange-rates", bearer(finance), body)
    assert status == 201
    assert (made["currency"], made["rate"], made["set_by"]) == ("USD", "7.1012", "fin")
    status, listed = call("get", "/exchange-rates?currency=usd", bearer(finance))
    assert [r["id"] for r in listed["items"]] == [made["id"]]
    for method, path, payload in (
        ("get", "/exchange-rates", None),
        ("post", "/exchange-rates", {**body, "rate": "1"}),
    ):
        status, refused = call(method, path, bearer(rep), payload)
        assert (status, refused["error"]["code"]) == (403, "core.permission_denied")
    status, refused = call("post", "/exchange-rates", bearer(finance), {**body, "rate": "0"})
    assert (status, list(refused["error"]["details"]["fields"])) == (422, ["rate"])
    assert rates(company) == [("USD", today, Decimal("7.1012"))]


def test_rates_on_the_settings_page(client, company, finance, rep, today):
    url = reverse("settings_section", args=["exchange_rates"])
    client.force_login(finance)
    landing = client.get(reverse("settings"))  # finance lands on the one section it may use
    assert (landing.status_code, landing.context["section"]) == (200, "exchange_rates")
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, {"currency": "USD", "date": today.isoformat(), "rate": "7.1"})
    assert response.status_code == 302
    response = client.post(url, {"currency": "CNY", "date": today.isoformat(), "rate": "2"})
    assert response.status_code == 422
    assert "The company currency always has the rate 1." in response.content.decode()
    assert rates(company) == [("USD", today, Decimal("7.1"))]
    page = client.get(url).content.decode()
    assert "7.1" in page
    assert "fin" in page
    row = ExchangeRate.objects.for_company(company).get()
    assert client.post(url, {"delete_rate": str(row.pk)}).status_code == 302
    assert rates(company) == []
    client.force_login(rep)
    assert client.get(url).status_code == 403
    assert (
        client.post(url, {"currency": "USD", "date": today.isoformat(), "rate": "1"}).status_code
        == 403
    )
    assert rates(company) == []


def test_rate_strings_are_translated(company, finance, client):
    from django.utils import translation

    for language, word in (("zh-hans", "汇率"), ("zh-hant", "匯率")):
        with translation.override(language):
            assert word in str(ExchangeRateMissing.message)
            assert word in str(RuleKind.EXCHANGE_RATE.label)
