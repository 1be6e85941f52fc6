"""Row locks of a return authorisation, in the order of ``sales.locks``: the order first
(the aggregate root every writer of its lines, shipments, invoices and returns queues on),
then the RMA, then what the called services lock below it (customer, order lines, stock)."""

from __future__ import annotations

from ordercrm.core.exceptions import NotFound
from ordercrm.returns.models import ReturnAuthorization, ReturnAuthorizationLine
from ordercrm.sales import locks as sales_locks


def lock_rma(rma, *, access):
    """Lock the RMA's order (visible to ``access``, else ``core.not_found``), then the RMA;
    returns ``(rma, order)`` as current rows."""
    company_id = access.company.pk
    rma_id = getattr(rma, "pk", rma)
    order_id = (
        ReturnAuthorization.objects.for_company(company_id)
        .filter(pk=rma_id)
        .values_list("order_id", flat=True)
        .first()
    )
    if order_id is None:
        raise NotFound(details={"rma_id": str(rma_id)})
    order = sales_locks.lock_order(order_id, company_id=company_id, access=access)
    locked = (
        ReturnAuthorization.objects.for_company(company_id)
        .select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=rma_id)
    )
    return locked, order


def lock_rma_lines(rma) -> list[ReturnAuthorizationLine]:
    return list(
        ReturnAuthorizationLine.objects.for_company(rma.company_id)
        .filter(rma=rma)
        .select_for_update(of=("self",))
        .select_related("order_line", "order_line__product", "product")
        .order_by("position")
    )


def lock_rma_of_locked_order(rma_id, *, company_id) -> ReturnAuthorization:
    """Lock an RMA whose order the caller already holds locked (the dispatch hook, run inside
    fulfilment's dispatch with the order locked first)."""
    return (
        ReturnAuthorization.objects.for_company(company_id)
        .select_for_update(of=("self",))
        .get(pk=rma_id)
    )
