"""Write use cases of after-sales service: cases (create, update, the workflow's actions),
comments and attachments, and the service settings (SLA policies, working calendar,
warranty terms).

Every write: one transaction, the case row locked first (``service.locks``), checks, the
change, its audit entry (``core.audit.record``) and its event (``core.events.emit``). Due
times are stored by ``service.sla`` in the same transaction as the change that moves them.

Rules:
- A case names a customer the actor may see; an order, if given, must be that customer's
  and visible; its lines must be product lines of that order, each at most once, with a
  quantity above zero and at most the ordered quantity.
- The team is the one given, else the assignee's, else the creator's (the SLA escalates to
  its manager).
- A reply to the customer is the first response (emailed to the customer, ``case.replied``);
  a message logged from the customer on a case waiting on them resumes it.
- Reopening is allowed within ``ServiceSettings.reopen_days`` of the resolution.
"""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ordercrm.accounts.access import access_for
from ordercrm.accounts.models import Membership, SalesTeam, User
from ordercrm.core import audit, events
from ordercrm.core.exceptions import NotFound, ValidationFailed
from ordercrm.core.ids import parse_id
from ordercrm.core.money import plain
from ordercrm.core.numbering import next_number
from ordercrm.core.permissions import Perm
from ordercrm.core.validation import FieldErrors, RowErrors, bounded_decimal
from ordercrm.core.validation import reason as invalid_reason
from ordercrm.customers import selectors as customer_selectors
from ordercrm.customers.models import Contact
from ordercrm.returns import services as returns_services
from ordercrm.sales import selectors as sales_selectors
from ordercrm.sales.models import SalesOrderLine
from ordercrm.service import attachments, selectors, sla, workflow
from ordercrm.service.exceptions import (
    CaseWithoutOrder,
    InvalidTransition,
    LineNotOnOrder,
    OrderOfAnotherCustomer,
    ReopenWindowPassed,
    StaleVersion,
)
from ordercrm.service.locks import lock_case
from ordercrm.service.models import (
    CalendarDay,
    Case,
    CaseAttachment,
    CaseChannel,
    CaseComment,
    CaseLine,
    CasePriority,
    CaseType,
    CommentKind,
    ServiceSettings,
    SlaPolicy,
    WarrantyTerm,
    WorkingHours,
)
from ordercrm.service.workflow import CaseEvent, CaseStatus
from ordercrm.service.working_time import DEFAULT_WEEK

EDITABLE_FIELDS = ("subject", "description", "case_type", "priority", "channel")


def on_company_created(sender, company, **kwargs) -> None:
    """A new company gets the default week (Mon–Fri 9–12, 13–18), its settings row and a
    policy per type × priority from ``sla.DEFAULT_HOURS``."""
    service_defaults(company)


def service_defaults(company) -> None:
    """Idempotent: adds what is missing of the defaults."""
    ServiceSettings.objects.bulk_create([ServiceSettings(company=company)], ignore_conflicts=True)
    if not WorkingHours.objects.for_company(company).exists():
        WorkingHours.objects.bulk_create(
            [
                WorkingHours(company=company, weekday=day, start=start, end=end)
                for day, spans in DEFAULT_WEEK.items()
                for start, end in spans
            ]
        )
    SlaPolicy.objects.bulk_create(
        [
            SlaPolicy(
                company=company,
                case_type=case_type,
                priority=priority,
                response_hours=Decimal(hours[0]),
                resolution_hours=Decimal(hours[1]),
            )
            for case_type in CaseType.values
            for priority, hours in sla.DEFAULT_HOURS.items()
        ],
        ignore_conflicts=True,
    )


# ---------------------------------------------------------------- helpers


def _access(company, actor, perm: str = Perm.TICKET_EDIT):
    access = access_for(actor, company)
    access.require(perm)
    return access


def _choice(errors: FieldErrors, field: str, value, choices, default=None):
    if value in (None, ""):
        return default
    if value not in choices.values:
        errors.add(field, _("Select a valid choice."))
        return None
    return value


