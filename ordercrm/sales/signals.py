"""Signals the order side sends to the layers above it, inside the sending transaction."""

from django.dispatch import Signal

# Sent inside the confirming transaction (submit without approval, last approval, release,
# resume, an amendment that keeps it confirmed), after the order is confirmed. Arguments: order, actor. Billing invoices
# ``on_order`` orders here, so the invoice commits or rolls back with the confirmation.
order_confirmed = Signal()

# Sent inside the cancelling transaction, after the order is cancelled and its reservations
# released. Arguments: order, actor, credit_invoices. A receiver may refuse the cancel by
# raising a ``DomainError`` (everything rolls back). Fulfilment cancels the draft shipments;
# billing refuses while issued invoices are open (``sales.cancel_has_invoices``) or, with
# ``credit_invoices``, credits them, and turns the order's advances into customer credit.
order_cancelled = Signal()
