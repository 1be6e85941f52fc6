from decimal import Decimal

import pytest

from ordercrm.core.exceptions import ValidationFailed
from ordercrm.sales import counters, selectors, services
from ordercrm.sales.exceptions import AmendBelowProgress, NotEditable, StaleVersion
from ordercrm.sales.models import OrderRevision, SalesOrder, SalesOrderLine
from ordercrm.sales.workflow import Status


def test_create_snapshots_the_customer_and_prices_from_the_list(make_order, customer, rep):
    order = make_order(customer_reference="PO-1")
    assert order.number.startswith("SO-")
    assert order.number.endswith("000001")
    assert order.billing_address["city"] == "Shanghai"
    assert order.shipping_address["city"] == "Ningbo"
    assert order.contact.name == "Li Lei"
    assert (order.salesperson, order.currency) == (rep, "CNY")
    lines = selectors.order_lines(order)
    assert [(line.unit_price, line.price_overridden) for line in lines] == [
        (Decimal("10.0000"), False),
        (Decimal("11.0000"), False),
    ]
    assert order.net_total == Decimal("32.00")
    assert order.gross_total == order.net_total + order.tax_total
    again = make_order(customer_reference="PO-1")
    assert again.warnings[0]["code"] == "sales.customer_reference_used"


def test_a_stale_save_is_rejected_and_changes_nothing(make_order, rep, manager, company):
    order = make_order()
    loaded_by_a = order.version
    services.order_submit(order=order, actor=manager)  # B confirms
    with pytest.raises(StaleVersion) as raised:
        services.order_update(order=order, actor=rep, version=loaded_by_a, notes="A's edit")
    assert raised.value.code == "sales.stale_version"
    assert raised.value.details["current_version"] > loaded_by_a
    fresh = SalesOrder.objects.for_company(company).get(pk=order.pk)
    assert (fresh.status, fresh.notes) == (Status.CONFIRMED, "")
    with pytest.raises(NotEditable):
        services.order_update(order=order, actor=rep, version=fresh.version, notes="x")


def test_bad_lines_report_per_line_and_add_nothing(make_order, rep, products, company):
    order = make_order()
    with pytest.raises(ValidationFailed) as raised:
        services.order_update(
            order=order,
            actor=rep,
            version=order.version,
            lines=[
                {"product": products[0], "quantity": "abc"},
                {"sku": "NOPE", "quantity": "1"},
                {"product": products[1], "quantity": "1.5"},
                {"product": products[1], "quantity": "1", "discount_percent": "120"},
            ],
        )
    assert set(raised.value.details["lines"]) == {"0", "1", "2", "3"}
    assert SalesOrderLine.objects.for_company(company).filter(order=order).count() == 2


def test_price_override_is_recorded(make_order, rep, products):
    order = make_order()
    order = services.order_update(
        order=order,
        actor=rep,
        version=order.version,
        lines=[{"product": products[0], "quantity": 3, "unit_price": "9.50"}],
    )
    line = selectors.order_lines(order)[0]
    assert (line.unit_price, line.list_unit_price, line.price_overridden) == (
        Decimal("9.50"),
        Decimal("10.0000"),
        True,
    )


def test_amendment_makes_a_revision_with_a_diff_and_respects_progress(
    order_in, manager, products, company
):
    order = order_in(Status.CONFIRMED)
    first, second = selectors.order_lines(order)
    SalesOrderLine.objects.for_company(company).filter(pk=first.pk).update(qty_shipped=1)
    with pytest.raises(AmendBelowProgress):
        services.order_amend(
            order=order,
            actor=manager,
            version=order.version,
            lines=[{"line_id": first.pk, "quantity": "0"}],
        )
    amended = services.order_amend(
        order=order,
        actor=manager,
        version=order.version,
        reason="customer call",
        lines=[
            {"line_id": first.pk, "quantity": "5"},
            {"line_id": second.pk, "remove": True},
            {"product": products[2], "quantity": "4"},
        ],
    )
    assert (amended.status, amended.revision) == (Status.CONFIRMED, 1)
    revisions = list(
        OrderRevision.objects.for_company(company).filter(order=order).order_by("revision")
    )
    assert [r.revision for r in revisions] == [0, 1]
    diff = revisions[1].diff["lines"]
    assert diff["changed"][str(first.pk)]["quantity"] == ["1.0000", "5"]
    assert len(diff["removed"]) == 1
    assert len(diff["added"]) == 1
    assert len(revisions[0].snapshot["lines"]) == 2
    assert amended.gross_total == sum(line.gross for line in selectors.order_lines(amended))


