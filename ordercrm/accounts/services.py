"""Write use cases for users, memberships and sales teams."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ordercrm.accounts.access import access_for
from ordercrm.accounts.models import Membership, SalesTeam, User
from ordercrm.accounts.roles import DEFAULT_SCOPE, Role
from ordercrm.core import audit
from ordercrm.core.exceptions import Conflict, ValidationFailed
from ordercrm.core.models import Company
from ordercrm.core.permissions import Perm


class UsernameTaken(ValidationFailed):
    code = "accounts.username_taken"
    message = _("This username is already taken.")


class StaleSettings(Conflict):
    """``details["current_version"]``: the settings' version now."""

    code = "accounts.stale_version"
    message = _("The settings were changed by someone else. Reload them and try again.")


class InvalidRole(ValidationFailed):
    code = "accounts.invalid_role"
    message = _("Unknown role.")


def _require_manage_users(actor, company: Company) -> None:
    if actor is not None:  # None: the installer / CLI acting as the system
        access_for(actor, company).require(Perm.USER_MANAGE)


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    company: Company,
    role: str,
    actor=None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    language: str = "",
    team: SalesTeam | None = None,
    check_password: bool = True,
) -> User:
    """Create a user who is a member of ``company`` with ``role``.

    Raises ``accounts.username_taken``, ``accounts.invalid_role`` or
    ``core.validation_failed`` (weak password, unless ``check_password`` is off for demo data).
    """
    _require_manage_users(actor, company)
    if role not in Role.values:
        raise InvalidRole(details={"role": role, "allowed": Role.values})
    if User.objects.filter(username__iexact=username).exists():
        raise UsernameTaken(details={"username": username})
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        language=language,
    )
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed(details={"fields": {"password": exc.messages}}) from exc
    user.set_password(password)
    user.save()
    membership_set(user=user, company=company, role=role, team=team, actor=actor)
    return user


@transaction.atomic
def membership_set(
    *,
    user: User,
    company: Company,
    role: str,
    team: SalesTeam | None = None,
    record_scope: str | None = None,
    actor=None,
) -> Membership:
    """Make ``user`` a member of ``company`` with ``role`` (creating or changing the membership).

    The record scope defaults to the role's (reps see their own records, managers their team's).
    """
    _require_manage_users(actor, company)
    if role not in Role.values:
        raise InvalidRole(details={"role": role, "allowed": Role.values})
    if team is not None and team.company_id != company.pk:
        raise ValidationFailed(details={"fields": {"team": [str(_("Not in this company."))]}})
    membership, _created = Membership.objects.update_or_create(
        user=user,
        company=company,
        defaults={
            "role": role,
            "team": team,
            "record_scope": record_scope or DEFAULT_SCOPE[role],
            "is_active": True,
        },
    )
    user.__dict__.pop("_ordercrm_access", None)
    return membership


@transaction.atomic
def team_create(
    *, company: Company, name: str, manager: User | None = None, actor=None
) -> SalesTeam:
    _require_manage_users(actor, company)
    if SalesTeam.objects.for_company(company).filter(name=name).exists():
        raise ValidationFailed(
            code="accounts.team_exists", details={"fields": {"name": [str(_("Already exists."))]}}
        )
    team = SalesTeam.objects.create(company=company, name=name, manager=manager)
    audit.record(actor=actor, entity=team, action="create", changes={"name": [None, name]})
    return team


SAVED_FILTER_PAGES = ("orders", "invoices", "shipments")


def saved_filter_save(*, user, company: Company, page: str, name: str, query: str):
    """Store (or replace, by name) the user's filter for a list page. The query string is
    kept without its page number, so the filter always opens on the first page."""
    from urllib.parse import parse_qsl, urlencode

    from ordercrm.accounts.models import SavedFilter

    name = name.strip()
    if page not in SAVED_FILTER_PAGES:
        raise ValidationFailed(details={"fields": {"page": [page]}})
    if not name:
        raise ValidationFailed(
            _("Give the filter a name."), details={"fields": {"name": ["required"]}}
        )
    pairs = [(k, v) for k, v in parse_qsl(query) if k not in ("page", "cursor") and v]
    saved, _created = SavedFilter.objects.for_company(company).update_or_create(
        company=company,
        user=user,
        page=page,
        name=name[:100],
        defaults={"query": urlencode(pairs)[:1000]},
    )
    return saved


def saved_filter_delete(*, user, company: Company, filter_id) -> None:
    """Delete one of the user's own saved filters (someone else's is not found)."""
    from ordercrm.accounts.models import SavedFilter
    from ordercrm.core.exceptions import NotFound

    deleted, _rows = (
        SavedFilter.objects.for_company(company).filter(pk=filter_id, user=user).delete()
    )
    if not deleted:
        raise NotFound()


# ---------------------------------------------------------------- company settings

