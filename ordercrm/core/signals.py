"""In-process signals for set-up work other apps must do in the same transaction.

Business events for subscribers outside the transaction go through the outbox
(``core.events``) instead.
"""

from django.dispatch import Signal

# sent with ``company``: apps add their defaults (tax rates, units, payment terms, warehouses)
company_created = Signal()