def test_amendment_that_crosses_the_threshold_needs_approval_again(order_in, manager, company):
    order = order_in(Status.CONFIRMED)
    company.approval_threshold = Decimal("1000")
    company.save()
    line = selectors.order_lines(order)[0]
    amended = services.order_amend(
        order=order,
        actor=manager,
        version=order.version,
        lines=[{"line_id": line.pk, "quantity": "500"}],
    )
    assert amended.status == Status.PENDING_APPROVAL


def test_duplicate_and_reorder_copy_lines_but_not_status_numbers_or_counters(
    order_in, rep, company, products
):
    from ordercrm.catalog.models import PriceList
    from ordercrm.catalog.services import price_list_create, price_list_set_price

    order = order_in(Status.CONFIRMED)
    SalesOrderLine.objects.for_company(company).filter(order=order).update(
        qty_shipped=1, qty_invoiced=1
    )
    counters.order_progress_store(order)  # counters written by hand
    copy = services.order_duplicate(order=order, actor=rep)
    assert copy.status == Status.DRAFT
    assert copy.number != order.number
    assert copy.exchange_rate is None
    assert copy.source_order == order
    assert [
        (line.product_id, line.quantity, line.qty_shipped, line.qty_invoiced)
        for line in selectors.order_lines(copy)
    ] == [(line.product_id, line.quantity, 0, 0) for line in selectors.order_lines(order)]
    default = price_list_create(
        company=company, actor=None, name="New", currency="CNY", is_default=True
    )
    price_list_set_price(price_list=default, product=products[0], unit_price="7", actor=None)
    assert PriceList.objects.for_company(company).filter(is_default=True).count() == 1
    reordered = services.order_reorder(order=order, actor=rep)
    assert selectors.order_lines(reordered)[0].unit_price == Decimal("7")


def test_pasted_lines_are_all_or_nothing(make_order, rep, company):
    order = make_order()
    with pytest.raises(ValidationFailed) as raised:
        services.order_paste_lines(
            order=order, actor=rep, version=order.version, text="sku,qty\nP0,2\nP1,x\nZZZ,1\nP2"
        )
    assert set(raised.value.details["rows"]) == {"3", "5"}
    with pytest.raises(ValidationFailed) as raised:
        services.order_paste_lines(
            order=order, actor=rep, version=order.version, text="P0\t2\nZZZ\t1"
        )
    assert "2" in raised.value.details["rows"]
    assert SalesOrderLine.objects.for_company(company).filter(order=order).count() == 2
    order = services.order_paste_lines(
        order=order, actor=rep, version=order.version, text="P0\t2\nP2\t1\t3.30"
    )
    lines = selectors.order_lines(order)
    assert [(line.product.sku, line.quantity, line.unit_price) for line in lines[2:]] == [
        ("P0", 2, Decimal("10.0000")),
        ("P2", 1, Decimal("3.30")),
    ]
    assert order.gross_total == sum(line.gross for line in lines)


def test_templates_make_orders_at_the_customers_prices(company, rep, customer, products):
    template = services.template_create(
        company=company,
        actor=rep,
        name="Starter kit",
        lines=[{"product": products[0], "quantity": 5}, {"kind": "note", "description": "fragile"}],
    )
    order = services.order_create_from_template(template=template, actor=rep, customer=customer)
    assert [(line.kind, line.quantity) for line in selectors.order_lines(order)] == [
        ("product", 5),
        ("note", 0),
    ]


def test_timeline_merges_audit_events_and_comments(make_order, rep, company, access_of):
    order = make_order()
    services.order_comment_add(order=order, actor=rep, text="call back Monday")
    services.order_submit(order=order, actor=rep)
    timeline = selectors.order_timeline(access_of(rep, company), order.pk)
    titles = [(item.kind, item.title) for item in timeline]
    assert titles[:2] == [("audit", "create"), ("event", "order.created")]
    assert ("comment", "comment") in titles
    assert ("event", "order.confirmed") in titles
    assert [item.at for item in timeline] == sorted(item.at for item in timeline)


def test_progress_axes_count_lines_not_mixed_units(order_in, company):
    from ordercrm.sales.selectors import order_progress

    order = order_in(Status.CONFIRMED)
    first, _second = selectors.order_lines(order)
    SalesOrderLine.objects.for_company(company).filter(pk=first.pk).update(
        quantity=250000, qty_shipped=250000
    )
    counters.order_progress_store(order)  # counters written by hand
    progress = order_progress(order, selectors.order_lines(order))
    assert progress.fulfilment == "partially_shipped"
    assert progress.label == "partially_shipped · not_invoiced · unpaid"
