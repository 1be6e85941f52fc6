"""Signals inventory sends to the layers above it (which it may not import)."""

from django.dispatch import Signal

# Sent after the transaction commits, when stock became available in a warehouse
# (receipt, positive adjustment or count, transfer in, return). Arguments: company_id,
# product_ids (a list). Sales listens to fill waiting backorders, oldest first.
stock_increased = Signal()
