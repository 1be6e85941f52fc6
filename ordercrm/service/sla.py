"""SLA clocks of a case: targets from the company's policy, due times on its working
calendar, pause and resume, warnings, breaches and escalation.

Rules:
- Targets (working minutes) come from the company's :class:`SlaPolicy` for the case's type
  and priority, else from ``DEFAULT_HOURS`` by priority. They are copied onto the case and
  its due times stored whenever the case changes (created, type or priority changed, paused,
  resumed, reopened): no page recomputes a calendar.
- First response: the first reply to the customer, or asking the customer something
  (moving to waiting on customer). Its clock does not pause.
- Resolution: the clock stops while the case waits on the customer; the working minutes
  spent waiting (``paused_minutes``) move the resolution due time on when it resumes.
- A warning is due once ``warning_percent`` of a target's working time is used; a breach at
  the due time. :func:`sla_check` (periodic, ``ordercrm worker`` runs it every minute) marks
  them, each once, with an event; a breach escalates to the team's manager.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ordercrm.core import audit, events
from ordercrm.core.models import Company
from ordercrm.service import workflow
from ordercrm.service.models import (
    CalendarDay,
    Case,
    ServiceSettings,
    SlaPolicy,
    SlaState,
    WorkingHours,
)
from ordercrm.service.workflow import CaseEvent
from ordercrm.service.working_time import NoWorkingTime, WorkingCalendar

# (first response, resolution) in working hours, when the company has no policy row
DEFAULT_HOURS: dict[str, tuple[int, int]] = {
    "urgent": (1, 8),
    "high": (4, 16),
    "normal": (8, 40),
    "low": (16, 80),
}


def settings_for(company) -> ServiceSettings:
    found = ServiceSettings.objects.for_company(company).first()
    return found or ServiceSettings(company=company)


def calendar_for(company: Company) -> WorkingCalendar:
    """The company's working calendar (three queries)."""
    week: dict[int, list] = {}
    for row in WorkingHours.objects.for_company(company).order_by("weekday", "start"):
        week.setdefault(row.weekday, []).append((row.start, row.end))
    days = dict(CalendarDay.objects.for_company(company).values_list("date", "is_working"))
    kwargs = {"week": {k: tuple(v) for k, v in week.items()}} if week else {}
    return WorkingCalendar(
        timezone=company.timezone,
        days=days,
        use_china=settings_for(company).use_china_calendar,
        **kwargs,
    )


def targets(company, case_type: str, priority: str) -> tuple[int, int]:
    """(first response, resolution) in working minutes."""
    policy = (
        SlaPolicy.objects.for_company(company)
        .filter(case_type=case_type, priority=priority)
        .first()
    )
    if policy is not None:
        hours = (policy.response_hours, policy.resolution_hours)
    else:
        hours = tuple(Decimal(h) for h in DEFAULT_HOURS.get(priority, DEFAULT_HOURS["normal"]))
    return int(hours[0] * 60), int(hours[1] * 60)


def _add(calendar: WorkingCalendar, start, minutes):
    try:
        return calendar.add(start, minutes)
    except NoWorkingTime:
        return None


def plan(case: Case, calendar: WorkingCalendar, warning_percent: int) -> None:
    """Set the case's due and warning times from its targets, start and pauses (no save)."""
    start = case.created_at
    if case.response_minutes is None or case.resolution_minutes is None:
        case.first_response_due = case.resolution_due = None
        case.response_warn_at = case.resolution_warn_at = None
    else:
        share = lambda minutes: minutes * warning_percent // 100  # noqa: E731
        case.first_response_due = _add(calendar, start, case.response_minutes)
        case.response_warn_at = _add(calendar, start, share(case.response_minutes))
        total = case.resolution_minutes + case.paused_minutes
        case.resolution_due = _add(calendar, start, total)
        case.resolution_warn_at = _add(
            calendar, start, share(case.resolution_minutes) + case.paused_minutes
        )
    refresh_state(case)


def refresh_state(case: Case, now=None) -> None:
    """``next_due`` and ``sla_state`` from the stored clocks (no calendar, no save)."""
    now = now or timezone.now()
    if case.first_response_due is None and case.resolution_due is None:
        case.next_due, case.sla_state = None, SlaState.NONE
        return
    if case.status in workflow.FINISHED:
        case.next_due = None
        met = not case.breached
        case.sla_state = SlaState.MET if met else SlaState.BREACHED
        return
    if case.status in workflow.PAUSED:
        case.next_due = (
            None if case.first_response_at or case.response_breached else (case.first_response_due)
        )
        case.sla_state = SlaState.BREACHED if case.breached else SlaState.PAUSED
        return
    dues = []
    if case.first_response_at is None and not case.response_breached:
        dues.append(case.first_response_due)
    if not case.resolution_breached:
        dues.append(case.resolution_due)
    dues = [d for d in dues if d is not None]
    case.next_due = min(dues) if dues else None
    if case.breached:
        case.sla_state = SlaState.BREACHED
    elif case.response_warned or case.resolution_warned:
        case.sla_state = SlaState.WARNING
    else:
        case.sla_state = SlaState.OK