def _member(company, user_id, errors: FieldErrors, field: str):
    """An active member of the company, by id (or the user itself)."""
    if user_id in (None, ""):
        return None
    try:
        pk = getattr(user_id, "pk", None) or parse_id(user_id)
    except NotFound:
        errors.add(field, _("Select a valid choice."))
        return None
    user = User.objects.filter(
        pk=pk, is_active=True, memberships__company=company, memberships__is_active=True
    ).first()
    if user is None:
        errors.add(field, _("Select a valid choice."))
    return user


def _team(company, team_id, errors: FieldErrors, field: str = "team"):
    if team_id in (None, ""):
        return None
    try:
        pk = getattr(team_id, "pk", None) or parse_id(team_id)
    except NotFound:
        errors.add(field, _("Select a valid choice."))
        return None
    team = SalesTeam.objects.for_company(company).filter(pk=pk).first()
    if team is None:
        errors.add(field, _("Select a valid choice."))
    return team


def _team_of(company, user):
    if user is None:
        return None
    membership = (
        Membership.objects.filter(company=company, user=user, is_active=True)
        .select_related("team")
        .first()
    )
    return membership.team if membership else None


def _check_version(case: Case, version) -> None:
    """A ``version`` given (web form, API body or If-Match) must be the case's current one."""
    if version in (None, ""):
        return
    try:
        number = int(str(version))
    except ValueError:
        raise ValidationFailed(
            details={"fields": {"version": [_("Reload the page and try again.")]}}
        ) from None
    if number != case.version:
        raise StaleVersion(details={"version": case.version})


def _case_lines(
    order, raw_lines, errors_key: str = "lines"
) -> list[tuple[SalesOrderLine, Decimal]]:
    """``[{order_line_id, quantity}]`` → checked (line, quantity) pairs."""
    raw_lines = list(raw_lines or [])
    if not raw_lines:
        return []
    if order is None:
        raise ValidationFailed(details={"fields": {"order": [_("Choose the order first.")]}})
    by_id = {
        line.pk: line
        for line in SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order, kind="product")
        .select_related("product")
    }
    rows = RowErrors(errors_key)
    seen: set = set()
    picked = []
    for index, raw in enumerate(raw_lines):
        raw = raw if isinstance(raw, dict) else {}
        line = rows.row(
            index, by_id, raw.get("order_line_id"), "order_line_id", LineNotOnOrder.message
        )
        try:
            quantity = bounded_decimal(raw.get("quantity"), CaseLine, "quantity")
        except (TypeError, ValueError) as error:
            rows.add(index, "quantity", invalid_reason(error))
            continue
        if line is None:
            continue
        if line.pk in seen:
            rows.add(index, "order_line_id", _("This line is named twice."))
            continue
        seen.add(line.pk)
        if quantity <= 0:
            rows.add(index, "quantity", _("Enter a quantity above zero."))
        elif quantity > line.quantity:
            rows.add(
                index,
                "quantity",
                _("At most the ordered quantity (%(quantity)s).")
                % {"quantity": plain(line.quantity)},
            )
        else:
            picked.append((line, quantity))
    rows.raise_if_any()
    return picked


def _emit(case: Case, type_: str, actor, **payload) -> None:
    base = {"number": case.number, "customer_id": str(case.customer_id), "status": case.status}
    if case.order_id:
        base["order_id"] = str(case.order_id)
    events.emit(type=type_, entity=case, actor=actor, payload={**base, **payload})


# ---------------------------------------------------------------- cases


