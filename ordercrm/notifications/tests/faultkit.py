"""Seeds and reads a database the test process is not connected to (the throwaway PostgreSQL
cluster of the database-outage test), through the app's own code:

    DATABASE_URL=… python -m ordercrm.notifications.tests.faultkit seed --hooks U1,U2 --events N
    DATABASE_URL=… python -m ordercrm.notifications.tests.faultkit state

Each prints one JSON line."""

from __future__ import annotations

import argparse
import json
import os
import sys


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordercrm.settings")
    import django

    django.setup()
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="action", required=True)
    seed = sub.add_parser("seed")
    seed.add_argument("--hooks", default="")
    seed.add_argument("--events", type=int, default=0)
    seed.add_argument("--tasks", type=int, default=0)
    sub.add_parser("state")
    args = parser.parse_args(argv)
    print(json.dumps(globals()[args.action](args), default=str))


def seed(args) -> dict:
    from ordercrm.core import events
    from ordercrm.core.models import Company
    from ordercrm.core.services import company_create
    from ordercrm.notifications.models import WebhookSubscription
    from ordercrm.sales.tasks import fill_backorders

    company = Company.objects.filter(code="fault").first() or company_create(
        code="fault", name="Fault Co"
    )
    for url in filter(None, args.hooks.split(",")):
        WebhookSubscription.objects.get_or_create(
            company=company, url=url, defaults={"event_types": ["*"], "secret": "s" * 32}
        )
    hook = WebhookSubscription.objects.for_company(company).first()
    emitted = [
        str(events.emit(type="test.ping", entity=hook, payload={"n": n}).pk)
        for n in range(args.events)
    ]
    tasks = [
        str(fill_backorders.enqueue(company_id=str(company.pk), product_ids=[]).id)
        for _ in range(args.tasks)
    ]
    return {"events": emitted, "tasks": tasks}


def state(args) -> dict:
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from ordercrm.notifications import worker
    from ordercrm.notifications.models import Delivery

    deliveries = Delivery.objects.unscoped()
    return {
        "health": worker.queue_state(),
        "deliveries": dict(deliveries.values_list("status").annotate(n=Count("pk"))),
        "leased": deliveries.exclude(locked_by="").count(),
        "tasks": dict(DBTaskResult.objects.values_list("status").annotate(n=Count("pk"))),
    }


if __name__ == "__main__":
    main(sys.argv[1:])
