"""Return authorisations through the services: create, approve, receive, settle."""

from decimal import Decimal

import pytest
from django.utils import timezone

from ordercrm.billing.models import Invoice, InvoiceKind
from ordercrm.core.exceptions import DomainError
from ordercrm.core.models import AuditEntry, Event
from ordercrm.customers.models import Customer
from ordercrm.fulfilment import services as fulfilment
from ordercrm.fulfilment.models import ReturnReceipt, Shipment, ShipmentStatus
from ordercrm.inventory import selectors as inventory_selectors
from ordercrm.inventory.models import StockLevel
from ordercrm.returns import selectors, services
from ordercrm.returns.models import ReturnAuthorization, RmaSettlement
from ordercrm.returns.workflow import Status
from ordercrm.sales import selectors as sales_selectors
from ordercrm.sales.models import SalesOrder, SalesOrderLine
from ordercrm.sales.workflow import Status as OrderStatus

D = Decimal


def lines_of(order):
    return list(
        SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order)
        .order_by("position")
    )


def line(order_line, quantity, decision, reason="broken"):
    return {
        "order_line_id": str(order_line.pk),
        "quantity": str(quantity),
        "decision": decision,
        "reason": reason,
    }


def on_hand(company, product, warehouse):
    level = (
        StockLevel.objects.for_company(company).filter(product=product, warehouse=warehouse).first()
    )
    return level.on_hand if level else D(0)


def test_create_numbers_the_rma_and_holds_its_quantities(
    company, access_of, support, shipped_order
):
    order = shipped_order()
    first, second = lines_of(order)
    rma = services.rma_create(
        access_of(support, company),
        order,
        [line(first, 3, "refund"), line(second, 1, "replace")],
        case_id=None,
    )
    assert rma.number == f"RMA-{timezone.now().year}-000001"
    assert rma.status == Status.REQUESTED
    assert selectors.returnable(order) == {first.pk: D(7), second.pk: D(3)}
    assert Event.objects.for_company(company).filter(type="rma.created").count() == 1
    assert AuditEntry.objects.for_company(company).filter(entity_id=str(rma.pk)).count() == 1


def test_more_than_returnable_is_refused_and_nothing_changes(
    company, access_of, support, shipped_order
):
    order = shipped_order()
    first, _second = lines_of(order)
    access = access_of(support, company)
    services.rma_create(access, order, [line(first, 8, "replace")])
    with pytest.raises(DomainError) as caught:
        services.rma_create(access, order, [line(first, 3, "replace")])
    assert caught.value.code == "returns.over_returnable"
    assert caught.value.details["lines"] == {
        "0": {"quantity": ["At most 2 can still be returned."]}
    }
    assert ReturnAuthorization.objects.for_company(company).count() == 1


def test_bad_lines_are_refused_together(company, access_of, support, shipped_order):
    order = shipped_order()
    first, _ = lines_of(order)
    with pytest.raises(DomainError) as caught:
        services.rma_create(
            access_of(support, company),
            order,
            [
                {"order_line_id": "nope", "quantity": "1", "decision": "refund"},
                {"order_line_id": str(first.pk), "quantity": "-1", "decision": "swap"},
            ],
        )
    assert caught.value.code == "core.validation_failed"
    assert set(caught.value.details["lines"]) == {"0", "1"}
    assert set(caught.value.details["lines"]["1"]) == {"quantity", "decision"}
    assert not ReturnAuthorization.objects.for_company(company).exists()


def test_refund_needs_invoiced_units(company, access_of, support, shipped_order):
    order = shipped_order(policy="manual")
    first, _ = lines_of(order)
    with pytest.raises(DomainError) as caught:
        services.rma_create(access_of(support, company), order, [line(first, 1, "refund")])
    assert caught.value.code == "returns.refund_not_invoiced"
    # replacing what was shipped but not invoiced is fine
    services.rma_create(access_of(support, company), order, [line(first, 1, "replace")])


