"""``ordercrm import KIND FILE --company CODE --user USERNAME [--dry-run] [--map HEADER=FIELD]``.

Runs an import job synchronously through the same code as the web wizard's background task
(``imports.services``: upload, mapping, preview, apply, ``import_run``), with a progress bar.
``--dry-run`` stops after the preview: nothing is written. Prints the counts and, when rows
failed, writes them (with an error column) next to the file, to fix and import again. The exit
code is 0 when every row went through, 1 when rows failed, 2 when the job could not run.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from ordercrm.accounts.models import User
from ordercrm.core.context import change_source
from ordercrm.core.exceptions import DomainError
from ordercrm.core.models import Company
from ordercrm.imports import services
from ordercrm.imports.kinds import KINDS
from ordercrm.imports.models import JobStatus, RowAction


def _describe(error: DomainError) -> str:
    parts = [str(error.text)]
    for name, problems in ((error.details or {}).get("fields") or {}).items():
        parts.append(f"{name}: {' '.join(str(p) for p in problems)}")
    return "; ".join(parts)


class Command(BaseCommand):
    help = "Import customers, products, price-list items, opening stock or open orders."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file")
        parser.add_argument("--company", help="company code (default: the only company)")
        parser.add_argument("--user", required=True, help="username the rows are written as")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write none")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADER=FIELD",
            help="feed FIELD from the file column HEADER (default: the suggested mapping)",
        )
        parser.add_argument("--failed", help="where to write the failed rows (.csv or .xlsx)")
        parser.add_argument("--language", default="en", help="language of the error reasons")

    def handle(self, *args, kind, file, company, user, dry_run, map, failed, language, **options):
        company_ = self._company(company)
        actor = User.objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"no user {user!r}", returncode=2)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no file {file!r}", returncode=2)
        with translation.override(language), change_source("cli"):
            try:
                job = services.import_upload(
                    company=company_,
                    actor=actor,
                    kind=kind,
                    file_name=path.name,
                    content=path.read_bytes(),
                    require_columns=not map,
                )
                mapping = dict(job.mapping)
                for item in map:
                    header, _sep, field = item.partition("=")
                    mapping = {h: f for h, f in mapping.items() if f != field.strip()}
                    mapping[header.strip()] = field.strip()
                job = services.import_mapping_set(job=job, actor=actor, mapping=mapping)
                self.stdout.write(
                    f"{job.total_rows} rows; columns: "
                    + ", ".join(f"{h} → {f}" for h, f in job.mapping.items())
                )
                job = self._step(job, actor, apply=False)
                if not dry_run and job.status == JobStatus.PREVIEWED:
                    self._print(job, "preview")
                    job = self._step(job, actor, apply=True)
            except DomainError as error:
                raise CommandError(f"{error.code}: {_describe(error)}", returncode=2) from error
            if job.status == JobStatus.FAILED:
                raise CommandError(job.failure, returncode=2)
            self._print(job, "dry run" if dry_run else "imported")
            if job.counts.get(RowAction.ERROR):
                target = Path(failed) if failed else path.with_name(f"{path.stem}-failed.csv")
                fmt = "xlsx" if target.suffix.lower() == ".xlsx" else "csv"
                content, _type, _name = services.failed_rows_file(job, fmt)
                target.write_bytes(content)
                self.stdout.write(f"failed rows: {target}")
                raise CommandError(
                    f"{job.counts[RowAction.ERROR]} rows failed (job {job.pk})", returncode=1
                )

    def _company(self, code: str | None) -> Company:
        if code:
            found = Company.objects.filter(code=code).first()
            if found is None:
                raise CommandError(f"no company with code {code!r}", returncode=2)
            return found
        companies = list(Company.objects.all()[:2])
        if len(companies) != 1:
            raise CommandError("name the company with --company CODE", returncode=2)
        return companies[0]

    def _step(self, job, actor, *, apply: bool):
        from tqdm import tqdm

        start = services.import_apply if apply else services.import_preview
        job = start(job=job, actor=actor, enqueue=False)
        with tqdm(
            total=job.total_rows,
            desc="import" if apply else "check",
            unit="row",
            file=self.stderr._out,
            disable=not self.stderr.isatty(),
        ) as bar:

            def progress(running):
                bar.update(running.processed_rows - bar.n)

            return services.import_run(job.pk, progress=progress)

    def _print(self, job, what: str) -> None:
        counts = ", ".join(f"{action} {job.counts.get(action, 0)}" for action in RowAction.values)
        self.stdout.write(f"{what}: {counts}")
