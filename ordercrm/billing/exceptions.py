from django.utils.translation import gettext_lazy as _

from ordercrm.core.exceptions import Conflict, DomainError


class NotInvoiceable(Conflict):
    code = "billing.not_invoiceable"
    message = _("This order cannot be invoiced while it is %(status)s.")
    http_status = 409


class NothingToInvoice(DomainError):
    code = "billing.nothing_to_invoice"
    message = _("There is nothing left to invoice on this order.")
    http_status = 409


class OverInvoicing(Conflict):
    code = "billing.over_invoicing"
    message = _(
        "A line cannot be invoiced beyond what is invoiceable plus the billing tolerance "
        "(%(tolerance)s %%)."
    )
    http_status = 409


class InvoiceState(Conflict):
    code = "billing.invalid_invoice_state"
    message = _("This is not possible for an invoice with the status %(status)s.")
    http_status = 409


class OverCredit(Conflict):
    code = "billing.over_credit"
    message = _("More is credited than was invoiced on this line.")
    http_status = 409


class OverAllocation(Conflict):
    code = "billing.over_allocation"
    message = _("The allocations exceed the payment or the invoice's open amount.")
    http_status = 409


class DuplicatePaymentReference(Conflict):
    code = "billing.duplicate_payment_reference"
    message = _("A payment with this reference is already recorded for this customer.")
    http_status = 409


class OverRefund(Conflict):
    code = "billing.over_refund"
    message = _("At most %(unallocated)s of this payment is unallocated and can be refunded.")
    http_status = 409


class PaymentVoided(Conflict):
    code = "billing.payment_voided"
    message = _("This payment is void.")
    http_status = 409


class PaymentInUse(Conflict):
    code = "billing.payment_in_use"
    message = _(
        "Only a payment with nothing allocated or refunded can be voided; refund its "
        "unallocated credit instead."
    )
    http_status = 409


class InvoiceEmpty(DomainError):
    code = "billing.invoice_empty"
    message = _("An invoice needs at least one line; cancel the draft instead.")
    http_status = 422


class InvoiceStale(Conflict):
    code = "billing.stale_version"
    message = _("The invoice was changed by someone else. Reload it and try again.")
    http_status = 409


class RevaluationExists(Conflict):
    code = "billing.revaluation_exists"
    message = _(
        "A revaluation on %(date)s was already run; replace it to run it again with other rates."
    )
    http_status = 409


class RevaluationRateMissing(DomainError):
    code = "billing.revaluation_rate_missing"
    message = _(
        "Enter a rate for %(currencies)s: the company's rate table has none on or before %(date)s."
    )
    http_status = 422