def test_drafts_take_no_returns(company, access_of, support, make_order):
    order = make_order()
    with pytest.raises(DomainError) as caught:
        services.rma_create(access_of(support, company), order, [])
    assert caught.value.code == "returns.order_not_returnable"


def test_the_whole_road_refund_and_replacement(
    company, access_of, support, manager, keeper, finance, shipped_order, main_warehouse, stocked
):
    order = shipped_order()
    first, second = lines_of(order)
    customer_before = Customer.objects.for_company(company).get(pk=order.customer_id)
    rma = services.rma_create(
        access_of(support, company),
        order,
        [line(first, 3, "refund"), line(second, 1, "replace")],
    )
    with pytest.raises(DomainError) as caught:
        services.rma_approve(rma=rma, actor=support)
    assert caught.value.code == "core.permission_denied"
    rma = services.rma_approve(rma=rma, actor=manager, return_instructions="Ship to dock 4.")
    assert rma.status == Status.APPROVED
    assert services.rma_approve(rma=rma, actor=manager).version == rma.version  # no-op

    before = on_hand(company, stocked[0], main_warehouse)
    rma = services.rma_receive(rma=rma, actor=keeper, warehouse=main_warehouse)
    assert rma.status == Status.RECEIVED
    assert on_hand(company, stocked[0], main_warehouse) == before + 3
    assert ReturnReceipt.objects.for_company(company).count() == 1
    first, second = lines_of(order)
    assert (first.qty_returned, second.qty_returned) == (D(3), D(1))

    rma = services.rma_credit(rma=rma, actor=finance)
    note = Invoice.objects.for_company(company).get(kind=InvoiceKind.CREDIT_NOTE)
    assert note.gross_total == (first.gross * 3 / first.quantity).quantize(D("0.01"))
    first, second = lines_of(order)
    assert first.qty_credited == 3
    customer = Customer.objects.for_company(company).get(pk=order.customer_id)
    assert customer.receivable_balance == customer_before.receivable_balance - note.gross_total

    invoices_before = Invoice.objects.for_company(company).filter(kind=InvoiceKind.INVOICE).count()
    rma = services.rma_replace(rma=rma, actor=keeper)
    assert rma.status == Status.CLOSED
    first, second = lines_of(order)
    assert second.qty_replaced == 1
    assert second.qty_reserved == 1
    assert second.open_quantity == 1
    replacement = RmaSettlement.objects.for_company(company).get(kind="shipment").shipment
    assert replacement.status == ShipmentStatus.DRAFT
    fulfilment.shipment_dispatch(shipment=replacement, actor=keeper)
    first, second = lines_of(order)
    assert (second.qty_shipped, second.qty_returned, second.qty_replaced) == (D(5), D(1), D(1))
    assert second.qty_invoiced == 4  # no charge: nothing billed for the replacement
    assert (
        Invoice.objects.for_company(company).filter(kind=InvoiceKind.INVOICE).count()
        == invoices_before
    )
    order = SalesOrder.objects.for_company(company).get(pk=order.pk)
    assert sales_selectors.order_state(order).progress.fulfilment == "shipped"
    assert selectors.returnable(order) == {first.pk: D(7), second.pk: D(4)}
    types = set(
        Event.objects.for_company(company)
        .filter(entity_id=str(rma.pk))
        .values_list("type", flat=True)
    )
    assert types >= {
        "rma.created",
        "rma.approved",
        "rma.received",
        "rma.credited",
        "rma.replaced",
        "rma.closed",
    }


