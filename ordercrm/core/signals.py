"""In-process signals for set-up work other apps must do in the same transaction.

Business events for subscribers outside the transaction go through the outbox
(``core.events``) instead.
"""

from django.dispatch import Signal

# sent with ``company`` and ``default_rules``: apps add their defaults (tax rates, units, payment
# terms, warehouses; approval rules unless ``default_rules`` is False)
company_created = Signal()
