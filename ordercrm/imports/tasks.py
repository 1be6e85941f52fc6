"""Background work of imports, run by ``ordercrm worker`` (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from ordercrm.imports import services


@task()
def run_import(job_id: str) -> str:
    """Check or apply the rows of an import job (its status says which)."""
    job = services.import_run(job_id)
    return job.status if job is not None else "missing"
