"""Reads of imports: a company's jobs and a job's row outcomes, for those who may import."""

from __future__ import annotations

from django.db.models import QuerySet

from ordercrm.core.exceptions import NotFound
from ordercrm.core.ids import parse_id
from ordercrm.core.permissions import Perm
from ordercrm.imports.models import ImportJob, ImportRow


def job_list(access) -> QuerySet[ImportJob]:
    access.require(Perm.DATA_IMPORT)
    return (
        ImportJob.objects.for_company(access.company)
        .select_related("created_by", "applied_by")
        .defer("content")
        .order_by("-created_at")
    )


def job_get(access, job_id) -> ImportJob:
    job = job_list(access).filter(pk=parse_id(job_id)).first()
    if job is None:
        raise NotFound()
    return job


def job_rows(job: ImportJob, action: str | None = None) -> QuerySet[ImportRow]:
    rows = ImportRow.objects.for_company(job.company_id).filter(job=job)
    return rows.filter(action=action) if action else rows
