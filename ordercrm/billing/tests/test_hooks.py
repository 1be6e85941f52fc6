"""Invoicing by policy runs from the named sales hooks, inside the fact's transaction, and the
completion check runs once after the handlers."""

from ordercrm.billing.models import Invoice
from ordercrm.fulfilment.services import shipment_create
from ordercrm.sales import hooks
from ordercrm.sales import services as sales


def _count_completion_checks(monkeypatch) -> list:
    calls = []
    check = sales.order_complete_if_done

    def counted(**kwargs):
        calls.append(kwargs["order"].pk)
        return check(**kwargs)

    monkeypatch.setattr(sales, "order_complete_if_done", counted)
    return calls


def test_billing_registers_its_handlers_on_the_sales_hooks():
    from ordercrm.billing import hooks as billing

    assert billing.invoice_on_order in hooks._confirmed
    assert billing.invoice_on_shipment in hooks._dispatched
    assert billing.settle_on_cancel in hooks._cancelled


def test_a_dispatch_invoices_on_shipment_and_checks_completion_once(
    company, keeper, confirmed_order, monkeypatch
):
    order = confirmed_order("on_shipment", quantities=(2,))
    calls = _count_completion_checks(monkeypatch)
    shipment_create(order=order, actor=keeper, dispatch=True)
    assert Invoice.objects.for_company(company).filter(order=order).count() == 1
    assert calls == [order.pk]


def test_a_confirmation_invoices_on_order_and_checks_completion_once(
    company, confirmed_order, monkeypatch
):
    calls = _count_completion_checks(monkeypatch)
    order = confirmed_order("on_order", quantities=(2,))
    assert Invoice.objects.for_company(company).filter(order=order).count() == 1
    assert calls == [order.pk]


def test_a_manual_policy_confirmation_invoices_nothing_and_checks_nothing(
    company, confirmed_order, monkeypatch
):
    calls = _count_completion_checks(monkeypatch)
    order = confirmed_order("manual", quantities=(2,))
    assert not Invoice.objects.for_company(company).filter(order=order).exists()
    assert calls == []
