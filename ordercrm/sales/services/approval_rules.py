"""Approval rules as company settings: create a rule with its steps, the defaults a new company
starts with, switch a rule on or off.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ordercrm.accounts.access import access_for
from ordercrm.core import audit
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.permissions import Perm
from ordercrm.core.validation import bounded_decimal
from ordercrm.core.validation import reason as invalid_reason
from ordercrm.sales.models import ApprovalRule, ApprovalRuleStep, RuleKind


@transaction.atomic
def approval_rule_create(
    *,
    company,
    actor,
    name: str,
    kind: str,
    threshold=None,
    steps: list[dict[str, Any]] | tuple = (),
) -> ApprovalRule:
    """An approval rule with its sequential steps: ``[{"role": "sales_manager"},
    {"role": "finance", "approvers": [user, …]}]`` (a step with approvers is satisfied by
    any one of them, or by anyone with its role). No steps: anyone who may approve."""
    from ordercrm.accounts.roles import Role

    access_for(actor, company).require(Perm.SETTINGS_EDIT)
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = [_("This field is required.")]
    if kind not in RuleKind.values:
        errors["kind"] = [_("Unknown condition.")]
    needs_threshold = kind in (
        RuleKind.ORDER_TOTAL,
        RuleKind.LINE_DISCOUNT,
        RuleKind.MARGIN,
        RuleKind.OVERDUE_INVOICES,
    )
    if threshold not in (None, ""):
        try:
            threshold = bounded_decimal(threshold, ApprovalRule, "threshold")
        except (TypeError, ValueError) as error:
            errors["threshold"] = [invalid_reason(error)]
    elif needs_threshold:
        errors["threshold"] = [_("This condition needs a threshold.")]
    for index, step in enumerate(steps):
        if step.get("role") and step["role"] not in Role.values:
            errors.setdefault("steps", []).append(_("Step %(n)s: unknown role.") % {"n": index + 1})
    if errors:
        raise ValidationFailed(details={"fields": errors})
    rule = ApprovalRule.objects.create(
        company=company,
        name=name.strip(),
        kind=kind,
        threshold=threshold if threshold not in (None, "") else None,
    )
    for position, step in enumerate(steps, start=1):
        made = ApprovalRuleStep.objects.create(
            company=company, rule=rule, position=position, role=step.get("role", "")
        )
        if step.get("approvers"):
            made.approvers.set(step["approvers"])
    audit.record(
        actor=actor,
        entity=rule,
        action="create",
        changes={
            "kind": [None, kind],
            "threshold": [None, str(threshold) if threshold not in (None, "") else None],
            "steps": [
                None,
                [
                    {
                        "role": s.get("role", ""),
                        "approvers": [str(getattr(u, "pk", u)) for u in s.get("approvers", [])],
                    }
                    for s in steps
                ],
            ],
        },
    )
    return rule


# What a new company starts with, so that no price, discount or size of order confirms without
# review until an administrator decides otherwise (rules can be switched off, never deleted).
DEFAULT_RULES = (
    (
        RuleKind.BELOW_PRICE_LIST,
        Decimal("10"),
        gettext_lazy("Unit price more than 10% below the price list"),
    ),
    (RuleKind.LINE_DISCOUNT, Decimal("15"), gettext_lazy("Discount above 15%")),
    (RuleKind.ORDER_TOTAL, Decimal("50000"), gettext_lazy("Order total of 50,000 or more")),
)


@transaction.atomic
def approval_rules_setup_defaults(*, company) -> list[ApprovalRule]:
    """Give a company the default approval rules (``DEFAULT_RULES``: a unit price more than
    10 % below the price list, an effective line discount above 15 %, an order total of
    50,000 or more in the company currency), named in its language and approved by anyone
    who may approve orders. Kinds the company already has a rule for are left alone, so
    running it again adds nothing."""
    from django.utils import translation

    have = set(ApprovalRule.objects.for_company(company).values_list("kind", flat=True))
    made = []
    with translation.override(company.default_language):
        for kind, threshold, name in DEFAULT_RULES:
            if kind not in have:
                made.append(
                    ApprovalRule.objects.create(
                        company=company, name=str(name), kind=kind, threshold=threshold
                    )
                )
    return made


@transaction.atomic
def approval_rule_set_active(*, rule: ApprovalRule, actor, active: bool) -> ApprovalRule:
    """Switch a rule on or off. Orders already waiting keep the steps they were given;
    the change applies from the next submission."""
    access_for(actor, rule.company).require(Perm.SETTINGS_EDIT)
    if rule.is_active != active:
        rule.is_active = active
        rule.save(update_fields=["is_active"])
        audit.record(
            actor=actor, entity=rule, action="update", changes={"is_active": [not active, active]}
        )
    return rule
