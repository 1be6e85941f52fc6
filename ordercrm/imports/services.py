"""Write use cases of imports: upload, column mapping, preview, apply, and the background run.

The flow: ``import_upload`` keeps the file in the database and suggests a mapping from the
headers (the company's last mapping for the kind first, then the column labels in every
language); ``import_mapping_set`` stores the user's mapping (and remembers it for the
company); ``import_preview`` and ``import_apply`` queue :func:`import_run` on the task
worker. The preview runs every row through its service inside a transaction that is rolled
back, so it reports exactly what the apply will do (create / update / unchanged / error with
the reason in the uploader's language) and writes nothing. The apply commits chunk by chunk,
each row in its own savepoint, and records progress after each chunk, so the page's bar
moves and a worker that dies part-way can be restarted: rows already written are unchanged
the second time.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import tablib
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ordercrm.accounts.access import access_for
from ordercrm.core import audit
from ordercrm.core.context import change_source
from ordercrm.core.exceptions import Conflict, NotFound, ValidationFailed
from ordercrm.core.models import Company
from ordercrm.core.permissions import Perm
from ordercrm.core.spreadsheets import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, write_csv, write_xlsx
from ordercrm.imports.kinds import KINDS, Kind
from ordercrm.imports.models import ImportJob, ImportMapping, ImportRow, JobStatus, RowAction
from ordercrm.imports.reading import read_table

CHUNK_ROWS = 500
MAX_FILE_BYTES = 20 * 1024 * 1024


class UnknownKind(NotFound):
    code = "imports.unknown_kind"
    message = gettext_lazy("There is no import of this kind.")


class WrongColumns(ValidationFailed):
    code = "imports.wrong_columns"
    message = gettext_lazy(
        "None of the file's columns is one this import knows. Its first row must name the "
        "columns, for example: %(columns)s."
    )

    def __init__(self, kind: Kind, **kwargs):
        super().__init__(**kwargs)
        self.kind = kind

    @property
    def text(self) -> str:
        names = ", ".join(str(c.label) for c in self.kind.columns if c.required) or ", ".join(
            str(c.label) for c in self.kind.columns[:3]
        )
        return str(self.message) % {"columns": names}


class JobBusy(Conflict):
    code = "imports.job_state"
    message = gettext_lazy("This import cannot do that now.")


def require_import(actor, company: Company, kind: Kind) -> None:
    """May call: ``data_import`` and the kind's own right (its service checks it again)."""
    access = access_for(actor, company)
    access.require(Perm.DATA_IMPORT)
    access.require(kind.permission)


def may_import(access, kind: Kind) -> bool:
    return access.can(Perm.DATA_IMPORT) and access.can(kind.permission)


def _kind(name: str) -> Kind:
    kind = KINDS.get(name)
    if kind is None:
        raise UnknownKind(details={"kind": name})
    return kind


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def suggest_mapping(kind: Kind, headers: list[str], remembered: dict | None = None) -> dict:
    """Header → column name: the remembered mapping for headers seen before, else a header
    equal (ignoring case, spaces and punctuation) to a column's name, its label in any
    language, or one of its aliases. Each column is used once."""
    names: dict[str, str] = {}
    for column in kind.columns:
        candidates = {column.name, *column.aliases}
        for language in ("en", "zh-hans", "zh-hant"):
            with translation.override(language):
                candidates.add(str(column.label))
        for candidate in candidates:
            names.setdefault(_normal(candidate), column.name)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        if not header:
            continue
        chosen = (remembered or {}).get(header) or names.get(_normal(header))
        if chosen and chosen not in used and kind.column(chosen):
            mapping[header] = chosen
            used.add(chosen)
    return mapping


@transaction.atomic
def import_upload(
    *,
    company: Company,
    actor,
    kind: str,
    file_name: str,
    content: bytes,
    require_columns: bool = True,
) -> ImportJob:
    """Keep an uploaded file as a new job with a suggested mapping. Raises
    ``imports.unreadable_file`` (not CSV/XLSX, empty, undecodable), ``imports.too_many_rows``,
    ``core.validation_failed`` (larger than 20 MB) and, with ``require_columns``,
    ``imports.wrong_columns`` when no header names a column of the kind; nothing is kept."""
    chosen = _kind(kind)
    require_import(actor, company, chosen)
    if len(content) > MAX_FILE_BYTES:
        raise ValidationFailed(details={"fields": {"file": [_("The file is larger than 20 MB.")]}})
    dataset, encoding = read_table(content, file_name)
    headers = list(dataset.headers or [])
    remembered = ImportMapping.objects.for_company(company).filter(kind=kind).first()
    mapping = suggest_mapping(chosen, headers, remembered.mapping if remembered else None)
    if require_columns and not mapping:
        raise WrongColumns(chosen, details={"headers": headers[:50]})
    job = ImportJob.objects.create(
        company=company,
        kind=kind,
        created_by=actor,
        language=translation.get_language() or "en",
        file_name=(file_name or "upload")[-200:],
        content=content,
        encoding=encoding,
        headers=headers,
        mapping=mapping,
        total_rows=len(dataset),
    )
    audit.record(
        actor=actor,
        entity=job,
        action="upload",
        changes={"kind": kind, "file": job.file_name, "rows": job.total_rows},
    )
    return job


