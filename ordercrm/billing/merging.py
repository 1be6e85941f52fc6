"""The billing side of merging duplicate customers (``customers.merging``): invoices,
credit notes and payments move to the surviving customer, and both customers' receivable
balances are recomputed in the same transaction."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ordercrm.billing.models import Invoice, Payment
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.customers.merging import MergeStep, register


class PaymentReferenceClash(ValidationFailed):
    """``details["references"]`` lists the payment references both customers use."""

    code = "billing.merge_payment_reference_clash"
    message = _(
        "Both customers have payments with the same reference (%(references)s); "
        "correct one of them before merging."
    )


def _invoices(customer):
    return Invoice.objects.for_company(customer.company_id).filter(customer=customer)


def _payments(customer):
    return Payment.objects.for_company(customer.company_id).filter(customer=customer)


def _check_payments(duplicate, survivor) -> None:
    """A payment reference is unique per customer; two payments with one reference cannot
    end up under one customer."""
    mine = set(_payments(duplicate).exclude(reference="").values_list("reference", flat=True))
    clash = sorted(
        mine & set(_payments(survivor).exclude(reference="").values_list("reference", flat=True))
    )
    if clash:
        raise PaymentReferenceClash(
            params={"references": ", ".join(clash[:10])}, details={"references": clash}
        )


def _move_invoices(duplicate, survivor, actor) -> int:
    return _invoices(duplicate).update(customer=survivor)


def _move_payments(duplicate, survivor, actor) -> int:
    """Payments move last of billing, then both customers' balances follow their records."""
    from ordercrm.billing.services import refresh_customer

    moved = _payments(duplicate).update(customer=survivor)
    refresh_customer(duplicate)
    refresh_customer(survivor)
    return moved


def register_merge_steps() -> None:
    register(
        MergeStep(
            "invoices",
            _("Invoices and credit notes"),
            50,
            lambda customer: _invoices(customer).count(),
            _move_invoices,
        )
    )
    register(
        MergeStep(
            "payments",
            _("Payments"),
            60,
            lambda customer: _payments(customer).count(),
            _move_payments,
            check=_check_payments,
        )
    )