# The order-to-cash part of the settings (the API's ``/settings``): what pricing, approval,
# credit, stock, quoting, delivery and billing do. The rest is the company's identity.
ORDER_TO_CASH_SETTINGS = (
    "prices_include_tax",
    "tax_rounding",
    "rounding_mode",
    "approval_threshold",
    "exchange_rate_tolerance",
    "allow_self_approval",
    "credit_policy",
    "stock_policy",
    "shipping_policy",
    "allow_zero_quantity_lines",
    "quotation_validity_days",
    "quotation_expiry_notify",
    "availability_counts_quotations",
    "billing_tolerance",
    "over_delivery_tolerance",
    "under_delivery_tolerance",
)
# Everything the settings page edits: the identity around the order-to-cash settings.
COMPANY_SETTINGS = (
    *("name", "legal_name", "tax_id", "default_language", "timezone"),
    *ORDER_TO_CASH_SETTINGS,
    *("email", "phone", "address"),
)


@transaction.atomic
def company_update(*, company: Company, actor, version: int | None = None, **changes) -> Company:
    """Change the company's settings (only those in ``COMPANY_SETTINGS``: the code and base
    currency are fixed once documents exist; ``settings_edit``). Every value is validated by
    the model's own field rules (``core.validation_failed`` naming the fields); with
    ``version``, a write based on an older version is ``accounts.stale_version``. Nothing
    changes on a refusal; a change is audited field by field and moves the version on."""
    from zoneinfo import available_timezones

    from django.core.exceptions import ValidationError as DjangoValidationError

    access_for(actor, company).require(Perm.SETTINGS_EDIT)
    unknown = set(changes) - set(COMPANY_SETTINGS)
    if unknown:
        raise ValidationFailed(details={"fields": {name: ["read-only"] for name in unknown}})
    locked = Company.objects.select_for_update().get(pk=company.pk)
    if version is not None and int(version) != locked.version:
        raise StaleSettings(details={"current_version": locked.version})
    before = audit.snapshot(locked, COMPANY_SETTINGS)
    # a value equal to the current one (``1.5`` for ``1.5000``) is no change
    values_before = {name: getattr(locked, name) for name in changes}
    for name, value in changes.items():
        setattr(locked, name, value)
    errors: dict[str, list[str]] = {}
    try:
        locked.full_clean(exclude=["code", "base_currency"])
    except DjangoValidationError as exc:
        errors = {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    if locked.timezone not in available_timezones():
        errors.setdefault("timezone", []).append(str(_("Unknown time zone.")))
    if locked.approval_threshold is not None and locked.approval_threshold < 0:
        errors.setdefault("approval_threshold", []).append(str(_("Enter zero or more.")))
    if errors:
        raise ValidationFailed(details={"fields": errors})
    changed = {
        name: change
        for name, change in audit.diff(before, audit.snapshot(locked, COMPANY_SETTINGS)).items()
        if name not in values_before or values_before[name] != getattr(locked, name)
    }
    if changed:
        locked.version += 1
        locked.save()
        audit.record(actor=actor, entity=locked, action="update", changes=changed)
    return locked


@transaction.atomic
def number_sequence_set_next(*, company: Company, actor, key: str, year: int, next_value: int):
    """Start a document sequence at a higher number (say, continuing an old system's
    numbering). Numbers already handed out are never reused: lowering is refused."""
    from ordercrm.core.models import NumberSequence

    access_for(actor, company).require(Perm.SETTINGS_EDIT)
    sequences = NumberSequence.objects.for_company(company).select_for_update()
    sequence = sequences.filter(key=key, year=year).first()
    last = sequence.last_value if sequence else 0
    if next_value <= last:
        raise ValidationFailed(
            _("The next number must be above %(last)s, the last one used."),
            params={"last": last},
            details={"fields": {"next_value": [str(next_value)]}},
        )
    if sequence is None:
        sequence = NumberSequence.objects.create(
            company=company, key=key, year=year, last_value=next_value - 1
        )
    else:
        sequence.last_value = next_value - 1
        sequence.save(update_fields=["last_value"])
    audit.record(
        actor=actor,
        entity=sequence,
        action="update",
        changes={"last_value": [last, next_value - 1]},
    )
    return sequence


@transaction.atomic
def membership_deactivate(*, user: User, company: Company, actor) -> Membership:
    """End a user's access to a company (their records stay, with them as owner). One may
    not lock oneself out."""
    _require_manage_users(actor, company)
    if actor is not None and actor.pk == user.pk:
        raise ValidationFailed(_("You cannot deactivate yourself."))
    membership = Membership.objects.get(user=user, company=company)
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    user.__dict__.pop("_ordercrm_access", None)
    audit.record(
        actor=actor, entity=membership, action="deactivate", changes={"is_active": [True, False]}
    )
    return membership
