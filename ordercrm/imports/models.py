"""Import jobs: the uploaded file, the chosen column mapping, progress and the outcome of each
row, all in the database, so any app server can show a job a worker on another one runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ordercrm.core.models import CompanyOwned


class JobStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    PREVIEWING = "previewing", _("Checking")
    PREVIEWED = "previewed", _("Ready to import")
    APPLYING = "applying", _("Importing")
    APPLIED = "applied", _("Imported")
    FAILED = "failed", _("Failed")


class RowAction(models.TextChoices):
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    UNCHANGED = "unchanged", _("Unchanged")
    ERROR = "error", _("Error")


RUNNING = (JobStatus.PREVIEWING, JobStatus.APPLYING)


class ImportJob(CompanyOwned):
    """One upload of one kind. Its rows are checked (preview, nothing written) and then, after
    the user confirms, applied; who, when, counts and the result stay as its audit record."""

    kind = models.CharField(_("kind"), max_length=32)
    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.UPLOADED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The reasons of errors are written in the language of the person who uploaded.
    language = models.CharField(max_length=10, default="en")
    file_name = models.CharField(_("file"), max_length=200)
    content = models.BinaryField()
    encoding = models.CharField(max_length=32, blank=True)
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)  # column name in the file → field of the kind
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)  # action → rows
    previewed_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failure = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["company", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status not in RUNNING else 0
        return min(100, self.processed_rows * 100 // self.total_rows)


class ImportRow(CompanyOwned):
    """The outcome of one row of the file (of the preview until applied, then of the apply)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField()  # the row's line in the file, header = 1
    action = models.CharField(max_length=16, choices=RowAction.choices)
    message = models.TextField(blank=True)
    values = models.JSONField(default=list)  # the row's cells as read

    class Meta:
        ordering = ["number"]
        indexes = [models.Index(fields=["job", "action", "number"])]


class ImportMapping(CompanyOwned):
    """The column mapping last confirmed for a kind, offered again on the next upload."""

    kind = models.CharField(max_length=32)
    mapping = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "kind"], name="import_mapping_one_per_kind")
        ]