def _lock(job: ImportJob) -> ImportJob:
    return ImportJob.objects.for_company(job.company_id).select_for_update().get(pk=job.pk)


@transaction.atomic
def import_mapping_set(*, job: ImportJob, actor, mapping: dict[str, str]) -> ImportJob:
    """Choose which file column feeds which field (empty = ignored). Every required column
    must be fed, by one file column only. The mapping is remembered for the company."""
    kind = _kind(job.kind)
    require_import(actor, job.company, kind)
    job = _lock(job)
    if job.status in (JobStatus.PREVIEWING, JobStatus.APPLYING, JobStatus.APPLIED):
        raise JobBusy()
    chosen = {h: f for h, f in mapping.items() if f and h in job.headers}
    errors: dict[str, list[str]] = {}
    for header, name in chosen.items():
        if kind.column(name) is None:
            errors.setdefault(header, []).append(_("Choose one of the listed fields."))
    for name, count in Counter(chosen.values()).items():
        if count > 1:
            errors.setdefault(name, []).append(
                _("%(field)s is chosen for more than one column.") % {"field": kind.label_of(name)}
            )
    for column in kind.columns:
        if column.required and column.name not in chosen.values():
            errors.setdefault(column.name, []).append(
                _("Choose the file column for %(field)s.") % {"field": column.label}
            )
    if errors:
        raise ValidationFailed(details={"fields": errors})
    job.mapping = chosen
    job.status = JobStatus.UPLOADED
    job.save(update_fields=["mapping", "status", "updated_at"])
    ImportMapping.objects.update_or_create(
        company=job.company, kind=job.kind, defaults={"mapping": chosen}
    )
    return job


def _start(job: ImportJob, actor, *, apply: bool, enqueue: bool = True) -> ImportJob:
    kind = _kind(job.kind)
    require_import(actor, job.company, kind)
    job = _lock(job)
    allowed = (JobStatus.PREVIEWED,) if apply else (JobStatus.UPLOADED, JobStatus.PREVIEWED)
    if job.status not in allowed:
        raise JobBusy(details={"status": job.status})
    if not job.mapping:
        raise ValidationFailed(details={"fields": {"mapping": [_("Choose the columns first.")]}})
    job.status = JobStatus.APPLYING if apply else JobStatus.PREVIEWING
    job.processed_rows, job.counts, job.failure = 0, {}, ""
    if apply:
        job.applied_by, job.applied_at = actor, timezone.now()
    job.save()
    if enqueue:
        from ordercrm.imports import tasks

        transaction.on_commit(lambda: tasks.run_import.enqueue(job_id=str(job.pk)))
    return job


@transaction.atomic
def import_preview(*, job: ImportJob, actor, enqueue: bool = True) -> ImportJob:
    """Queue the check of every row; nothing is written. With ``enqueue=False`` the caller
    runs :func:`import_run` itself (the console command, synchronously)."""
    return _start(job, actor, apply=False, enqueue=enqueue)


@transaction.atomic
def import_apply(*, job: ImportJob, actor, enqueue: bool = True) -> ImportJob:
    """Queue the import of a checked job (the user confirmed its preview). Only a job whose
    preview is done can start: a second confirm (double click, two tabs) finds it importing
    or imported and raises ``imports.job_state``, so nothing is applied twice."""
    return _start(job, actor, apply=True, enqueue=enqueue)


