from django.utils.translation import gettext_lazy as _

from ordercrm.core.exceptions import Conflict, DomainError, ValidationFailed


class NotShippable(Conflict):
    code = "fulfilment.not_shippable"
    message = _("Only confirmed orders can ship; this order is %(status)s.")
    http_status = 409


class NothingToShip(DomainError):
    code = "fulfilment.nothing_to_ship"
    message = _("There is nothing to ship on this order now.")
    http_status = 409


class NothingToDecline(DomainError):
    code = "fulfilment.nothing_to_decline"
    message = _("Nothing is open on these lines outside draft shipments; there is no backorder.")
    http_status = 409


class NoShipmentNeeded(DomainError):
    code = "fulfilment.no_shipment_needed"
    message = _("This order has only services: nothing ships. Invoice it instead.")
    http_status = 409


class ShipComplete(Conflict):
    code = "fulfilment.ship_complete"
    message = _("This order ships complete: include every open line in full.")
    http_status = 409


class OverShipment(Conflict):
    code = "fulfilment.over_shipment"
    message = _("A line cannot ship more than was ordered, beyond its over-delivery tolerance.")
    http_status = 409


class ShipmentState(Conflict):
    code = "fulfilment.invalid_shipment_state"
    message = _("This is not possible for a shipment with the status %(status)s.")
    http_status = 409


class OverReturn(Conflict):
    code = "fulfilment.over_return"
    message = _("More is returned than was shipped on this line.")
    http_status = 409


class AdvanceUnpaid(Conflict):
    code = "fulfilment.advance_unpaid"
    message = _(
        "This order's payment terms require an advance of %(required)s before dispatch; "
        "%(paid)s is paid."
    )
    http_status = 409


class PaymentFirst(Conflict):
    code = "fulfilment.payment_first"
    message = _("This order ships after payment: %(required)s is due and %(paid)s is paid.")


class OverShipmentPlanned(ValidationFailed):
    """Planning more than a line may ship: the same code as :class:`OverShipment`, with the
    rows' field errors (``details.lines``) and what each line still allows
    (``details.allowed``)."""

    code = "fulfilment.over_shipment"
    message = _("A line cannot ship more than is open on it plus its over-delivery tolerance.")


class ExceptionAlreadyOpen(Conflict):
    code = "fulfilment.exception_open"
    message = _("This shipment already has an open exception; decide it first.")
    http_status = 409


class ExceptionDecided(Conflict):
    code = "fulfilment.exception_decided"
    message = _("This exception was already decided otherwise.")
    http_status = 409
