"""After-sales case emails over real SMTP on loopback: case received, the support reply and
case resolved, in the customer's language; a breached SLA emailed to the team's manager."""

import datetime

import time_machine

from ordercrm.accounts.roles import Role
from ordercrm.notifications import worker
from ordercrm.notifications.models import Notification
from ordercrm.service import services, sla


def test_case_received_reply_and_resolved_in_the_customers_language(
    company, customer, make_user, team, smtp_server
):
    customer.language = "zh-hans"
    customer.email = "buyer@mingda.example"
    customer.save()
    agent = make_user(Role.SUPPORT, company, username="agent", team=team)
    case = services.case_create(company=company, actor=agent, customer=customer, subject="外壳划伤")
    services.case_comment_add(case=case, actor=agent, body="我们会寄出新的外壳。")
    services.case_comment_add(case=case, actor=agent, body="internal", kind="internal")
    services.case_action(case=case, actor=agent, action="resolve", note="已寄出新外壳。")
    worker.run_once()
    mails = [m["message"] for m in smtp_server if "buyer@mingda.example" in m["to"]]
    subjects = [m["Subject"] for m in mails]
    assert subjects == [
        f"我们已收到您的请求 {case.number}",
        f"回复：外壳划伤 [{case.number}]",
        f"工单 {case.number} 已解决",
    ]
    bodies = [m.get_body(preferencelist=("plain",)).get_content() for m in mails]
    assert "我们会寄出新的外壳。" in bodies[1]
    assert "internal" not in "".join(bodies)
    assert "已寄出新外壳。" in bodies[2]


def test_a_breach_is_emailed_to_the_team_manager(company, customer, make_user, team, smtp_server):
    boss = make_user(Role.SALES_MANAGER, company, username="lead", email="lead@acme.example")
    team.manager = boss
    team.save()
    agent = make_user(Role.SUPPORT, company, username="agent", team=team)
    monday = datetime.datetime(
        2026, 11, 9, 9, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
    )
    with time_machine.travel(monday, tick=False):
        case = services.case_create(
            company=company, actor=agent, customer=customer, subject="No answer", priority="urgent"
        )
    with time_machine.travel(monday + datetime.timedelta(hours=2), tick=False):
        assert sla.sla_check() == 1
        worker.run_once()
    [mail] = [m["message"] for m in smtp_server if "lead@acme.example" in m["to"]]
    assert mail["Subject"] == f"SLA breached: case {case.number}"
    assert (
        Notification.objects.for_company(company)
        .filter(user=boss, message="case_escalated")
        .exists()
    )
