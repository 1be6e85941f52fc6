"""API v1: after-sales cases, their actions (one endpoint per row of
``service.workflow``) and comments. Same conventions as orders: ``Idempotency-Key`` on every
POST (the middleware), ``ETag`` = the case's version on reads, ``If-Match`` or ``version`` on
writes (a stale one is 412 / 409 ``service.stale_version``), errors in the one shape."""

from __future__ import annotations

from typing import Literal

from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Router, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile

from ordercrm.api.base import Loaded, page, version_from
from ordercrm.api.v1 import service_schemas as s
from ordercrm.api.v1.common import with_errors
from ordercrm.core.db import reading_from_replica
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.permissions import Perm
from ordercrm.returns import selectors as returns_selectors
from ordercrm.service import selectors, services, workflow
from ordercrm.service.models import CaseLine, SlaState
from ordercrm.service.workflow import CaseStatus

router = Router()
FILES = File(..., description="Photos or PDFs (multipart field ``files``, repeatable).")


def _case_out(case, response: HttpResponse | None = None, access=None):
    lines = list(CaseLine.objects.for_company(case.company_id).filter(case=case).order_by("id"))
    if response is not None:
        response["ETag"] = f'"{case.version}"'
    returns = []
    if access is not None and access.can(Perm.ORDER_VIEW):
        rmas = list(returns_selectors.rma_list(access, case_id=case.pk)[:50])
        repairs = returns_selectors.repair_lines_of(rmas)
        returns = [Loaded(rma, loaded_repairs=repairs.get(rma.pk, [])) for rma in rmas]
    return Loaded(case, loaded_lines=lines, loaded_returns=returns)


def _case_of(request, case_id):
    return selectors.case_get(request.access, case_id)


@router.get("/cases", response=with_errors({200: s.CasePage}), tags=["cases"])
@decorate_view(reading_from_replica())
def cases_list(
    request,
    queue: Literal["mine", "team", "unassigned", "all"] = "all",
    status: Literal[
        "new", "in_progress", "waiting", "resolved", "closed", "cancelled", "open", ""
    ] = "",
    customer_id: str | None = None,
    order_id: str | None = None,
    case_type: Literal[
        "complaint", "return_request", "repair", "question", "warranty_claim", ""
    ] = "",
    priority: Literal["low", "normal", "high", "urgent", ""] = "",
    sla_state: Literal["none", "ok", "warning", "breached", "paused", "met", ""] = "",
    search: str = "",
    limit: int = 50,
    cursor: str | None = None,
):
    """Cases of the customers the caller may see, newest first; ``status=open`` for new, in
    progress and waiting. (The desk's order — breached first, then the nearest due time —
    is the web's; an API list pages by creation.)"""
    if len(search) > 100 or "\x00" in search:
        raise ValidationFailed(details={"fields": {"search": [_("Enter at most 100 characters.")]}})
    cases = selectors.case_list(
        request.access,
        queue=queue,
        status=status if status in CaseStatus.values else "",
        open_only=status == "open",
        customer_id=customer_id,
        order_id=order_id,
        case_type=case_type,
        priority=priority,
        sla_state=sla_state if sla_state in SlaState.values else "",
        search=search,
    )
    return page(cases, limit, cursor)


@router.post("/cases", response=with_errors({201: s.CaseOut}), tags=["cases"])
def cases_create(request, body: s.CaseIn, response: HttpResponse):
    case = services.case_create(
        company=request.company,
        actor=request.user,
        customer=body.customer_id,
        order=body.order_id,
        contact=body.contact_id,
        subject=body.subject,
        description=body.description,
        case_type=body.case_type,
        priority=body.priority,
        channel=body.channel,
        assignee=body.assignee_id,
        team=body.team_id,
        lines=[line.dict() for line in body.lines],
    )
    return Status(201, _case_out(_case_of(request, case.pk), response, request.access))


@router.get("/cases/{case_id}", response=with_errors({200: s.CaseOut}), tags=["cases"])
def cases_get(request, case_id: str, response: HttpResponse):
    return _case_out(_case_of(request, case_id), response, request.access)


