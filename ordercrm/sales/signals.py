"""Signals the order side sends to the layers above it, inside the sending transaction."""

from django.dispatch import Signal

# Sent inside the confirming transaction (submit without approval, last approval, release,
# resume, an amendment that keeps it confirmed), after the order is confirmed. Arguments: order, actor. Billing invoices
# ``on_order`` orders here, so the invoice commits or rolls back with the confirmation.
order_confirmed = Signal()
