"""Import pages: the job list, upload, column mapping, preview, progress and result.

Thin over ``imports.services`` (every step is one service call) and ``imports.selectors``:
upload → the job page, which shows what the job's status calls for — the column mapping
(the company's last mapping for the kind is suggested), the progress bar while the worker
checks or imports (htmx polls the bar; without script the page refreshes itself), the
preview (create / update / unchanged / error with the reason) with the confirm button, and
the result with the failed rows to download. A second confirm finds the job importing or
imported and only shows it: nothing is applied twice.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ordercrm.core.exceptions import DomainError, NotFound
from ordercrm.core.permissions import Perm
from ordercrm.imports import selectors, services
from ordercrm.imports.kinds import KINDS
from ordercrm.imports.models import RUNNING, JobStatus, RowAction
from ordercrm.web.decorators import member_view

PAGE_SIZE = 50
ROWS_PAGE_SIZE = 100
SHOWN_CELLS = 4


def _kinds(access):
    return [(k.name, k.label) for k in KINDS.values() if services.may_import(access, k)]


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What to import"))
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "CSV (UTF-8 or GBK) or XLSX, up to 20 MB; the first row names the columns."
        ),
        error_messages={
            "required": gettext_lazy("Choose a CSV or XLSX file."),
            "empty": gettext_lazy("The file is empty."),
        },
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds


def _job(request, job_id):
    return selectors.job_get(request.access, job_id)


@member_view
def import_list(request):
    access = request.access
    jobs = selectors.job_list(access)
    page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/import_list.html",
        {"page": page, "kinds": {k.name: k.label for k in KINDS.values()}},
    )


@member_view
def import_new(request):
    access = request.access
    access.require(Perm.DATA_IMPORT)
    kinds = _kinds(access)
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        kinds=kinds,
        initial={"kind": request.GET.get("kind", "")},
    )
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_upload(
                company=access.company,
                actor=request.user,
                kind=form.cleaned_data["kind"],
                file_name=upload.name or "",
                # one byte over the limit is enough for the service to refuse it
                content=upload.read(services.MAX_FILE_BYTES + 1),
            )
        except DomainError as error:
            fields = (error.details or {}).get("fields") or {}
            errors = [error.text, *(p for problems in fields.values() for p in problems)]
        else:
            return HttpResponseRedirect(reverse("import_detail", args=[job.pk]))
    return render(
        request,
        "web/import_new.html",
        {"form": form, "errors": errors, "kinds": [KINDS[name] for name, _l in kinds]},
        status=422 if request.method == "POST" else 200,
    )


def _mapping_choices(kind):
    return [("", _("(ignore this column)"))] + [
        (c.name, f"{c.label} *" if c.required else str(c.label)) for c in kind.columns
    ]


def _samples(job, count: int = 3) -> dict[str, list]:
    """A few values of each file column from the first rows, to help choose its field."""
    rows = list(selectors.job_rows(job).values_list("values", flat=True)[:count])
    if not rows:
        from ordercrm.imports.reading import read_table

        dataset, _enc = read_table(bytes(job.content), job.file_name)
        rows = [list(r) for r in dataset._data[:count]]
    return {
        header: [row[i] for row in rows if i < len(row) and row[i] not in (None, "")]
        for i, header in enumerate(job.headers)
    }


@member_view
def import_detail(request, job_id):
    job = _job(request, job_id)
    kind = KINDS.get(job.kind)
    errors: list[str] = []
    field_errors: dict = {}
    status = 200
    editing = request.GET.get("columns") == "1" or job.status == JobStatus.UPLOADED
    if request.method == "POST":
        mapping = {h: request.POST.get(f"map-{i}", "") for i, h in enumerate(job.headers)}
        try:
            job = services.import_mapping_set(job=job, actor=request.user, mapping=mapping)
            services.import_preview(job=job, actor=request.user)
        except DomainError as error:
            errors = [error.text]
            field_errors = (error.details or {}).get("fields") or {}
            job.mapping = {h: f for h, f in mapping.items() if f}
            editing, status = True, 422
        else:
            return HttpResponseRedirect(reverse("import_detail", args=[job.pk]))
    context = {"job": job, "kind": kind, "errors": errors, "editing": editing}
    if editing and job.status not in RUNNING and job.status != JobStatus.APPLIED:
        choices = _mapping_choices(kind)
        samples = _samples(job)
        general = [p for name, ps in field_errors.items() if name not in job.headers for p in ps]
        context.update(
            columns=[
                {
                    "index": i,
                    "header": header,
                    "chosen": job.mapping.get(header, ""),
                    "samples": samples.get(header, []),
                    "errors": field_errors.get(header, []),
                }
                for i, header in enumerate(job.headers)
            ],
            choices=choices,
            general_errors=general,
        )
    elif job.status in (JobStatus.PREVIEWED, JobStatus.APPLIED):
        action = request.GET.get("action", "")
        action = action if action in RowAction.values else ""
        rows = selectors.job_rows(job, action or None)
        page = Paginator(rows, ROWS_PAGE_SIZE).get_page(request.GET.get("page"))
        positions = [i for i, h in enumerate(job.headers) if job.mapping.get(h)][:SHOWN_CELLS]
        context.update(
            page=page,
            action=action,
            actions=RowAction.choices,
            query=f"action={action}" if action else "",
            shown_headers=[job.headers[i] for i in positions],
            shown_rows=[
                (row, [row.values[i] if i < len(row.values) else "" for i in positions])
                for row in page
            ],
        )
    return render(request, "web/import_detail.html", context, status=status)


@member_view
def import_progress(request, job_id):
    """The bar, polled by htmx; when the step is over the page reloads to show its result."""
    job = _job(request, job_id)
    response = render(request, "web/import_progress.html", {"job": job})
    if job.status not in RUNNING:
        response["HX-Refresh"] = "true"
    return response


@require_POST
@member_view
def import_confirm(request, job_id):
    job = _job(request, job_id)
    try:
        services.import_apply(job=job, actor=request.user)
    except services.JobBusy:
        # a second click, another tab: the first confirm runs; show it, apply nothing again
        messages.info(request, _("This import has already been confirmed."))
    return HttpResponseRedirect(reverse("import_detail", args=[job.pk]))


@member_view
def import_failed_rows(request, job_id, fmt):
    job = _job(request, job_id)
    if fmt not in services.FAILED_FORMATS:
        raise NotFound()
    content, content_type, name = services.failed_rows_file(job, fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