@transaction.atomic
def case_create(
    *,
    company,
    actor,
    customer,
    subject: str,
    description: str = "",
    case_type: str = CaseType.COMPLAINT,
    priority: str = CasePriority.NORMAL,
    channel: str = CaseChannel.PHONE,
    contact=None,
    order=None,
    lines: list[dict[str, Any]] | None = None,
    assignee=None,
    team=None,
    files=(),
) -> Case:
    """Open a case (``CS-{year}-{seq}``), its lines, clocks and first attachments.

    Raises ``core.validation_failed`` (fields / lines), ``service.order_of_another_customer``,
    ``core.not_found`` for a customer or order the actor may not see."""
    access = _access(company, actor)
    errors = FieldErrors()
    subject = errors.text("subject", subject, Case._meta.get_field("subject"))
    errors.required("subject", subject)
    description = errors.text("description", description, Case._meta.get_field("description"))
    case_type = _choice(errors, "case_type", case_type, CaseType, CaseType.COMPLAINT)
    priority = _choice(errors, "priority", priority, CasePriority, CasePriority.NORMAL)
    channel = _choice(errors, "channel", channel, CaseChannel, CaseChannel.PHONE)
    assignee = _member(company, assignee, errors, "assignee")
    team = _team(company, team, errors)
    errors.raise_if_any()
    customer = customer_selectors.customer_get(access, getattr(customer, "pk", customer))
    if order is not None:
        order = sales_selectors.order_get(access, getattr(order, "pk", order))
        if order.customer_id != customer.pk:
            raise OrderOfAnotherCustomer(details={"order_id": str(order.pk)})
    if contact not in (None, ""):
        contact_id = getattr(contact, "pk", None) or parse_id(contact)
        contact = (
            Contact.objects.for_company(company)
            .filter(pk=contact_id, customer=customer, is_active=True)
            .first()
        )
        if contact is None:
            raise ValidationFailed(details={"fields": {"contact": [_("Select a valid choice.")]}})
    else:
        contact = order.contact if order is not None and order.contact_id else None
    picked = _case_lines(order, lines)
    now = timezone.now()
    case = Case(
        company=company,
        number=next_number(company=company, prefix="CS", year=timezone.localtime(now).year),
        customer=customer,
        contact=contact,
        order=order,
        subject=subject,
        description=description,
        case_type=case_type,
        priority=priority,
        channel=channel,
        assignee=assignee,
        team=team or _team_of(company, assignee) or _team_of(company, actor),
        created_by=actor,
        created_at=now,
    )
    sla.start_clocks(case)
    case.save()
    CaseLine.objects.bulk_create(
        [
            CaseLine(company=company, case=case, order_line=line, quantity=quantity)
            for line, quantity in picked
        ]
    )
    stored = _store_files(case, actor, files)
    audit.record(
        actor=actor,
        entity=case,
        action="create",
        changes={
            "subject": [None, subject],
            "case_type": [None, case_type],
            "priority": [None, priority],
            "lines": [None, {str(line.pk): plain(q) for line, q in picked}],
        },
    )
    _emit(
        case,
        CaseEvent.CREATED,
        actor,
        case_type=case.case_type,
        priority=case.priority,
        first_response_due=case.first_response_due,
        resolution_due=case.resolution_due,
        attachments=len(stored),
    )
    return case


