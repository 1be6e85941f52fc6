from django.utils.translation import gettext_lazy as _

from ordercrm.core.exceptions import Conflict, DomainError, PermissionDenied


class InvalidTransition(DomainError):
    code = "sales.invalid_transition"
    message = _("This action is not possible while the order is %(status)s.")
    http_status = 409


class StaleVersion(Conflict):
    code = "sales.stale_version"
    message = _("The order was changed by someone else. Reload it and try again.")
    http_status = 409


class NotEditable(DomainError):
    code = "sales.not_editable"
    message = _("Only draft orders can be edited; use an amendment for a confirmed order.")
    http_status = 409


class EmptyOrder(DomainError):
    code = "sales.empty_order"
    message = _("The order has no product lines with a quantity.")


class ExchangeRateMissing(DomainError):
    """``details``: currency, base, date, and the roles that may set the rate."""

    code = "sales.exchange_rate_missing"
    message = _(
        "The company rate table has no exchange rate from %(currency)s to %(base)s on or "
        "before %(date)s. Finance or an administrator can add it under Settings, "
        "Exchange rates."
    )


class ExchangeRateOverride(PermissionDenied):
    code = "sales.exchange_rate_override"
    message = _(
        "You may not set an order's exchange rate: leave it empty and the order takes the "
        "company rate table's rate for its date."
    )


class CancelAfterShipment(DomainError):
    code = "sales.cancel_after_shipment"
    message = _("Goods have already shipped; close the order instead of cancelling it.")
    http_status = 409


class SelfApproval(PermissionDenied):
    code = "sales.self_approval"
    message = _("You cannot approve your own order.")


class AmendBelowProgress(DomainError):
    code = "sales.amend_below_progress"
    message = _("A quantity cannot drop below what was already shipped or invoiced.")
    http_status = 409


class ReasonRequired(DomainError):
    code = "sales.reason_required"
    message = _("Please give a reason.")
    http_status = 422


class CustomerOnCreditHold(Conflict):
    code = "sales.customer_credit_hold"
    message = _("The customer is on credit hold; finance must release it first.")
    http_status = 409


class CreditLimitExceeded(Conflict):
    """``details``: exposure, limit and over_by in the company currency."""

    code = "sales.credit_limit_exceeded"
    message = _("This order would take the customer over the credit limit by %(over_by)s.")
    http_status = 409


class NotAnApprover(PermissionDenied):
    code = "sales.not_an_approver"
    message = _("This order does not wait for your approval.")


class ApprovalVoid(Conflict):
    code = "sales.approval_void"
    message = _("The order changed after it was submitted; submit it again for approval.")
    http_status = 409


class CreditHoldRelease(PermissionDenied):
    code = "sales.credit_hold_release"
    message = _("Only finance can release a credit hold.")


class NoCustomerEmail(DomainError):
    code = "sales.no_customer_email"
    message = _("Neither the order's contact nor the customer has an email address.")
    http_status = 409


class TooManyLines(DomainError):
    code = "sales.too_many_lines"
    message = _(
        "An order can have at most %(limit)s lines; this one would have %(count)s. "
        "Split it into several orders."
    )
    http_status = 422


class OrderOnHold(Conflict):
    """Raised by every invoicing and dispatch path while the order is on hold."""

    code = "sales.order_on_hold"
    message = _("The order is on hold (%(reason)s); release it first.")
    http_status = 409


class CancelHasInvoices(Conflict):
    """``details.invoices``: number, total, credited and paid of each issued invoice."""

    code = "sales.cancel_has_invoices"
    message = _(
        "Invoices %(numbers)s are issued for this order. Credit them first, or let finance "
        "cancel the order with its invoices credited."
    )
    http_status = 409


class BackdateNotAllowed(PermissionDenied):
    """``details.fields.order_date``; ``details.today`` is the company's today."""

    code = "sales.backdate_not_allowed"
    message = _(
        "You may not date an order before today (%(today)s); a sales manager or an "
        "administrator can."
    )


class OrderDateOtherYear(DomainError):
    code = "sales.order_date_other_year"
    http_status = 422
    message = _(
        "Order %(number)s is numbered in %(year)s; its order date must stay in that year. "
        "For a date in another year, duplicate the order."
    )


class NegativeTotal(DomainError):
    code = "sales.negative_total"
    http_status = 422
    message = _(
        "Discount and rebate lines may not take the order total below zero; use a credit "
        "note to pay money back."
    )


class LineInUse(Conflict):
    """``details``: ``positions`` of the lines. A line that a document of an earlier revision
    names (a cancelled shipment or invoice of an order set back to draft) stays on the order."""

    code = "sales.line_in_use"
    message = _(
        "Line %(positions)s is on a shipment or invoice of an earlier revision of this order; "
        "change it instead of removing it."
    )
    http_status = 409
