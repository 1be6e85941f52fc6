"""Issue #17, "Pricing and the quotation": order date and back-dating, the order discount,
discount/rebate lines, zero-quantity lines, quotation validity and expiry, free stock at quoting."""

import datetime
from decimal import Decimal

import pytest

from ordercrm.core.dates import company_today
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.models import AuditEntry, Event
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.sales import selectors, services, workflow
from ordercrm.sales.exceptions import BackdateNotAllowed, NegativeTotal, OrderDateOtherYear
from ordercrm.sales.models import SalesOrder, SalesOrderLine
from ordercrm.sales.workflow import Status


def _today(company):
    return company_today(company)


def _orders(company):
    return SalesOrder.objects.for_company(company).count()


# ---------------------------------------------------------------- order date


def test_back_dating_needs_the_right(company, rep, manager, customer, products):
    lines = [{"product": products[0], "quantity": 1}]
    yesterday = _today(company) - datetime.timedelta(days=1)
    with pytest.raises(BackdateNotAllowed) as raised:
        services.order_create(
            company=company, actor=rep, customer=customer, lines=lines, order_date=yesterday
        )
    assert raised.value.code == "sales.backdate_not_allowed"
    assert "order_date" in raised.value.details["fields"]
    assert _orders(company) == 0
    order = services.order_create(
        company=company, actor=manager, customer=customer, lines=lines, order_date=yesterday
    )
    assert order.order_date == yesterday


def test_the_number_takes_the_year_of_the_order_date(company, manager, customer, products):
    last_year = datetime.date(_today(company).year - 1, 12, 31)
    order = services.order_create(
        company=company,
        actor=manager,
        customer=customer,
        lines=[{"product": products[0], "quantity": 1}],
        order_date=last_year.isoformat(),  # the web and CLI give text; the service reads it
    )
    assert order.number == f"SO-{last_year.year}-000001"
    this_year = services.order_create(
        company=company, actor=manager, customer=customer, lines=[{"product": products[0]}]
    )
    assert this_year.number == f"SO-{_today(company).year}-000001"


def test_the_company_time_zone_decides_today(company, rep, customer, products):
    company.timezone = "Pacific/Kiritimati"  # UTC+14: its today is tomorrow for most
    company.save()
    order = services.order_create(
        company=company, actor=rep, customer=customer, lines=[{"product": products[0]}]
    )
    assert order.order_date == company_today(company)


def test_a_draft_keeps_its_date_in_the_numbers_year(company, manager, rep, make_order):
    order = make_order()
    other_year = datetime.date(order.order_date.year + 1, 1, 2)
    with pytest.raises(OrderDateOtherYear) as raised:
        services.order_update(
            order=order, actor=manager, version=order.version, order_date=other_year
        )
    assert raised.value.code == "sales.order_date_other_year"
    fresh = SalesOrder.objects.for_company(company).get(pk=order.pk)
    assert (fresh.order_date, fresh.version) == (order.order_date, order.version)
    # a later date in the same year is anyone's; the prices and validity follow it
    later = order.order_date + datetime.timedelta(days=1)
    if later.year == order.order_date.year:
        moved = services.order_update(
            order=order, actor=rep, version=order.version, order_date=later
        )
        assert moved.order_date == later
        assert moved.valid_until == later + datetime.timedelta(days=30)


def test_a_bad_date_is_an_error_on_its_field(company, rep, customer, products):
    with pytest.raises(ValidationFailed) as raised:
        services.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": products[0]}],
            order_date="2026-02-30",
            valid_until="soon",
        )
    assert set(raised.value.details["fields"]) == {"order_date", "valid_until"}
    assert _orders(company) == 0


# ---------------------------------------------------------------- order discount


def test_the_order_discount_comes_off_before_tax(company, rep, customer, products):
    # P0 10.00 × 3 = 30.00, P1 11.00 × 1 = 11.00 → 41.00; 10 % off → 36.90; 13 % tax
    order = services.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": products[0], "quantity": 3}, {"product": products[1], "quantity": 1}],
        discount_percent="10",
    )
    assert order.discount_percent == Decimal("10")
    assert order.net_total == Decimal("36.90")
    assert order.tax_total == Decimal("4.80")  # 2.70 × 13 % = 0.351 → 0.35; 9.90 → 1.29 …
    lines = selectors.order_lines(order)
    assert sum(line.net for line in lines) == order.net_total
    assert sum(line.tax for line in lines) == order.tax_total
    discount = selectors.order_discount_of(order, lines)
    assert (discount.before, discount.amount) == (Decimal("41.00"), Decimal("4.10"))
    assert discount.before - discount.amount == order.net_total