@transaction.atomic
def case_update(*, case: Case, actor, version: int | None = None, **values) -> Case:
    """Change the subject, description, type, priority, channel, assignee or team.

    A new type or priority gives new SLA targets from the case's start. A stale ``version``
    raises ``service.stale_version``; a write that changes nothing writes nothing."""
    _access(case.company, actor)
    locked = lock_case(case)
    _check_version(locked, version)
    errors = FieldErrors()
    changes: dict[str, list] = {}
    for field in EDITABLE_FIELDS:
        if field not in values:
            continue
        raw = values[field]
        if field in ("subject", "description"):
            new = errors.text(field, raw, Case._meta.get_field(field))
            if field == "subject":
                errors.required(field, new)
        else:
            choices = {"case_type": CaseType, "priority": CasePriority, "channel": CaseChannel}
            new = _choice(errors, field, raw, choices[field], getattr(locked, field))
        if new is not None and new != getattr(locked, field):
            changes[field] = [getattr(locked, field), new]
    for field, finder in (("assignee", _member), ("team", _team)):
        if field not in values:
            continue
        new = (
            finder(locked.company, values[field], errors, field)
            if field == "assignee"
            else finder(locked.company, values[field], errors)
        )
        if values[field] not in (None, "") and new is None:
            continue
        if getattr(new, "pk", None) != getattr(locked, f"{field}_id"):
            changes[field] = [getattr(locked, f"{field}_id"), getattr(new, "pk", None), new]
    errors.raise_if_any()
    if not changes:
        return locked
    for field, change in changes.items():
        setattr(locked, field, change[2] if field in ("assignee", "team") else change[1])
    if locked.team_id is None and "assignee" in changes and locked.assignee:
        locked.team = _team_of(locked.company, locked.assignee)
    if {"case_type", "priority"} & changes.keys():
        sla.retarget(locked)
    locked.version += 1
    locked.save()
    recorded = {
        k: [str(v[0]) if v[0] else v[0], str(v[1]) if v[1] else v[1]] for k, v in changes.items()
    }
    audit.record(actor=actor, entity=locked, action="update", changes=recorded)
    _emit(locked, CaseEvent.UPDATED, actor, fields=sorted(changes))
    return locked


def _reopen_guard(case: Case, now) -> None:
    settings_row = sla.settings_for(case.company)
    resolved = case.resolved_at or case.closed_at
    if resolved and now > resolved + datetime.timedelta(days=settings_row.reopen_days):
        raise ReopenWindowPassed(
            params={"days": settings_row.reopen_days}, details={"resolved_at": resolved.isoformat()}
        )


@transaction.atomic
def case_action(
    *, case: Case, actor, action: str, version: int | None = None, note: str = ""
) -> Case:
    """Run one action of ``service.workflow`` on the case.

    Repeating an action where it already took effect is a no-op; one not allowed from the
    status raises ``service.invalid_transition``; resolve and cancel need a note (the
    resolution, the reason). Waiting pauses the resolution clock and counts as the first
    response; leaving waiting resumes it; reopening (within the window) plans the clocks on."""
    row = workflow.ACTIONS.get(action)
    if row is None:
        raise ValidationFailed(details={"fields": {"action": [_("Unknown action.")]}})
    _access(case.company, actor, row.permission)
    locked = lock_case(case)
    if row.already_done(locked.status):
        return locked
    _check_version(locked, version)
    if not row.allowed(locked.status):
        raise InvalidTransition(
            params={"status": locked.get_status_display()},
            details={"status": locked.status, "action": action},
        )
    errors = FieldErrors()
    note = errors.text("note", note, Case._meta.get_field("resolution")) or ""
    if row.needs_note and not note:
        errors.add("note", _("Say why."))
    errors.raise_if_any()
    now = timezone.now()
    before = locked.status
    if row is workflow.REOPEN:
        _reopen_guard(locked, now)
    if before in workflow.PAUSED and row.target not in workflow.PAUSED:
        sla.resume(locked, actor, now)
    locked.status = row.target
    if row is workflow.WAIT:
        if locked.first_response_at is None:
            locked.first_response_at = now
        sla.pause(locked, actor, now)
    elif row is workflow.RESOLVE:
        locked.resolved_at = now
        locked.resolution = note
    elif row is workflow.CLOSE:
        locked.closed_at = now
    elif row is workflow.CANCEL:
        locked.status_note = note[:500]
    elif row is workflow.REOPEN:
        # the time spent resolved does not count against the resolution target
        calendar = sla.calendar_for(locked.company)
        locked.paused_minutes += calendar.minutes_between(locked.resolved_at or now, now)
        locked.resolved_at = locked.closed_at = None
        sla.plan(locked, calendar, sla.settings_for(locked.company).warning_percent)
    sla.refresh_state(locked, now)
    locked.version += 1
    locked.save()
    audit.record(
        actor=actor,
        entity=locked,
        action=row.name,
        changes={"status": [before, locked.status], **({"note": [None, note]} if note else {})},
    )
    _emit(locked, row.event, actor, note=note, from_status=before)
    return locked


