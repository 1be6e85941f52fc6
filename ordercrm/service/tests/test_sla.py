"""SLA clocks with frozen time: due times stored at creation across a weekend, China's
National Day and a 调休 Saturday, a pause while waiting on the customer, and the periodic
check's warnings, breaches and escalation (events, notification and email)."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from ordercrm.core.models import Event
from ordercrm.service import services, sla
from ordercrm.service.models import CalendarDay, CommentKind, SlaPolicy, SlaState
from ordercrm.service.workflow import CaseStatus

TZ = datetime.timezone(datetime.timedelta(hours=8))


def at(y, m, d, hh, mm=0):
    return datetime.datetime(y, m, d, hh, mm, tzinfo=TZ)


def open_case(company, agent, customer, **values):
    values.setdefault("priority", "normal")  # 8 h first response, 40 h resolution
    return services.case_create(
        company=company, actor=agent, customer=customer, subject="Scratched casing", **values
    )


def event_types(case):
    return list(
        Event.objects.for_company(case.company)
        .filter(entity_id=str(case.pk))
        .order_by("created_at", "id")
        .values_list("type", flat=True)
    )


def test_due_times_skip_a_weekend(company, agent, customer):
    with time_machine.travel(at(2026, 11, 6, 17), tick=False):  # a Friday
        case = open_case(company, agent, customer)
    assert case.first_response_due == at(2026, 11, 9, 17)  # Monday
    # 40 h: 1 h Friday + 4 days of 8 h + 7 h → Friday 13 November 17:00
    assert case.resolution_due == at(2026, 11, 13, 17)
    assert case.sla_state == SlaState.OK
    assert case.next_due == case.first_response_due


def test_due_times_skip_national_day_and_work_the_tiaoxiu_saturday(company, agent, customer):
    with time_machine.travel(at(2026, 9, 30, 17), tick=False):
        case = open_case(company, agent, customer)
    assert case.first_response_due == at(2026, 10, 8, 17)
    # 40 h: 1 h on 30 Sep, 8 Oct (8), 9 Oct (8), Saturday 10 Oct 调休 (8), 12 Oct (8), 13 Oct 7 h
    assert case.resolution_due == at(2026, 10, 13, 17)


def test_a_company_holiday_moves_the_due_time(company, agent, customer, admin):
    services.calendar_day_set(
        company=company,
        actor=admin,
        date=datetime.date(2026, 11, 9),
        is_working=False,
        name="Inventory day",
    )
    assert CalendarDay.objects.for_company(company).count() == 1
    with time_machine.travel(at(2026, 11, 6, 17), tick=False):
        case = open_case(company, agent, customer)
    assert case.first_response_due == at(2026, 11, 10, 17)


def test_the_policy_of_type_and_priority_decides(company, agent, customer, admin):
    services.sla_policy_set(
        company=company,
        actor=admin,
        case_type="question",
        priority="high",
        response_hours="2",
        resolution_hours="4.5",
    )
    with time_machine.travel(at(2026, 11, 9, 9), tick=False):
        case = open_case(company, agent, customer, case_type="question", priority="high")
    assert (case.response_minutes, case.resolution_minutes) == (120, 270)
    assert case.first_response_due == at(2026, 11, 9, 11)
    assert case.resolution_due == at(2026, 11, 9, 14, 30)
    policy = SlaPolicy.objects.for_company(company).get(case_type="question", priority="high")
    assert policy.resolution_hours == Decimal("4.5")


def test_waiting_on_the_customer_pauses_the_resolution_clock(company, agent, customer):
    with time_machine.travel(at(2026, 11, 9, 9), tick=False):  # Monday
        case = open_case(company, agent, customer)
    assert case.resolution_due == at(2026, 11, 13, 18)
    with time_machine.travel(at(2026, 11, 10, 10), tick=False):
        case = services.case_action(case=case, actor=agent, action="wait")
    assert case.status == CaseStatus.WAITING
    assert case.first_response_at == at(2026, 11, 10, 10)  # asking counts as responding
    assert case.sla_state == SlaState.PAUSED
    assert case.next_due is None
    # nothing is breached while paused, however long the customer takes
    with time_machine.travel(at(2026, 11, 20, 10), tick=False):
        assert sla.sla_check() == 0
    # the customer answers on Thursday 10:00: 16 working hours waited
    with time_machine.travel(at(2026, 11, 12, 10), tick=False):
        services.case_comment_add(
            case=case, actor=agent, body="Photos attached by phone.", kind=CommentKind.CUSTOMER
        )
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.paused_minutes == 16 * 60
    assert case.resolution_due == at(2026, 11, 17, 18)  # 40 + 16 h from Monday 09:00
    assert case.sla_state == SlaState.OK
    types = event_types(case)
    assert "case.sla_paused" in types
    assert "case.sla_resumed" in types
    resumed = Event.objects.for_company(company).get(
        entity_id=str(case.pk), type="case.sla_resumed"
    )
    assert resumed.payload["waited_minutes"] == 16 * 60


def test_the_periodic_check_warns_breaches_and_escalates(company, agent, customer, team_manager):
    with time_machine.travel(at(2026, 11, 9, 9), tick=False):
        case = open_case(company, agent, customer, assignee=agent)
    assert case.team.manager == team_manager
    # 80 % of 8 working hours = 6 h 24 min → 16:24
    with time_machine.travel(at(2026, 11, 9, 16, 23), tick=False):
        assert sla.sla_check() == 0
    with time_machine.travel(at(2026, 11, 9, 16, 24), tick=False):
        assert sla.sla_check() == 1
        assert sla.sla_check() == 0  # marked once
    case.refresh_from_db()
    assert case.response_warned
    assert case.sla_state == SlaState.WARNING
    with time_machine.travel(at(2026, 11, 9, 18), tick=False):
        assert sla.sla_check() == 1
    case.refresh_from_db()
    assert case.response_breached
    assert case.sla_state == SlaState.BREACHED
    assert case.escalated_at == at(2026, 11, 9, 18)
    types = event_types(case)
    assert types.count("case.sla_warning") == 1
    assert types.count("case.sla_breached") == 1
    assert types.count("case.escalated") == 1
    escalated = Event.objects.for_company(company).get(
        entity_id=str(case.pk), type="case.escalated"
    )
    # the manager's email and notification: notifications/tests/test_case_emails.py
    assert escalated.payload["manager_id"] == str(team_manager.pk)
    assert escalated.payload["clocks"] == ["first_response"]


def test_a_reply_meets_the_first_response_and_no_breach_follows(company, agent, customer):
    with time_machine.travel(at(2026, 11, 9, 9), tick=False):
        case = open_case(company, agent, customer)
    with time_machine.travel(at(2026, 11, 9, 10), tick=False):
        services.case_comment_add(case=case, actor=agent, body="We are looking into it.")
    with time_machine.travel(at(2026, 11, 9, 18, 30), tick=False):
        assert sla.sla_check() == 0
    case.refresh_from_db()
    assert not case.response_breached
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.next_due == case.resolution_due


def test_raising_the_priority_recomputes_from_the_start(company, agent, customer):
    with time_machine.travel(at(2026, 11, 9, 9), tick=False):
        case = open_case(company, agent, customer)
    with time_machine.travel(at(2026, 11, 9, 9, 30), tick=False):
        case = services.case_update(case=case, actor=agent, version=case.version, priority="urgent")
    assert case.first_response_due == at(2026, 11, 9, 10)
    assert case.resolution_due == at(2026, 11, 9, 18)


@pytest.mark.parametrize("status_after", ["resolved", "cancelled"])
def test_finished_cases_are_not_checked(company, agent, customer, status_after):
    with time_machine.travel(at(2026, 11, 9, 9), tick=False):
        case = open_case(company, agent, customer)
        action = "resolve" if status_after == "resolved" else "cancel"
        services.case_action(case=case, actor=agent, action=action, note="Done")
    with time_machine.travel(at(2026, 12, 9, 9), tick=False):
        assert sla.sla_check() == 0
