from django.utils.translation import gettext_lazy as _

from ordercrm.core.exceptions import Conflict, DomainError


class InsufficientStock(Conflict):
    """``details["lines"]`` lists, per short line, what was wanted, available and missing."""

    code = "inventory.insufficient_stock"
    message = _("Not enough stock: %(count)s line(s) are short.")
    http_status = 409


class BelowReserved(Conflict):
    """``details["lines"]`` lists, per refused (product, warehouse): ``product_id``, ``sku``,
    ``warehouse_id``, ``warehouse`` (its code), ``on_hand``, ``reserved``, ``available`` (what
    is free before the change) and the signed ``change`` that was asked for."""

    code = "inventory.below_reserved"
    message = _(
        "This would leave less stock than is reserved for orders. Release reservations first."
    )
    http_status = 409


class AlreadyReversed(Conflict):
    """``details``: ``receipt_id``, ``reference``, ``reversed_at`` of the earlier reversal."""

    code = "inventory.already_reversed"
    message = _("This receipt has already been reversed.")
    http_status = 409


class NotReserved(Conflict):
    code = "inventory.not_reserved"
    message = _("Not enough stock is reserved for this line to ship it.")
    http_status = 409


class SameWarehouse(DomainError):
    code = "inventory.same_warehouse"
    message = _("Choose two different warehouses.")
    http_status = 422