def cases_auto_close(now=None, batch: int = 200) -> int:
    """Close the resolved cases whose company's ``close_after_days`` have passed since they
    were resolved (0: never), as the system: the ``close`` row of the workflow, its audit
    entry and ``case.closed`` with ``automatic: true``. Periodic (``ordercrm worker`` beside
    the SLA check; ``ordercrm close_resolved_cases`` for cron). Each case in its own
    transaction, locked and re-read, so two workers close it once; the customer may still
    reopen it within the reopen window. Returns how many closed."""
    now = now or timezone.now()
    windows = dict(ServiceSettings.objects.unscoped().values_list("company_id", "close_after_days"))
    default = ServiceSettings._meta.get_field("close_after_days").default
    closed = 0
    companies = (
        Case.objects.unscoped()
        .filter(status=workflow.CaseStatus.RESOLVED)
        .values_list("company_id", flat=True)
        .distinct()
    )
    for company_id in list(companies):
        days = windows.get(company_id, default)
        if not days:
            continue
        cutoff = now - datetime.timedelta(days=days)
        due = (
            Case.objects.for_company(company_id)
            .filter(status=workflow.CaseStatus.RESOLVED, resolved_at__lte=cutoff)
            .order_by("resolved_at")
            .values_list("pk", flat=True)[:batch]
        )
        for case_id in list(due):
            closed += _auto_close(company_id, case_id, cutoff, days, now)
    return closed


@transaction.atomic
def _auto_close(company_id, case_id, cutoff, days: int, now) -> int:
    case = lock_case(Case(pk=case_id, company_id=company_id))
    if case.status != workflow.CaseStatus.RESOLVED or not case.resolved_at:
        return 0
    if case.resolved_at > cutoff:
        return 0
    row = workflow.CLOSE
    case.status = row.target
    case.closed_at = now
    sla.refresh_state(case, now)
    case.version += 1
    case.save()
    audit.record(
        actor=None,
        entity=case,
        action=row.name,
        changes={"status": [workflow.CaseStatus.RESOLVED, case.status], "automatic": True},
    )
    _emit(
        case,
        row.event,
        None,
        from_status=workflow.CaseStatus.RESOLVED,
        automatic=True,
        close_after_days=days,
    )
    return 1


def case_act(*, case: Case, actor, action: str, **kwargs) -> Case:
    """``case_action`` by name (the web's and API's one door)."""
    return case_action(case=case, actor=actor, action=action, **kwargs)


# ---------------------------------------------------------------- comments, attachments


def _store_files(case: Case, actor, files, comment: CaseComment | None = None) -> list:
    files = [f for f in (files or []) if f]
    if len(files) > attachments.MAX_PER_COMMENT:
        raise ValidationFailed(
            details={
                "fields": {
                    "files": [
                        _("Attach at most %(count)s files at a time.")
                        % {"count": attachments.MAX_PER_COMMENT}
                    ]
                }
            }
        )
    checked = [(upload, *attachments.check(upload)) for upload in files]
    stored = []
    for upload, content_type, extension, size in checked:
        name = str(upload.name or "file").replace("\x00", "")[-150:]
        base = name.rsplit(".", 1)[0] if "." in name else name
        row = CaseAttachment(
            company=case.company,
            case=case,
            comment=comment,
            name=f"{base}.{extension}"[-200:],
            content_type=content_type,
            size=size,
            uploaded_by=actor,
        )
        upload.seek(0)
        row.file.save(f"{case.number}-{row.pk}.{extension}", ContentFile(upload.read()), save=False)
        row.save()
        stored.append(row)
    return stored