def test_an_order_discount_outside_0_100_changes_nothing(make_order, rep, company):
    order = make_order()
    with pytest.raises(ValidationFailed) as raised:
        services.order_update(order=order, actor=rep, version=order.version, discount_percent="101")
    assert "discount_percent" in raised.value.details["fields"]
    assert SalesOrder.objects.for_company(company).get(pk=order.pk).discount_percent == 0


def test_the_margin_counts_the_order_discount_once(company, rep, customer, make_product):
    from ordercrm.sales import approvals

    product = make_product(company, list_price=Decimal("100.00"), cost=Decimal("50.00"))
    order = services.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": product, "quantity": 1}],
        discount_percent="20",
    )
    # net 80.00, cost 50.00 → 37.5 %, not the 21.875 % of a discount taken twice
    assert approvals.margin_percent(order, selectors.order_lines(order)) == Decimal("37.50")


# ---------------------------------------------------------------- discount and rebate lines


@pytest.fixture
def rebate(company, make_product):
    return make_product(
        company, sku="REBATE", name="Rebate", list_price=Decimal("0"), is_stock_tracked=False
    )


def test_a_negative_price_line_is_counted(company, rep, customer, products, rebate):
    order = services.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[
            {"product": products[0], "quantity": 10},  # 100.00
            {"product": rebate, "quantity": 1, "unit_price": "-15.00"},
        ],
    )
    lines = selectors.order_lines(order)
    assert lines[1].net == Decimal("-15.00")
    assert order.net_total == Decimal("85.00")
    assert order.tax_total == sum(line.tax for line in lines)
    assert order.gross_total == order.net_total + order.tax_total


def test_a_negative_price_on_goods_is_refused(company, rep, customer, products):
    with pytest.raises(ValidationFailed) as raised:
        services.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": products[0], "quantity": 1, "unit_price": "-1"}],
        )
    assert "unit_price" in raised.value.details["lines"]["0"]
    assert _orders(company) == 0


def test_rebates_may_not_take_the_total_below_zero(company, rep, make_order, products, rebate):
    order = make_order()
    with pytest.raises(NegativeTotal) as raised:
        services.order_update(
            order=order,
            actor=rep,
            version=order.version,
            lines=[
                {"product": products[0], "quantity": 1},
                {"product": rebate, "quantity": 1, "unit_price": "-50"},
            ],
        )
    assert raised.value.code == "sales.negative_total"
    assert SalesOrderLine.objects.for_company(company).filter(order=order).count() == 2


def test_zero_quantity_lines_follow_the_company_setting(company, rep, customer, products):
    lines = [{"product": products[0], "quantity": 1}, {"product": products[1], "quantity": 0}]
    assert services.order_create(company=company, actor=rep, customer=customer, lines=lines)
    company.allow_zero_quantity_lines = False
    company.save()
    before = _orders(company)
    with pytest.raises(ValidationFailed) as raised:
        services.order_create(company=company, actor=rep, customer=customer, lines=lines)
    assert list(raised.value.details["lines"]) == ["1"]
    assert _orders(company) == before


# ---------------------------------------------------------------- validity and expiry


def test_validity_defaults_from_the_company_and_zero_means_none(company, rep, make_order):
    order = make_order()
    assert order.valid_until == order.order_date + datetime.timedelta(days=30)
    given = make_order(valid_until=order.order_date + datetime.timedelta(days=3))
    assert given.valid_until == order.order_date + datetime.timedelta(days=3)
    company.quotation_validity_days = 0
    company.save()
    assert make_order().valid_until is None


def _overdue(order, company, days=1):
    past = _today(company) - datetime.timedelta(days=days)
    SalesOrder.objects.for_company(company).filter(pk=order.pk).update(valid_until=past)


