from django.utils.translation import gettext_lazy as _

from ordercrm.core.exceptions import Conflict, DomainError, ValidationFailed


class InvalidTransition(DomainError):
    code = "service.invalid_transition"
    message = _("This action is not possible while the case is %(status)s.")
    http_status = 409


class StaleVersion(Conflict):
    code = "service.stale_version"
    message = _("The case was changed by someone else. Reload it and try again.")


class ReopenWindowPassed(DomainError):
    code = "service.reopen_window_passed"
    message = _("The case was resolved more than %(days)s days ago; open a new case instead.")
    http_status = 409


class LineNotOnOrder(ValidationFailed):
    code = "service.line_not_on_order"
    message = _("A case line must be a product line of the case's order.")


class OrderOfAnotherCustomer(ValidationFailed):
    code = "service.order_of_another_customer"
    message = _("The order belongs to another customer.")


class AttachmentRefused(ValidationFailed):
    code = "service.attachment_refused"
    message = _("The file cannot be attached: %(reason)s")


class CaseWithoutOrder(ValidationFailed):
    code = "service.case_without_order"
    message = _("This case is not linked to an order, so nothing can be returned from it.")