@transaction.atomic
def case_comment_add(
    *, case: Case, actor, body: str, kind: str = CommentKind.REPLY, files=()
) -> CaseComment:
    """A reply to the customer (emailed; the first one is the first response), an internal
    note, or a message logged from the customer (which resumes a case waiting on them).
    Refused on a cancelled case (``service.invalid_transition``)."""
    _access(case.company, actor)
    locked = lock_case(case)
    errors = FieldErrors()
    body = errors.text("body", body, CaseComment._meta.get_field("body"))
    errors.required("body", body)
    kind = _choice(errors, "kind", kind, CommentKind, CommentKind.REPLY)
    errors.raise_if_any()
    if locked.status == CaseStatus.CANCELLED:
        raise InvalidTransition(
            params={"status": locked.get_status_display()}, details={"status": locked.status}
        )
    now = timezone.now()
    comment = CaseComment.objects.create(
        company=locked.company, case=locked, kind=kind, body=body, author=actor, created_at=now
    )
    stored = _store_files(locked, actor, files, comment)
    changed = []
    if kind == CommentKind.REPLY and locked.first_response_at is None:
        locked.first_response_at = now
        changed.append("first_response_at")
    if kind == CommentKind.REPLY and locked.status == CaseStatus.NEW:
        locked.status = CaseStatus.IN_PROGRESS
        changed.append("status")
    if kind == CommentKind.CUSTOMER and locked.status in workflow.PAUSED:
        sla.resume(locked, actor, now)
        locked.status = CaseStatus.IN_PROGRESS
        changed.append("status")
    sla.refresh_state(locked, now)
    locked.version += 1
    locked.save()
    audit.record(
        actor=actor,
        entity=locked,
        action="comment",
        changes={"kind": [None, kind], "attachments": [None, len(stored)], "changed": changed},
    )
    _emit(
        locked,
        CaseEvent.REPLIED if kind == CommentKind.REPLY else CaseEvent.COMMENTED,
        actor,
        comment_id=str(comment.pk),
        kind=kind,
        attachments=len(stored),
    )
    return comment


@transaction.atomic
def case_attach(*, case: Case, actor, files) -> list[CaseAttachment]:
    """Attach photos or PDFs to the case (size and sniffed type checked)."""
    _access(case.company, actor)
    locked = lock_case(case)
    if not [f for f in files or [] if f]:
        raise ValidationFailed(details={"fields": {"files": [_("Choose a file.")]}})
    stored = _store_files(locked, actor, files)
    locked.version += 1
    locked.save(update_fields=["version", "updated_at"])
    audit.record(
        actor=actor,
        entity=locked,
        action="attach",
        changes={"attachments": [None, [a.name for a in stored]]},
    )
    _emit(locked, CaseEvent.COMMENTED, actor, attachments=len(stored), kind="attachment")
    return stored


# ---------------------------------------------------------------- settings


@transaction.atomic
def sla_policy_set(
    *, company, actor, case_type: str, priority: str, response_hours, resolution_hours
) -> SlaPolicy:
    """Upsert the policy of one type × priority (cases opened from now on use it)."""
    _access(company, actor, Perm.SERVICE_SETTINGS)
    errors = FieldErrors()
    case_type = _choice(errors, "case_type", case_type, CaseType)
    priority = _choice(errors, "priority", priority, CasePriority)
    column = SlaPolicy._meta.get_field("response_hours")
    response = errors.decimal(
        "response_hours", response_hours, minimum=Decimal("0.01"), column=column
    )
    resolution = errors.decimal(
        "resolution_hours", resolution_hours, minimum=Decimal("0.01"), column=column
    )
    errors.required("case_type", case_type)
    errors.required("priority", priority)
    if response is not None and resolution is not None and resolution < response:
        errors.add("resolution_hours", _("At least the first-response time."))
    errors.raise_if_any()
    policy, created = SlaPolicy.objects.for_company(company).update_or_create(
        company=company,
        case_type=case_type,
        priority=priority,
        defaults={"response_hours": response, "resolution_hours": resolution},
    )
    audit.record(
        actor=actor,
        entity=policy,
        action="create" if created else "update",
        label=f"{case_type}/{priority}",
        changes={
            "response_hours": [None, plain(response)],
            "resolution_hours": [None, plain(resolution)],
        },
    )
    return policy


