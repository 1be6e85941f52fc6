"""Write use cases of payment terms with schedules (``settings_edit``): create and change a
term and its instalments. The due-date rules themselves are pure, in ``customers.terms``.

Rules: a term has a unique name and one to ``MAX_LINES`` instalments whose shares add up to
exactly 100 % (``customers.term_percent_total``); each share is above 0; months ≤ 120,
days ≤ 3650, day of month 1–31. One term is the company's default. A change reaches invoices
issued after it; issued invoices keep their instalments.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ordercrm.accounts.access import access_for
from ordercrm.core import audit
from ordercrm.core.exceptions import Conflict, ValidationFailed
from ordercrm.core.money import plain
from ordercrm.core.permissions import Perm
from ordercrm.core.validation import FieldErrors, InvalidValue, bounded_decimal
from ordercrm.core.validation import reason as invalid_reason
from ordercrm.customers.models import PaymentTerm, PaymentTermLine, TermBase

MAX_LINES = 12
LINE_FIELDS = ("percent", "base", "months", "after_month_end", "days", "month_end", "day_of_month")


class TermPercentTotal(ValidationFailed):
    code = "customers.term_percent_total"
    message = gettext_lazy("The instalments' shares must add up to 100 %% (now %(total)s %%).")


class StaleTerm(Conflict):
    code = "customers.stale_version"
    message = gettext_lazy("The payment terms were changed by someone else. Reload them.")


def _whole(value, field: str, errors: dict, *, low: int, high: int, blank_ok=False):
    if value in (None, ""):
        if blank_ok:
            return None
        return 0
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(_("Enter a whole number."))
        return None
    if not low <= number <= high:
        errors.setdefault(field, []).append(
            _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}
        )
        return None
    return number


def _flag(value) -> bool:
    return value in (True, "1", "true", "on", "yes", 1)


def _parse_lines(raw_lines) -> list[dict]:
    """Rows of instalment values, checked together: ``details.lines`` = {index: {field:
    [messages]}}; then the shares' total (``customers.term_percent_total``)."""
    raw_lines = list(raw_lines or [])
    if not raw_lines:
        raise ValidationFailed(details={"fields": {"lines": [_("Add at least one instalment.")]}})
    if len(raw_lines) > MAX_LINES:
        raise ValidationFailed(
            details={
                "fields": {
                    "lines": [_("At most %(n)s instalments.") % {"n": MAX_LINES}],
                }
            }
        )
    problems: dict[str, dict] = {}
    rows = []
    for index, raw in enumerate(raw_lines):
        errors: dict[str, list[str]] = {}
        unknown = set(raw) - set(LINE_FIELDS)
        for name in sorted(unknown):
            errors[name] = [_("Unknown field.")]
        percent = None
        try:
            percent = bounded_decimal(raw.get("percent"), PaymentTermLine, "percent")
        except (InvalidValue, TypeError, ValueError) as error:
            errors["percent"] = [invalid_reason(error)]
        else:
            if not Decimal(0) < percent <= 100:
                errors["percent"] = [_("Enter a share above 0 and at most 100.")]
        base = raw.get("base") or TermBase.INVOICE
        if base not in TermBase.values:
            errors["base"] = [_("Choose the invoice date or the order date.")]
        row = {
            "percent": percent,
            "base": base,
            "months": _whole(raw.get("months"), "months", errors, low=0, high=120),
            "after_month_end": _flag(raw.get("after_month_end")),
            "days": _whole(raw.get("days"), "days", errors, low=0, high=3650),
            "month_end": _flag(raw.get("month_end")),
            "day_of_month": _whole(
                raw.get("day_of_month"), "day_of_month", errors, low=1, high=31, blank_ok=True
            ),
        }
        if errors:
            problems[str(index)] = errors
        rows.append(row)
    if problems:
        raise ValidationFailed(details={"lines": problems})
    total = sum((row["percent"] for row in rows), Decimal(0))
    if total != 100:
        raise TermPercentTotal(params={"total": plain(total)}, details={"total": plain(total)})
    return rows


def _parse_advance(value) -> Decimal:
    """The required advance (%): 0 (none) to 100, or ``ValidationFailed`` naming it."""
    if value in (None, ""):
        return Decimal(0)
    try:
        percent = bounded_decimal(value, PaymentTerm, "advance_percent")
    except (InvalidValue, TypeError, ValueError) as error:
        raise ValidationFailed(
            details={"fields": {"advance_percent": [invalid_reason(error)]}}
        ) from None
    if not Decimal(0) <= percent <= 100:
        raise ValidationFailed(details={"fields": {"advance_percent": [_("Enter 0 to 100.")]}})
    return percent