@router.patch("/cases/{case_id}", response=with_errors({200: s.CaseOut}), tags=["cases"])
def cases_update(request, case_id: str, body: s.CasePatch, response: HttpResponse):
    """Change fields; ``version`` (or ``If-Match``) is required and a stale one refused."""
    case = _case_of(request, case_id)
    values = body.dict(exclude_unset=True)
    version = version_from(request, values.pop("version", None))
    if version is None:
        raise ValidationFailed(details={"fields": {"version": [_("Send If-Match or version.")]}})
    for name in ("assignee", "team"):
        if f"{name}_id" in values:
            values[name] = values.pop(f"{name}_id")
    values = {k: v for k, v in values.items() if v is not None or k in ("assignee", "team")}
    updated = services.case_update(case=case, actor=request.user, version=version, **values)
    return _case_out(_case_of(request, updated.pk), response, request.access)


def _make_action(name: str):
    def handler(request, case_id: str, response: HttpResponse, body: s.CaseActionIn | None = None):
        body = body or s.CaseActionIn()
        case = services.case_action(
            case=_case_of(request, case_id),
            actor=request.user,
            action=name,
            version=version_from(request, body.version),
            note=body.note,
        )
        return _case_out(_case_of(request, case.pk), response, request.access)

    handler.__name__ = f"cases_{name}"
    return handler


for _row in workflow.TABLE:
    router.post(
        f"/cases/{{case_id}}/{_row.path}",
        response=with_errors({200: s.CaseOut}),
        tags=["case actions"],
        summary=f"{_row.name.capitalize()} the case",
    )(_make_action(_row.name))


@router.get(
    "/cases/{case_id}/comments", response=with_errors({200: list[s.CommentOut]}), tags=["cases"]
)
def cases_comments(request, case_id: str):
    return selectors.case_comments(_case_of(request, case_id))


@router.post("/cases/{case_id}/comments", response=with_errors({201: s.CommentOut}), tags=["cases"])
def cases_comment_add(request, case_id: str, body: s.CommentIn):
    """A reply to the customer (emailed to them; the first is the first response), an
    internal note, or a message logged from the customer (resumes a waiting case)."""
    comment = services.case_comment_add(
        case=_case_of(request, case_id), actor=request.user, body=body.body, kind=body.kind
    )
    comment.files = []
    return Status(201, comment)


@router.get(
    "/cases/{case_id}/attachments",
    response=with_errors({200: list[s.AttachmentOut]}),
    tags=["cases"],
)
def cases_attachments(request, case_id: str):
    """The case's photos and PDFs, oldest first (those of comments included)."""
    return selectors.case_attachments(_case_of(request, case_id))


@router.post(
    "/cases/{case_id}/attachments",
    response=with_errors({201: list[s.AttachmentOut]}),
    tags=["cases"],
)
def cases_attach(request, case_id: str, files: list[UploadedFile] = FILES):
    """Attach photos (JPEG, PNG, GIF, WebP) or PDFs, as ``multipart/form-data`` field
    ``files`` (several allowed): each at most ``SERVICE_ATTACHMENT_MAX_BYTES``, its type read
    from its first bytes, not its name (``service.attachment_refused``, nothing stored)."""
    stored = services.case_attach(case=_case_of(request, case_id), actor=request.user, files=files)
    return Status(201, stored)


@router.get(
    "/cases/{case_id}/attachments/{attachment_id}",
    response=with_errors({200: None}),
    tags=["cases"],
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file, as its sniffed type.",
                "content": {
                    t: {"schema": {"type": "string", "format": "binary"}}
                    for t in (
                        "image/jpeg",
                        "image/png",
                        "image/gif",
                        "image/webp",
                        "application/pdf",
                    )
                },
            }
        }
    },
)
def cases_attachment_download(request, case_id: str, attachment_id: str):
    """The file, to a caller who may see the case; ``nosniff`` and, for a PDF, a sandbox
    content security policy (as the web page serves it)."""
    case = _case_of(request, case_id)
    attachment = selectors.attachment_get(request.access, case, attachment_id)
    response = FileResponse(
        attachment.file.open("rb"), content_type=attachment.content_type, filename=attachment.name
    )
    response["X-Content-Type-Options"] = "nosniff"
    if attachment.content_type == "application/pdf":
        response["Content-Security-Policy"] = "sandbox"
    return response