MAX_CALENDAR_RANGE_DAYS = 366


def _date(errors: FieldErrors, field: str, value) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        errors.add(field, _("Enter a valid date."))
        return None


@transaction.atomic
def calendar_day_set(
    *, company, actor, date, is_working: bool, name: str = "", until=None
) -> CalendarDay:
    """The company's word on one date (a holiday, or a working day), over the weekly hours
    and China's calendar — or on every date from ``date`` to ``until`` (a company holiday
    week; at most 366 days, ``until`` not before ``date``). Returns the first day. Open
    cases keep their stored due times."""
    _access(company, actor, Perm.SERVICE_SETTINGS)
    errors = FieldErrors()
    name = errors.text("name", name, CalendarDay._meta.get_field("name")) or ""
    date = _date(errors, "date", date)
    last = date if until in (None, "") else _date(errors, "until", until)
    if date and last:
        if last < date:
            errors.add("until", _("Not before the first date."))
        elif (last - date).days >= MAX_CALENDAR_RANGE_DAYS:
            errors.add(
                "until", _("At most %(days)s days at a time.") % {"days": MAX_CALENDAR_RANGE_DAYS}
            )
    errors.raise_if_any()
    first = None
    for offset in range((last - date).days + 1):
        day_date = date + datetime.timedelta(days=offset)
        day, created = CalendarDay.objects.for_company(company).update_or_create(
            company=company, date=day_date, defaults={"is_working": bool(is_working), "name": name}
        )
        audit.record(
            actor=actor,
            entity=day,
            action="create" if created else "update",
            label=day_date.isoformat(),
            changes={"is_working": [None, bool(is_working)], "name": [None, name]},
        )
        first = first or day
    return first


def _weekly_intervals(errors: FieldErrors, weekday: int, text) -> list[tuple]:
    """``"09:00-12:00, 13:30-18:00"`` (or pairs of times) as sorted intervals of one weekday;
    problems go to the field ``day_N``."""
    field = f"day_{weekday}"
    parts = (
        text if isinstance(text, list | tuple) else str(text or "").replace("，", ",").split(",")
    )
    intervals = []
    for part in parts:
        if isinstance(part, list | tuple):
            pair = part
        else:
            if not part.strip():
                continue
            pair = [p.strip() for p in part.replace("–", "-").replace("~", "-").split("-")]
        try:
            start, end = (
                t if isinstance(t, datetime.time) else datetime.time.fromisoformat(t) for t in pair
            )
        except (TypeError, ValueError):
            errors.add(field, _("Write the hours as 09:00-12:00, 13:00-18:00."))
            return []
        if end <= start:
            errors.add(field, _("Each interval must end after it starts."))
            return []
        intervals.append((start, end))
    intervals.sort()
    if any(a[1] > b[0] for a, b in itertools.pairwise(intervals)):
        errors.add(field, _("The intervals of a day must not overlap."))
        return []
    return intervals


@transaction.atomic
def working_hours_set(*, company, actor, week: dict) -> list[WorkingHours]:
    """The company's weekly working hours: ``week`` maps a weekday (0 = Monday … 6 = Sunday)
    to its intervals, as text (``"09:00-12:00, 13:00-18:00"``) or pairs of times; a day left
    out or empty is not worked. Intervals end after they start and do not overlap, and the
    week has at least one. Replaces the old hours, audited; open cases keep their stored due
    times (like calendar days), new clocks count on the new hours."""
    _access(company, actor, Perm.SERVICE_SETTINGS)
    errors = FieldErrors()
    planned = {day: _weekly_intervals(errors, day, week.get(day, "")) for day in range(7)}
    errors.raise_if_any()
    if not any(planned.values()):
        errors.add("day_0", _("Give at least one working interval in the week."))
        errors.raise_if_any()
    rows = WorkingHours.objects.for_company(company)

    def words(items) -> dict:
        found: dict[str, list[str]] = {}
        for day, start, end in items:
            found.setdefault(str(day), []).append(f"{start:%H:%M}-{end:%H:%M}")
        return found

    before = words(rows.order_by("weekday", "start").values_list("weekday", "start", "end"))
    after = words((day, a, b) for day, found in planned.items() for a, b in found)
    if before == after:
        return list(rows.order_by("weekday", "start"))
    rows.delete()
    created = WorkingHours.objects.bulk_create(
        [
            WorkingHours(company=company, weekday=day, start=start, end=end)
            for day, found in planned.items()
            for start, end in found
        ]
    )
    audit.record(
        actor=actor,
        entity=company,
        action="working_hours",
        changes={"working_hours": [before, after]},
    )
    return created