def _write_lines(term: PaymentTerm, rows: list[dict]) -> None:
    PaymentTermLine.objects.for_company(term.company_id).filter(term=term).delete()
    PaymentTermLine.objects.bulk_create(
        [
            PaymentTermLine(company_id=term.company_id, term=term, position=n, **row)
            for n, row in enumerate(rows, start=1)
        ]
    )


def _longest_days(rows: list[dict]) -> int:
    """The term's ``days`` (its place in lists): the last instalment's delay, roughly."""
    return min(max(row["months"] * 30 + row["days"] for row in rows), 32767)


def _check_name(company_id, name: str, errors: FieldErrors, exclude=None) -> str:
    name = (name or "").strip()[:64]
    errors.required("name", name)
    taken = PaymentTerm.objects.for_company(company_id).filter(name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if name and taken.exists():
        errors.add("name", _("Payment terms with this name already exist."))
    return name


def _make_default(term: PaymentTerm) -> None:
    PaymentTerm.objects.for_company(term.company_id).filter(is_default=True).exclude(
        pk=term.pk
    ).update(is_default=False)


@transaction.atomic
def payment_term_create(
    *, company, actor, name: str, lines, is_default: bool = False, advance_percent=None
):
    """A payment term with its instalments (``settings_edit``); see the module rules. With
    ``advance_percent`` its orders are not dispatched before that share of their total is
    paid (``fulfilment.advance_unpaid``), and the advance is deducted from the final invoice."""
    access_for(actor, company).require(Perm.SETTINGS_EDIT)
    errors = FieldErrors()
    name = _check_name(company.pk, name, errors)
    errors.raise_if_any()
    advance = _parse_advance(advance_percent)
    rows = _parse_lines(lines)
    term = PaymentTerm(
        company=company, name=name, days=_longest_days(rows), advance_percent=advance
    )
    if is_default:
        # the one default moves here (a partial unique constraint allows one)
        PaymentTerm.objects.for_company(company).filter(is_default=True).update(is_default=False)
        term.is_default = True
    term.save()
    _write_lines(term, rows)
    audit.record(
        actor=actor,
        entity=term,
        action="create",
        changes={"name": [None, name], "schedule": [None, term.describe()]},
    )
    return term


@transaction.atomic
def payment_term_update(
    *,
    term: PaymentTerm,
    actor,
    name=None,
    lines=None,
    is_default=None,
    version=None,
    advance_percent=None,
) -> PaymentTerm:
    """Rename a term, replace its instalments or make it the default (``settings_edit``).
    A stale ``version`` is refused (``customers.stale_version``); nothing changes on a
    refusal. Invoices already issued keep their instalments."""
    access_for(actor, term.company).require(Perm.SETTINGS_EDIT)
    locked = PaymentTerm.objects.for_company(term.company_id).select_for_update().get(pk=term.pk)
    if version is not None and int(version) != locked.version:
        raise StaleTerm(details={"version": locked.version})
    errors = FieldErrors()
    changes: dict = {}
    if name is not None:
        name = _check_name(locked.company_id, name, errors, exclude=locked)
    errors.raise_if_any()
    advance = _parse_advance(advance_percent) if advance_percent is not None else None
    rows = _parse_lines(lines) if lines is not None else None
    before = locked.describe()
    if advance is not None and advance != locked.advance_percent:
        changes["advance_percent"] = [plain(locked.advance_percent), plain(advance)]
        locked.advance_percent = advance
    if name is not None and name != locked.name:
        changes["name"] = [locked.name, name]
        locked.name = name
    if is_default is not None and bool(is_default) != locked.is_default:
        if not is_default:
            raise ValidationFailed(
                details={"fields": {"is_default": [_("Make another term the default instead.")]}}
            )
        _make_default(locked)
        changes["is_default"] = [False, True]
        locked.is_default = True
    if rows is not None:
        _write_lines(locked, rows)
        locked.days = _longest_days(rows)
        after = PaymentTerm.objects.for_company(locked.company_id).get(pk=locked.pk).describe()
        if after != before:
            changes["schedule"] = [before, after]
    if not changes:
        return locked
    locked.version += 1
    locked.save()
    audit.record(actor=actor, entity=locked, action="update", changes=changes)
    return locked
