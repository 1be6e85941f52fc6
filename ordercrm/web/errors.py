"""Domain errors as the lines a page shows inline, in the user's language."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ordercrm.core.exceptions import DomainError


def error_lines(error: DomainError) -> list[str]:
    """A domain error as readable lines: the message, then field or line problems."""
    texts = [error.text]
    details = error.details or {}
    for field, problems in (details.get("fields") or {}).items():
        texts += [f"{field}: {p}" for p in problems]
    for index, fields in (
        (details.get("lines") or {}).items() if isinstance(details.get("lines"), dict) else []
    ):
        for field, problems in fields.items():
            texts += [
                _("Line %(n)s, %(field)s: %(problem)s")
                % {"n": int(index) + 1, "field": field, "problem": p}
                for p in problems
            ]
    if isinstance(details.get("lines"), list):
        for item in details["lines"]:
            if "shortfall" in item:
                texts.append(
                    _("%(sku)s: %(shortfall)s short (%(available)s available)")
                    % {
                        "sku": item.get("sku", ""),
                        "shortfall": item["shortfall"],
                        "available": item["available"],
                    }
                )
    return texts
