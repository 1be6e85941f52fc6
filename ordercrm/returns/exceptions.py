from django.utils.translation import gettext_lazy as _

from ordercrm.core.exceptions import Conflict, DomainError


class InvalidTransition(Conflict):
    code = "returns.invalid_transition"
    message = _("This action is not possible while the return is %(status)s.")


class StaleVersion(Conflict):
    code = "returns.stale_version"
    message = _("This return was changed by someone else; reload it and try again.")
    http_status = 412


class OverReturn(Conflict):
    code = "returns.over_returnable"
    message = _("More than can still be returned on a line.")


class RefundNotInvoiced(Conflict):
    code = "returns.refund_not_invoiced"
    message = _(
        "Only invoiced units can be refunded by a credit note; choose another decision or "
        "invoice the line first."
    )


class OrderNotReturnable(Conflict):
    code = "returns.order_not_returnable"
    message = _("Goods can be returned only on a confirmed, completed or closed order.")


class WrongDestination(DomainError):
    code = "returns.wrong_destination"
    message = _(
        "Saleable goods go to a saleable warehouse; quarantine and scrap to one that is not."
    )
    http_status = 422


class NothingToDo(Conflict):
    code = "returns.nothing_to_settle"
    message = _("No line of this return is waiting for this step.")


class ReasonRequired(DomainError):
    code = "returns.reason_required"
    message = _("Please give a reason.")
    http_status = 422
