"""A cancelled order set back to draft and confirmed again (#17, lifecycle): its old shipment
stays cancelled, and the new one follows the order's new data (shipping address, customer)."""

from decimal import Decimal

from ordercrm.accounts.roles import Role
from ordercrm.fulfilment import services as fulfilment
from ordercrm.fulfilment.models import Shipment, ShipmentStatus
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Reservation, Warehouse
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder
from ordercrm.sales.workflow import Status

NEW_ADDRESS = {
    "recipient": "Receiving dock 2",
    "line1": "88 New Harbour Road",
    "city": "Ningbo",
    "region": "浙江省",
    "postal_code": "315000",
    "country": "CN",
}


def test_old_shipments_stay_cancelled_and_new_ones_follow_the_new_data(
    company, rep, manager, customer, make_customer, products, make_user
):
    keeper = make_user(Role.WAREHOUSE, company, username="keeper")
    inventory.stock_receive(
        company=company,
        actor=keeper,
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": products[0], "quantity": 20}],
    )
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": products[0], "quantity": 5}],
    )
    order = sales.order_submit(order=order, actor=rep)
    old = fulfilment.shipment_create(order=order, actor=keeper, lines=None)
    assert old.status == ShipmentStatus.DRAFT
    order = sales.order_cancel(
        order=SalesOrder.objects.for_company(company).get(pk=order.pk), actor=manager, reason="x"
    )
    assert Shipment.objects.for_company(company).get(pk=old.pk).status == ShipmentStatus.CANCELLED
    assert not Reservation.objects.for_company(company).filter(order_id=order.pk).exists()

    draft = sales.order_reset_to_draft(order=order, actor=manager, reason="back on")
    other = make_customer(company, actor=rep, name="Ningbo Harbour Trading")
    draft = sales.order_update(
        order=draft, actor=rep, version=draft.version, customer=other, shipping_address=NEW_ADDRESS
    )
    confirmed = sales.order_submit(order=draft, actor=rep)
    assert confirmed.status == Status.CONFIRMED
    new = fulfilment.shipment_create(order=confirmed, actor=keeper, lines=None)

    assert new.pk != old.pk
    assert Shipment.objects.for_company(company).get(pk=old.pk).status == ShipmentStatus.CANCELLED
    assert new.shipping_address["line1"] == "88 New Harbour Road"
    assert new.shipping_address["city"] == "Ningbo"
    assert SalesOrder.objects.for_company(company).get(pk=order.pk).customer_id == other.pk
    assert sum(line.quantity for line in new.lines.all()) == Decimal(5)
    reserved = Reservation.objects.for_company(company).filter(order_id=order.pk)
    assert sum(r.quantity for r in reserved) == Decimal(5)


def test_a_line_a_cancelled_shipment_names_stays_on_the_order(
    company, rep, manager, customer, products, make_user
):
    import pytest

    from ordercrm.sales.exceptions import LineInUse

    keeper = make_user(Role.WAREHOUSE, company, username="keeper")
    inventory.stock_receive(
        company=company,
        actor=keeper,
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": products[0], "quantity": 20}, {"product": products[1], "quantity": 20}],
    )
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": products[0], "quantity": 2}, {"product": products[1], "quantity": 3}],
    )
    order = sales.order_submit(order=order, actor=rep)
    fulfilment.shipment_create(order=order, actor=keeper, lines=None)
    order = sales.order_cancel(order=order, actor=manager, reason="x")
    draft = sales.order_reset_to_draft(order=order, actor=manager)
    before = list(draft.lines.order_by("position").values_list("pk", "product_id", "quantity"))
    with pytest.raises(LineInUse) as refused:
        sales.order_update(
            order=draft,
            actor=rep,
            version=draft.version,
            lines=[{"product": products[0], "quantity": 4}],
        )
    assert refused.value.code == "sales.line_in_use"
    assert refused.value.details["positions"] == [2]
    after = SalesOrder.objects.for_company(company).get(pk=order.pk)
    assert after.version == draft.version
    assert list(after.lines.order_by("position").values_list("pk", "product_id", "quantity")) == (
        before
    )
    # changing both lines (in place) is fine, and a line added after them is new
    edited = sales.order_update(
        order=after,
        actor=rep,
        version=after.version,
        lines=[
            {"product": products[0], "quantity": 4},
            {"product": products[1], "quantity": 1},
            {"product": products[0], "quantity": 1},
        ],
    )
    rows = list(edited.lines.order_by("position").values_list("pk", "quantity"))
    assert [pk for pk, _q in rows[:2]] == [pk for pk, _p, _q in before]
    assert [q for _pk, q in rows] == [Decimal(4), Decimal(1), Decimal(1)]