@transaction.atomic
def calendar_day_remove(*, company, actor, date) -> None:
    _access(company, actor, Perm.SERVICE_SETTINGS)
    day = CalendarDay.objects.for_company(company).filter(date=date).first()
    if day is None:
        return
    audit.record(actor=actor, entity=day, action="delete", label=str(date), changes={})
    day.delete()


@transaction.atomic
def warranty_term_set(*, company, actor, months, product=None, category=None) -> WarrantyTerm:
    """Warranty months of a product or of a category (upsert)."""
    _access(company, actor, Perm.SERVICE_SETTINGS)
    errors = FieldErrors()
    try:
        months = int(months)
        if not 1 <= months <= 240:
            raise ValueError
    except (TypeError, ValueError):
        errors.add("months", _("Enter a whole number of months from 1 to 240."))
    if (product is None) == (category is None):
        errors.add("product", _("Choose a product or a category."))
    errors.raise_if_any()
    target = {"product": product} if product is not None else {"category": category}
    term, created = WarrantyTerm.objects.for_company(company).update_or_create(
        company=company, **target, defaults={"months": months}
    )
    audit.record(
        actor=actor,
        entity=term,
        action="create" if created else "update",
        label=str(product or category),
        changes={"months": [None, months]},
    )
    return term


@transaction.atomic
def service_settings_update(*, company, actor, **values) -> ServiceSettings:
    _access(company, actor, Perm.SERVICE_SETTINGS)
    service_defaults(company)
    row = ServiceSettings.objects.for_company(company).select_for_update().get()
    errors = FieldErrors()
    changes = {}
    for field, low, high in (
        ("reopen_days", 0, 3650),
        ("warning_percent", 1, 99),
        ("close_after_days", 0, 3650),
    ):
        if field in values:
            try:
                number = int(values[field])
                if not low <= number <= high:
                    raise ValueError
            except (TypeError, ValueError):
                errors.add(
                    field,
                    _("Enter a whole number from %(low)s to %(high)s.")
                    % {"low": low, "high": high},
                )
                continue
            if number != getattr(row, field):
                changes[field] = [getattr(row, field), number]
    if "use_china_calendar" in values:
        flag = bool(values["use_china_calendar"])
        if flag != row.use_china_calendar:
            changes["use_china_calendar"] = [row.use_china_calendar, flag]
    errors.raise_if_any()
    if changes:
        for field, (_old, new) in changes.items():
            setattr(row, field, new)
        row.save()
        audit.record(actor=actor, entity=row, action="update", label="service", changes=changes)
    return row


def case_return_create(
    access, case: Case, lines: list[dict[str, Any]], *, notes: str = "", return_instructions=""
):
    """A return authorisation (RMA) from a case: for lines of the case's own order, linked to
    the case by ``case_id`` (returns sits below service and knows cases only by id). The case
    must be visible to the caller and linked to an order (``service.case_without_order``);
    everything else — what can still be returned, under the order's lock — is
    ``returns.services.rma_create``'s rule."""
    case = selectors.case_get(access, case.pk)
    if case.order_id is None:
        raise CaseWithoutOrder()
    order = sales_selectors.order_get(access, case.order_id)
    return returns_services.rma_create(
        access,
        order,
        lines,
        case_id=case.pk,
        notes=notes,
        return_instructions=return_instructions,
    )
