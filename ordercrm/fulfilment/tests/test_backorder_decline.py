"""Declining a backorder: what stays open on a line (or every line) is closed with a reason,
its reservation released, the order flagged and audited; the order then completes; lowering
the line later opens no new shipment. Refusals change nothing."""

import pytest

from ordercrm.core.exceptions import PermissionDenied, ValidationFailed
from ordercrm.core.models import AuditEntry, Event
from ordercrm.fulfilment import services
from ordercrm.fulfilment.exceptions import NothingToDecline, NothingToShip, NotShippable
from ordercrm.inventory.models import StockLevel
from ordercrm.sales import services as sales
from ordercrm.sales.exceptions import OrderOnHold, ReasonRequired
from ordercrm.sales.models import SalesOrder, SalesOrderLine


def lines_of(order):
    return list(
        SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order)
        .order_by("position")
    )


def order_of(order):
    return SalesOrder.objects.for_company(order.company_id).get(pk=order.pk)


@pytest.fixture
def partly_shipped(company, rep, customer, products, stock, keeper):
    """10 × P0 (6 in stock: 4 backordered) and 3 × P1; 6 × P0 and 3 × P1 shipped."""
    stock(products[0], 6)
    stock(products[1], 20)
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": products[0], "quantity": 10}, {"product": products[1], "quantity": 3}],
    )
    order = sales.order_submit(order=order, actor=rep)
    services.shipment_create(order=order, actor=keeper, dispatch=True)
    return order_of(order)


def snapshot(order):
    fresh = order_of(order)
    return (
        fresh.version,
        fresh.backorder_declined,
        [(x.qty_closed, x.qty_reserved) for x in lines_of(order)],
        AuditEntry.objects.for_company(order.company_id).count(),
    )


def test_declining_closes_the_rest_and_flags_the_order(company, manager, partly_shipped):
    first, _second = lines_of(partly_shipped)
    assert (first.qty_shipped, first.open_quantity) == (6, 4)
    closed = services.backorder_decline(
        order=partly_shipped, actor=manager, reason="customer takes what arrived"
    )
    assert closed == {str(first.pk): "4"}
    first, _second = lines_of(partly_shipped)
    assert (first.qty_closed, first.open_quantity, first.qty_reserved) == (4, 0, 0)
    order = order_of(partly_shipped)
    assert order.backorder_declined
    entry = AuditEntry.objects.for_company(company).filter(action="decline_backorder").get()
    assert entry.changes["reason"] == [None, "customer takes what arrived"]
    assert Event.objects.for_company(company).filter(type="order.backorder_declined").count() == 1


def test_a_reserved_rest_is_released(company, rep, customer, products, stock, keeper, manager):
    stock(products[0], 10)
    order = sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": products[0], "quantity": 10}],
        ),
        actor=rep,
    )
    (line,) = lines_of(order)
    services.shipment_create(
        order=order,
        actor=keeper,
        lines=[{"order_line_id": str(line.pk), "quantity": "7"}],
        dispatch=True,
    )
    services.backorder_decline(order=order, actor=manager, reason="enough")
    level = StockLevel.objects.for_company(company).get(product=products[0])
    assert (level.on_hand, level.reserved) == (3, 0)
    (line,) = lines_of(order)
    assert (line.qty_closed, line.qty_reserved) == (3, 0)


def test_only_the_named_lines_and_not_what_a_draft_plans(
    company, rep, customer, products, stock, keeper, manager
):
    stock(products[0], 20)
    stock(products[1], 20)
    order = sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[
                {"product": products[0], "quantity": 10},
                {"product": products[1], "quantity": 5},
            ],
        ),
        actor=rep,
    )
    first, second = lines_of(order)
    services.shipment_create(
        order=order, actor=keeper, lines=[{"order_line_id": str(first.pk), "quantity": "4"}]
    )
    closed = services.backorder_decline(
        order=order, actor=manager, reason="stop", line_ids=[str(first.pk)]
    )
    assert closed == {str(first.pk): "6"}
    first, second = lines_of(order)
    assert (first.qty_closed, first.qty_reserved, first.open_quantity) == (6, 4, 4)
    assert (second.qty_closed, second.qty_reserved) == (0, 5)


def test_lowering_the_line_later_opens_nothing(company, manager, keeper, partly_shipped):
    services.backorder_decline(order=partly_shipped, actor=manager, reason="enough")
    order = order_of(partly_shipped)
    first, _second = lines_of(order)
    sales.order_amend(
        order=order,
        actor=manager,
        version=order.version,
        lines=[{"line_id": str(first.pk), "quantity": "8"}],
        reason="agreed",
    )
    first, _second = lines_of(order)
    assert (first.quantity, first.qty_closed, first.open_quantity) == (8, 2, 0)
    with pytest.raises(NothingToShip):
        services.shipment_create(order=order_of(order), actor=keeper)


@pytest.mark.parametrize(
    ("prepare", "error", "code"),
    [
        ("no_reason", ReasonRequired, "sales.reason_required"),
        ("unknown_line", ValidationFailed, "core.validation_failed"),
        ("nothing_open", NothingToDecline, "fulfilment.nothing_to_decline"),
        ("on_hold", OrderOnHold, "sales.order_on_hold"),
        ("closed", NotShippable, "fulfilment.not_shippable"),
        ("rep", PermissionDenied, "core.permission_denied"),
    ],
)
def test_refusals_change_nothing(partly_shipped, manager, rep, prepare, error, code):
    order, actor, options = partly_shipped, manager, {"reason": "x"}
    if prepare == "no_reason":
        options["reason"] = "  "
    elif prepare == "unknown_line":
        options["line_ids"] = ["0192f3a4-5b6c-7d8e-9f00-112233445566"]
    elif prepare == "nothing_open":
        options["line_ids"] = [str(lines_of(order)[1].pk)]
    elif prepare == "on_hold":
        order = sales.order_hold(order=order, actor=manager, reason="wait")
    elif prepare == "closed":
        order = sales.order_close(order=order, actor=manager)
    elif prepare == "rep":
        actor = rep
    before = snapshot(order)
    with pytest.raises(error) as refused:
        services.backorder_decline(order=order, actor=actor, **options)
    assert refused.value.code == code
    assert snapshot(order) == before


def test_declining_the_backorder_at_dispatch(company, rep, customer, products, stock, keeper):
    """A "no backorder" dispatch: when the goods leave: what stays open on the shipped lines is closed
    and its reservation released; a line not on the shipment keeps its backorder."""
    stock(products[0], 6)
    stock(products[1], 20)
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": products[0], "quantity": 10}, {"product": products[1], "quantity": 3}],
    )
    order = sales.order_submit(order=order, actor=rep)
    first, second = lines_of(order)
    draft = services.shipment_create(
        order=order, actor=keeper, lines=[{"order_line_id": str(first.pk), "quantity": 6}]
    )
    services.shipment_dispatch(shipment=draft, actor=keeper, decline_backorder=True)
    first, second = lines_of(order)
    assert (first.qty_shipped, first.qty_closed, first.qty_reserved) == (6, 4, 0)
    assert first.open_quantity == 0
    assert (second.qty_shipped, second.qty_closed, second.open_quantity) == (0, 0, 3)
    assert order_of(order).backorder_declined is True
    level = StockLevel.objects.for_company(company).get(product=products[0])
    assert (level.on_hand, level.reserved) == (0, 0)
