"""Background work of the order side, run by ``ordercrm worker``."""

from __future__ import annotations

from django_tasks import task

from ordercrm.sales import services


@task()
def fill_backorders(company_id: str, product_ids: list[str]) -> int:
    """Stock arrived for these products: reserve it for waiting orders, oldest first."""
    return services.backorders_fill(company_id=company_id, product_ids=product_ids)


def on_stock_increased(sender, company_id, product_ids, **kwargs) -> None:
    """Receiver of ``inventory.signals.stock_increased`` (sent after commit)."""
    fill_backorders.enqueue(company_id=str(company_id), product_ids=list(product_ids))


@task()
def expire_quotations() -> int:
    """Daily: cancel quotations whose validity date has passed, reason "expired" (run by
    ``ordercrm expire_quotations`` from cron, or enqueued by a scheduler)."""
    return services.quotations_expire()
