"""The demo's after-sales cases: a few cases on shipped orders, through the services, in
each state the desk shows (new, in progress, waiting on the customer, resolved, one past
its SLA), plus warranty terms. Idempotent: nothing is added when the company has cases."""

from __future__ import annotations

import datetime

from django.utils import timezone

from ordercrm.accounts.models import SalesTeam
from ordercrm.sales.models import SalesOrder
from ordercrm.service import services, sla
from ordercrm.service.models import Case

from .demo_history import DemoClock

CASES = [
    # subject, type, priority, days ago, what happens
    (
        "外包装破损，两件产品有划痕 Damaged packaging, two units scratched",
        "complaint",
        "high",
        0,
        "wait",
    ),
    ("保修期内无法开机 Does not power on (warranty)", "warranty_claim", "normal", 1, "reply"),
    ("发票抬头需要更改 Invoice title needs changing", "question", "low", 0, "new"),
    ("数量少发一件 One unit short in the delivery", "complaint", "urgent", 4, "new"),
    ("要求退货 Return request for wrong colour", "return_request", "normal", 6, "resolve"),
]


def build_cases(company, users: dict) -> int:
    """Open the demo cases (returns how many); 0 when the company already has cases."""
    if Case.objects.for_company(company).exists():
        return 0
    services.service_defaults(company)
    agent = users["support"]
    team = SalesTeam.objects.for_company(company).order_by("name").first()
    orders = list(
        SalesOrder.objects.for_company(company)
        .filter(lines__qty_shipped__gt=0)
        .select_related("customer")
        .distinct()
        .order_by("-created_at")[: len(CASES)]
    )
    made = 0
    for (subject, case_type, priority, days_ago, step), order in zip(CASES, orders, strict=False):
        line = order.lines.filter(qty_shipped__gt=0).order_by("position").first()
        moment = timezone.now() - datetime.timedelta(days=days_ago, hours=2)
        with DemoClock(moment):
            case = services.case_create(
                company=company,
                actor=agent,
                customer=order.customer,
                order=order,
                lines=[{"order_line_id": str(line.pk), "quantity": "1"}],
                subject=subject,
                description=subject,
                case_type=case_type,
                priority=priority,
                channel="phone",
                assignee=agent,
                team=team,
            )
            if line.product_id and made < 2:
                services.warranty_term_set(
                    company=company, actor=users["admin"], product=line.product, months=12
                )
        if step in ("reply", "wait", "resolve"):
            with DemoClock(moment + datetime.timedelta(hours=1)):
                services.case_comment_add(
                    case=case,
                    actor=agent,
                    body="您好，我们已收到，正在处理。Thank you, we are looking into it.",
                )
        if step == "wait":
            with DemoClock(moment + datetime.timedelta(hours=1, minutes=5)):
                services.case_action(case=case, actor=agent, action="wait")
        if step == "resolve":
            with DemoClock(moment + datetime.timedelta(days=1)):
                services.case_action(
                    case=case,
                    actor=agent,
                    action="resolve",
                    note="已安排换货 Replacement arranged.",
                )
        made += 1
    sla.sla_check()
    return made