def test_the_daily_run_expires_overdue_quotations_only(company, order_in, make_order):
    draft, pending, rejected = (
        order_in(Status.DRAFT),
        order_in(Status.PENDING_APPROVAL),
        order_in(Status.REJECTED),
    )
    confirmed, fresh = order_in(Status.CONFIRMED), make_order()
    for order in (draft, pending, rejected, confirmed):
        _overdue(order, company)
    assert services.quotations_expire(company=company) == 3
    rows = {o.pk: o for o in SalesOrder.objects.for_company(company)}
    for order in (draft, pending, rejected):
        assert (rows[order.pk].status, rows[order.pk].status_reason) == (
            Status.CANCELLED,
            "expired",
        )
    assert rows[confirmed.pk].status == Status.CONFIRMED
    assert rows[fresh.pk].status == Status.DRAFT
    event = Event.objects.for_company(company).filter(type=workflow.OrderEvent.EXPIRED).first()
    assert event.payload["reason"] == "expired"
    assert event.payload["notify_customer"] is False
    assert AuditEntry.objects.for_company(company).filter(action="expire").count() == 3
    # a second run has nothing left to do
    assert services.quotations_expire(company=company) == 0


def test_a_quotation_valid_today_is_not_expired(company, make_order):
    order = make_order()
    SalesOrder.objects.for_company(company).filter(pk=order.pk).update(valid_until=_today(company))
    assert services.quotations_expire(company=company) == 0
    assert not services.order_expire(order=order)


def test_the_quotation_pdf_states_its_validity_and_order_discount(company, make_order):
    from ordercrm.sales.documents import render_order_pdf
    from tests.pdf import pdf_text

    order = make_order(discount_percent=Decimal("10"))
    assert order.valid_until is not None
    for language, valid, discount in (
        ("en", "Valid until", "Order discount (10"),
        ("zh-hans", "有效期至", "整单折扣（10"),
    ):
        text = pdf_text(render_order_pdf(order, language))
        assert valid in text
        assert discount in text


def test_the_daily_command_and_task_expire_overdue_quotations(company, make_order):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from ordercrm.sales.tasks import expire_quotations

    first, second, fresh = make_order(), make_order(), make_order()
    _overdue(first, company)
    with pytest.raises(CommandError):
        call_command("expire_quotations", "--company", "NO-SUCH", stdout=StringIO())
    assert SalesOrder.objects.for_company(company).get(pk=first.pk).status == Status.DRAFT
    out = StringIO()
    call_command("expire_quotations", "--company", company.code, stdout=out)
    assert out.getvalue().strip() == "1 quotation(s) expired"
    _overdue(second, company)
    assert expire_quotations.call() == 1
    statuses = dict(SalesOrder.objects.for_company(company).values_list("pk", "status"))
    assert (statuses[first.pk], statuses[second.pk]) == (Status.CANCELLED, Status.CANCELLED)
    assert statuses[fresh.pk] == Status.DRAFT


# ---------------------------------------------------------------- free stock at quoting


@pytest.fixture
def stocked(company, admin, products):
    inventory.stock_receive(
        company=company,
        actor=admin,
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": products[0], "quantity": 5}, {"product": products[1], "quantity": 50}],
    )


def test_each_line_shows_free_stock_and_the_order_warns(company, rep, customer, products, stocked):
    order = services.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": products[0], "quantity": 3}, {"product": products[0], "quantity": 4}],
    )
    detail = selectors.order_detail(order)
    free = [(line.stock.free, line.stock.short) for line in detail.lines]
    # the second line of the same product gets what the first left
    assert free == [(Decimal("5"), Decimal("0")), (Decimal("2"), Decimal("2"))]
    assert detail.warnings == [
        {
            "code": "sales.stock_short",
            "lines": [{"position": 2, "sku": "P0", "wanted": "4", "free": "2"}],
        }
    ]


def test_other_quotations_count_when_the_company_says_so(company, rep, customer, products, stocked):
    def make():
        return services.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": products[0], "quantity": 3}],
        )

    make()
    second = make()
    assert selectors.order_detail(second).lines[0].stock.free == Decimal("5")
    company.availability_counts_quotations = True
    company.save()
    second.company = company
    line = selectors.order_detail(second).lines[0]
    assert (line.stock.free, line.stock.short) == (Decimal("2"), Decimal("1"))


def test_free_stock_costs_the_same_for_10_and_100_lines(
    company, rep, customer, products, stocked, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (10, 100):
        order = services.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": products[i % 3], "quantity": 1} for i in range(n)],
        )
        lines = selectors.order_lines(order)
        with CaptureQueriesContext(connection) as queries:
            selectors.with_stock(order, lines)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 5


# ---------------------------------------------------------------- customer change, tax mapping


@pytest.fixture
def export_mapping(company, admin):
    from ordercrm.catalog import services as catalog
    from ordercrm.catalog.models import TaxRate

    rates = {r.rate: r for r in TaxRate.objects.for_company(company)}
    return catalog.tax_mapping_create(
        company=company, actor=admin, name="Export", rules=[(rates[Decimal("13")], rates[0])]
    )


