"""Every row lock the catalog's services take, in one place (DESIGN, example 11).

Each catalog record is its own aggregate: a product, a price list (its items are locked through
it, so two writers of one list queue), a unit, a category, a tax rate, a tax mapping (its rules
are locked through it). A service locks the row it changes first, re-reads it under the lock
and checks its version there."""

from __future__ import annotations

from django.db import models

from ordercrm.core.exceptions import NotFound


def lock_row(instance: models.Model):
    """``instance`` re-read under ``SELECT … FOR UPDATE`` within its company; ``NotFound``
    if it is gone (deleted, or another company's)."""
    row = (
        type(instance)
        .objects.for_company(instance.company_id)
        .select_for_update()
        .filter(pk=instance.pk)
        .first()
    )
    if row is None:
        raise NotFound()
    return row


lock_product = lock_row
lock_unit = lock_row
lock_category = lock_row
lock_tax_rate = lock_row
lock_price_list = lock_row
lock_tax_mapping = lock_row


def lock_products(company_id, product_ids) -> dict:
    """The products with these ids, locked in primary-key order (a kit and its components,
    ``catalog.services.product_kit_set``); ``{id: product}``, missing ones left out."""
    from ordercrm.catalog.models import Product

    rows = (
        Product.objects.for_company(company_id)
        .select_for_update()
        .filter(pk__in=list(product_ids))
        .order_by("pk")
    )
    return {row.pk: row for row in rows}