def start_clocks(case: Case) -> None:
    """A new case: copy the targets and plan (no save)."""
    case.response_minutes, case.resolution_minutes = targets(
        case.company, case.case_type, case.priority
    )
    plan(case, calendar_for(case.company), settings_for(case.company).warning_percent)


def retarget(case: Case) -> None:
    """Type or priority changed: new targets, same start and pauses (no save)."""
    start_clocks(case)
    case.response_warned = case.resolution_warned = False


def pause(case: Case, actor, now) -> None:
    """Entering waiting on customer: the resolution clock stops (no save; event)."""
    if case.paused_at is not None:
        return
    case.paused_at = now
    refresh_state(case, now)
    events.emit(
        type=CaseEvent.SLA_PAUSED,
        entity=case,
        actor=actor,
        payload={"number": case.number, "paused_at": now},
    )


def resume(case: Case, actor, now) -> None:
    """Leaving waiting on customer: the minutes waited move the resolution due time on."""
    if case.paused_at is None:
        return
    calendar = calendar_for(case.company)
    waited = calendar.minutes_between(case.paused_at, now)
    case.paused_minutes += waited
    case.paused_at = None
    plan(case, calendar, settings_for(case.company).warning_percent)
    # a warning already given for the resolution clock stays given only if still true
    if case.resolution_warn_at and case.resolution_warn_at > now:
        case.resolution_warned = False
    refresh_state(case, now)
    events.emit(
        type=CaseEvent.SLA_RESUMED,
        entity=case,
        actor=actor,
        payload={
            "number": case.number,
            "waited_minutes": waited,
            "resolution_due": case.resolution_due,
        },
    )


# ---------------------------------------------------------------- the periodic check


def _due_cases(now):
    running = Q(status__in=workflow.RUNNING)
    response_open = Q(first_response_at__isnull=True) & running
    return Case.objects.unscoped().filter(
        (response_open & Q(response_warned=False, response_warn_at__lte=now))
        | (response_open & Q(response_breached=False, first_response_due__lte=now))
        | (running & Q(resolution_warned=False, resolution_warn_at__lte=now))
        | (running & Q(resolution_breached=False, resolution_due__lte=now))
    )


def sla_check(now=None, batch: int = 200) -> int:
    """Mark warnings and breaches that have come due; each case in its own transaction,
    locked and re-read, so two workers never mark one twice. Returns how many cases changed."""
    now = now or timezone.now()
    changed = 0
    for case_id in list(_due_cases(now).values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            case = (
                Case.objects.unscoped()
                .select_for_update(of=("self",))
                .select_related("company", "team")
                .filter(pk=case_id)
                .first()
            )
            if case is not None and _mark(case, now):
                changed += 1
    return changed


def _mark(case: Case, now) -> bool:
    if case.status not in workflow.RUNNING:
        return False
    facts = []
    responding = case.first_response_at is None
    if responding and not case.response_breached and _reached(case.first_response_due, now):
        case.response_breached = True
        facts.append((CaseEvent.SLA_BREACHED, "first_response", case.first_response_due))
    elif responding and not case.response_warned and _reached(case.response_warn_at, now):
        case.response_warned = True
        facts.append((CaseEvent.SLA_WARNING, "first_response", case.first_response_due))
    if not case.resolution_breached and _reached(case.resolution_due, now):
        case.resolution_breached = True
        case.resolution_warned = True
        facts.append((CaseEvent.SLA_BREACHED, "resolution", case.resolution_due))
    elif not case.resolution_warned and _reached(case.resolution_warn_at, now):
        case.resolution_warned = True
        facts.append((CaseEvent.SLA_WARNING, "resolution", case.resolution_due))
    if not facts:
        return False
    breach = any(kind == CaseEvent.SLA_BREACHED for kind, _c, _d in facts)
    if breach and case.escalated_at is None:
        case.escalated_at = now
    refresh_state(case, now)
    case.save(
        update_fields=[
            "response_warned",
            "resolution_warned",
            "response_breached",
            "resolution_breached",
            "escalated_at",
            "next_due",
            "sla_state",
            "updated_at",
        ]
    )
    for kind, clock, due in facts:
        audit.record(
            actor=None,
            entity=case,
            action=kind.removeprefix("case."),
            changes={"clock": clock, "due": due},
        )
        events.emit(
            type=kind,
            entity=case,
            payload={"number": case.number, "clock": clock, "due": due},
        )
    if breach:
        manager_id = case.team.manager_id if case.team else None
        events.emit(
            type=CaseEvent.ESCALATED,
            entity=case,
            payload={
                "number": case.number,
                "manager_id": str(manager_id) if manager_id else None,
                "assignee_id": str(case.assignee_id) if case.assignee_id else None,
                "clocks": [clock for kind, clock, _d in facts if kind == CaseEvent.SLA_BREACHED],
            },
        )
    return True


def _reached(moment: datetime.datetime | None, now) -> bool:
    return moment is not None and moment <= now
