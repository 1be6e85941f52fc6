import pytest

from ordercrm.core.spreadsheets import write_csv
from ordercrm.imports import services
from ordercrm.imports.models import ImportJob, JobStatus


def csv_bytes(header, rows, encoding="utf-8-sig") -> bytes:
    text = write_csv(header, rows).decode("utf-8")
    return text.lstrip("\ufeff").encode(encoding)


@pytest.fixture
def run_import(company, admin, django_capture_on_commit_callbacks):
    """Upload → suggested mapping → preview → (apply); the task runs at once in tests."""

    def run(kind, content, *, file_name="data.csv", apply=True, actor=None, mapping=None):
        actor = actor or admin
        job = services.import_upload(
            company=company, actor=actor, kind=kind, file_name=file_name, content=content
        )
        job = services.import_mapping_set(job=job, actor=actor, mapping=mapping or job.mapping)
        with django_capture_on_commit_callbacks(execute=True):
            services.import_preview(job=job, actor=actor)
        job = ImportJob.objects.for_company(company).get(pk=job.pk)
        assert job.status == JobStatus.PREVIEWED, job.failure
        if apply:
            with django_capture_on_commit_callbacks(execute=True):
                services.import_apply(job=job, actor=actor)
            job = ImportJob.objects.for_company(company).get(pk=job.pk)
        return job

    return run


def outcomes(job):
    return [(r.number, r.action, r.message) for r in job.rows.order_by("number")]