def _json_cell(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def mapped_chunks(job: ImportJob, size: int = CHUNK_ROWS):
    """The job's file as chunks of ``(numbers, original rows, dataset with field headers)``."""
    dataset, _encoding = read_table(bytes(job.content), job.file_name)
    headers = list(dataset.headers or [])
    positions = [(i, job.mapping[h]) for i, h in enumerate(headers) if job.mapping.get(h)]
    fields = [name for _i, name in positions]
    rows = dataset._data  # tablib.Row objects
    for start in range(0, len(rows), size):
        chunk = tablib.Dataset(headers=fields)
        originals = []
        for row in rows[start : start + size]:
            cells = list(row)
            originals.append([_json_cell(c) for c in cells])
            chunk.append([cells[i] for i, _name in positions])
        # row numbers as a spreadsheet shows them: the header is row 1
        yield list(range(start + 2, start + 2 + len(originals))), originals, chunk


def import_run(job_id, *, progress: Callable[[ImportJob], None] | None = None) -> ImportJob:
    """The worker's body: check (preview) or apply every row of a job, recording progress.

    Runs in the uploader's language (for the reasons) with the change source ``import``;
    rows act as the person who started the step. Any failure of the run itself marks the
    job failed with the reason; a failing row is only that row's error."""
    job = ImportJob.objects.unscoped().select_related("company").filter(pk=job_id).first()
    if job is None or job.status not in (JobStatus.PREVIEWING, JobStatus.APPLYING):
        return job
    apply = job.status == JobStatus.APPLYING
    kind = _kind(job.kind)
    actor = job.applied_by if apply else job.created_by
    counts: Counter = Counter()
    processed = 0
    with translation.override(job.language), change_source("import"):
        try:
            ImportRow.objects.for_company(job.company_id).filter(job=job).delete()
            importer = kind.importer(company=job.company, actor=actor)
            for numbers, originals, chunk in mapped_chunks(job, CHUNK_ROWS):
                with transaction.atomic():
                    outcomes = importer.run(chunk)
                    if not apply:
                        transaction.set_rollback(True)  # the preview writes nothing
                ImportRow.objects.bulk_create(
                    [
                        ImportRow(
                            company_id=job.company_id,
                            job=job,
                            number=number,
                            action=outcome.action,
                            message=outcome.message,
                            values=values,
                        )
                        for number, values, outcome in zip(
                            numbers, originals, outcomes, strict=True
                        )
                    ]
                )
                counts.update(o.action for o in outcomes)
                processed += len(outcomes)
                ImportJob.objects.for_company(job.company_id).filter(pk=job.pk).update(
                    processed_rows=processed, counts=dict(counts), updated_at=timezone.now()
                )
                if progress is not None:
                    job.processed_rows, job.counts = processed, dict(counts)
                    progress(job)
        except Exception as error:  # the run fails as a whole; the page says why
            return _finish(job, actor, JobStatus.FAILED, counts, processed, _failure(error))
        status = JobStatus.APPLIED if apply else JobStatus.PREVIEWED
        return _finish(job, actor, status, counts, processed, "")


def _failure(error: Exception) -> str:
    text = getattr(error, "text", None)
    return str(text) if text else _("The import stopped: %(error)s") % {"error": error}


@transaction.atomic
def _finish(job, actor, status, counts, processed, failure) -> ImportJob:
    job = _lock(job)
    job.status, job.counts, job.processed_rows, job.failure = (
        status,
        dict(counts),
        processed,
        failure,
    )
    job.total_rows = max(job.total_rows, processed)
    now = timezone.now()
    if status == JobStatus.PREVIEWED:
        job.previewed_at = now
    else:
        job.finished_at = now
    job.save()
    audit.record(
        actor=actor,
        entity=job,
        action={"previewed": "preview", "applied": "apply"}.get(status, "fail"),
        changes={
            "counts": dict(counts),
            "rows": processed,
            **({"failure": failure} if failure else {}),
        },
    )
    return job


def _cell(value):
    """A failed cell as it was read: text that is exactly a number goes back as a number, so
    the CSV of failed rows does not quote ``-3`` as a would-be formula."""
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except ArithmeticError:
            return value
        return number if number.is_finite() and str(number) == value else value
    return value


FAILED_FORMATS = ("csv", "xlsx")


def failed_rows_file(job: ImportJob, fmt: str = "csv") -> tuple[bytes, str, str]:
    """The failed rows as a CSV or XLSX file: ``(content, content type, file name)``."""
    header, rows = failed_rows(job)
    rows = [[_cell(v) for v in row] for row in rows]
    stem = (job.file_name.rsplit(".", 1)[0] or "import")[:80]
    if fmt == "xlsx":
        return write_xlsx(header, rows), XLSX_CONTENT_TYPE, f"{stem}-failed.xlsx"
    return write_csv(header, rows), CSV_CONTENT_TYPE, f"{stem}-failed.csv"


def failed_rows(job: ImportJob) -> tuple[list[str], list[list]]:
    """The header (the file's, plus an error column) and the failed rows as uploaded, to fix
    and upload again."""
    header = [*job.headers, _("Error")]
    rows = [
        [*row.values, row.message]
        for row in ImportRow.objects.for_company(job.company_id)
        .filter(job=job, action=RowAction.ERROR)
        .order_by("number")
    ]
    return header, rows
