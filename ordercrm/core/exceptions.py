"""Domain errors: one stable dotted ``code`` per failure, a translatable message, details.

Services raise them; the API and the web layer translate them once, at the edge, into
``{"error": {"code", "message", "details"}}`` or an inline form error. The message is
rendered lazily so it follows the language active where it is shown, not where it was raised.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business rule refused the operation; nothing was changed.

    ``code`` is a stable identifier clients may switch on; ``message`` a lazy translation
    (use ``%(name)s`` placeholders filled from ``params``); ``details`` machine-readable data.
    """

    code = "core.error"
    message = _("The operation could not be completed.")
    http_status = 400

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ):
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        self.details = details or {}
        self.params = params or {}
        super().__init__(self.code)

    @property
    def text(self) -> str:
        """The message in the active language, with its parameters filled in."""
        message = str(self.message)
        return message % self.params if self.params else message

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.text, "details": self.details}


class NotFound(DomainError):
    """The record does not exist *or* is outside what the caller may see (never say which)."""

    code = "core.not_found"
    message = _("Not found.")
    http_status = 404


class PermissionDenied(DomainError):
    code = "core.permission_denied"
    message = _("You do not have permission to do this.")
    http_status = 403


class ValidationFailed(DomainError):
    """Input is malformed; ``details["fields"]`` maps field names to lists of messages."""

    code = "core.validation_failed"
    message = _("Some values are not valid.")
    http_status = 422


class Conflict(DomainError):
    code = "core.conflict"
    message = _("The record was changed by someone else.")
    http_status = 409


class UnscopedQuery(RuntimeError):
    """A company-owned model was queried without saying which company: a programming error."""