@pytest.fixture
def exporter(company, rep, make_customer, export_mapping):
    from ordercrm.customers import services as customers

    buyer = make_customer(company, actor=rep, name="Hamburg Import GmbH")
    return customers.customer_update(customer=buyer, actor=None, tax_mapping=export_mapping)


def test_changing_the_customer_reprices_and_retaxes_the_draft(company, rep, make_order, exporter):
    order = make_order()  # P0 × 1, P1 × 2 at 13 %
    assert order.tax_total == Decimal("4.16")
    changed = services.order_update(
        order=order, actor=rep, version=order.version, customer=exporter
    )
    lines = selectors.order_lines(changed)
    assert changed.customer_id == exporter.pk
    assert [line.tax_percent for line in lines] == [Decimal("0"), Decimal("0")]
    assert (changed.net_total, changed.tax_total) == (Decimal("32.00"), Decimal("0.00"))
    assert changed.billing_address == {}  # the new customer has none; the old one's is gone
    entry = AuditEntry.objects.for_company(company).filter(action="update").latest("created_at")
    assert entry.changes["customer"] == [str(order.customer_id), str(exporter.pk)]


def test_tax_inclusive_prices_keep_their_net_when_mapped(
    company, rep, customer, exporter, products
):
    company.prices_include_tax = True
    company.save()
    home = services.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": products[0], "quantity": 1}],
    )
    export = services.order_create(
        company=company,
        actor=rep,
        customer=exporter,
        lines=[{"product": products[0], "quantity": 1}],
    )
    # 10.00 includes 13 %: net 8.85; zero-rated the price becomes 8.8496 so the net stays 8.85
    assert (home.net_total, home.tax_total) == (Decimal("8.85"), Decimal("1.15"))
    line = selectors.order_lines(export)[0]
    assert (line.unit_price, line.price_overridden) == (Decimal("8.8496"), False)
    assert (export.net_total, export.tax_total) == (Decimal("8.85"), Decimal("0.00"))


def test_an_inactive_customer_cannot_take_over_a_draft(
    company, rep, manager, make_order, make_customer
):
    from ordercrm.customers import services as customers

    order = make_order()
    gone = make_customer(company, actor=rep, name="Gone Ltd")
    customers.customer_deactivate(
        customer=gone, actor=manager, reason="closed", version=gone.version
    )
    from ordercrm.customers.selectors import CustomerInactive

    with pytest.raises(CustomerInactive) as raised:
        services.order_update(order=order, actor=rep, version=order.version, customer=gone)
    assert raised.value.code == "customers.inactive"
    # the refusal says why, in the words given when it was deactivated
    assert raised.value.details["reason"] == "closed"
    assert "(closed)" in str(raised.value)
    assert SalesOrder.objects.for_company(company).get(pk=order.pk).customer_id == order.customer_id


def test_a_mapping_refuses_a_rate_mapped_twice_or_onto_itself(company, admin):
    from ordercrm.catalog import services as catalog
    from ordercrm.catalog.models import TaxMapping, TaxRate

    rates = list(TaxRate.objects.for_company(company).order_by("-rate"))
    with pytest.raises(ValidationFailed) as raised:
        catalog.tax_mapping_create(
            company=company,
            actor=admin,
            name="Bad",
            rules=[(rates[0], rates[0]), (rates[1], rates[2]), (rates[1], rates[3])],
        )
    assert len(raised.value.details["fields"]["rules"]) == 2
    assert not TaxMapping.objects.for_company(company).exists()


def test_a_date_years_away_is_a_typo_not_an_order_date(company, manager, customer, products):
    with pytest.raises(ValidationFailed) as raised:
        services.order_create(
            company=company,
            actor=manager,
            customer=customer,
            lines=[{"product": products[0]}],
            order_date="9999-12-31",
        )
    assert "order_date" in raised.value.details["fields"]
    assert _orders(company) == 0


def test_a_discount_set_alone_rewrites_the_lines_amounts(company, rep, make_order):
    order = make_order()  # 10.00 × 1 + 11.00 × 2 = 32.00
    services.order_update(order=order, actor=rep, version=order.version, discount_percent="5")
    lines = selectors.order_lines(order)
    fresh = SalesOrder.objects.for_company(company).get(pk=order.pk)
    assert [line.net for line in lines] == [Decimal("9.50"), Decimal("20.90")]
    assert sum(line.net for line in lines) == fresh.net_total == Decimal("30.40")