def test_quarantine_stock_is_on_hand_but_not_available(
    company, access_of, support, manager, keeper, shipped_order, quarantine, main_warehouse, stocked
):
    order = shipped_order()
    first, _ = lines_of(order)
    rma = services.rma_create(access_of(support, company), order, [line(first, 2, "replace")])
    rma = services.rma_approve(rma=rma, actor=manager)
    with pytest.raises(DomainError) as caught:
        services.rma_receive(rma=rma, actor=keeper, warehouse=quarantine, condition="saleable")
    assert caught.value.code == "returns.wrong_destination"
    with pytest.raises(DomainError) as caught:
        services.rma_receive(rma=rma, actor=keeper, warehouse=main_warehouse, condition="scrap")
    assert caught.value.code == "returns.wrong_destination"
    free = inventory_selectors.availability(company, [stocked[0].pk])[stocked[0].pk].available
    services.rma_receive(rma=rma, actor=keeper, warehouse=quarantine, condition="quarantine")
    assert on_hand(company, stocked[0], quarantine) == 2
    assert (
        inventory_selectors.availability(company, [stocked[0].pk])[stocked[0].pk].available == free
    )


def test_partial_receipts_and_cancel_only_before_goods(
    company, access_of, support, manager, keeper, shipped_order, main_warehouse
):
    order = shipped_order()
    first, _ = lines_of(order)
    rma = services.rma_create(access_of(support, company), order, [line(first, 4, "replace")])
    rma = services.rma_approve(rma=rma, actor=manager)
    rma_line = selectors.rma_lines(rma)[0]
    with pytest.raises(DomainError) as caught:
        services.rma_receive(
            rma=rma,
            actor=keeper,
            warehouse=main_warehouse,
            lines=[{"rma_line_id": str(rma_line.pk), "quantity": "5"}],
        )
    assert caught.value.code == "core.validation_failed"
    rma = services.rma_receive(
        rma=rma,
        actor=keeper,
        warehouse=main_warehouse,
        lines=[{"rma_line_id": str(rma_line.pk), "quantity": "1"}],
    )
    assert rma.status == Status.APPROVED
    with pytest.raises(DomainError) as caught:
        services.rma_cancel(rma=rma, actor=support)
    assert caught.value.code == "returns.invalid_transition"
    assert selectors.rma_actions(access_of(keeper, company), rma) == ["receive", "replace"]


def test_reject_needs_a_reason_and_frees_the_quantities(
    company, access_of, support, manager, shipped_order
):
    order = shipped_order()
    first, _ = lines_of(order)
    rma = services.rma_create(access_of(support, company), order, [line(first, 10, "replace")])
    with pytest.raises(DomainError) as caught:
        services.rma_reject(rma=rma, actor=manager, reason=" ")
    assert caught.value.code == "returns.reason_required"
    services.rma_reject(rma=rma, actor=manager, reason="Outside the return window")
    assert selectors.returnable(order)[first.pk] == 10


def test_a_replacement_confirms_a_completed_order_again(
    company, access_of, support, manager, keeper, finance, shipped_order, main_warehouse
):
    from ordercrm.billing import services as billing

    order = shipped_order(policy="on_order", quantities=(2,))
    invoice = Invoice.objects.for_company(company).get(order=order)
    billing.payment_record(
        company=company,
        actor=finance,
        customer=order.customer,
        amount=invoice.gross_total,
        currency=invoice.currency,
        method="bank_transfer",
        reference="PAY-1",
        allocations=[{"invoice_id": str(invoice.pk), "amount": str(invoice.gross_total)}],
    )
    order = SalesOrder.objects.for_company(company).get(pk=order.pk)
    assert order.status == OrderStatus.COMPLETED
    (only,) = lines_of(order)
    rma = services.rma_create(access_of(support, company), order, [line(only, 1, "replace")])
    rma = services.rma_approve(rma=rma, actor=manager)
    rma = services.rma_receive(rma=rma, actor=keeper, warehouse=main_warehouse)
    services.rma_replace(rma=rma, actor=keeper)
    order = SalesOrder.objects.for_company(company).get(pk=order.pk)
    assert order.status == OrderStatus.CONFIRMED
    shipment = Shipment.objects.for_company(company).get(status=ShipmentStatus.DRAFT)
    fulfilment.shipment_dispatch(shipment=shipment, actor=keeper)
    order = SalesOrder.objects.for_company(company).get(pk=order.pk)
    assert order.status == OrderStatus.COMPLETED
