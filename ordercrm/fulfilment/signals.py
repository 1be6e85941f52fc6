"""Signals fulfilment sends to the layers above it, inside the sending transaction."""

from django.dispatch import Signal

# Sent inside the dispatching transaction. Arguments: shipment, order, actor. Billing
# invoices ``on_shipment`` orders here: one invoice per dispatched shipment, atomically.
shipment_dispatched = Signal()
