"""``ordercrm export KIND --user USERNAME [--company CODE] [--format csv|xlsx] [--output FILE]
[NAME=VALUE ...]``: a list (customers, products, price_lists, stock, orders, invoices,
payments) as the web's Export link gives it, with the list's filters by their query-string
names (``status=confirmed from=2026-01-01``), scoped to what USERNAME may see, headings in
their language (or ``--language``). A progress bar goes to stderr; the file to FILE (written
beside it and renamed when complete, so a failed export leaves no half file) or stdout."""

from __future__ import annotations

import os
import sys
import tempfile

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from ordercrm.accounts.access import access_for, companies_of
from ordercrm.core.exceptions import DomainError
from ordercrm.imports import exports


class Command(BaseCommand):
    help = "Export a list as CSV or XLSX, with the list's filters, as a user sees it."

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # filters may follow the options (``export orders --user u status=paid``)
        parser.parse_args = parser.parse_intermixed_args
        return parser

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(exports.KINDS))
        parser.add_argument(
            "filters", nargs="*", metavar="NAME=VALUE", help="the list's filters, e.g. status=paid"
        )
        parser.add_argument("--user", required=True, help="export what this user may see")
        parser.add_argument("--company", help="company code (needed if the user has several)")
        parser.add_argument("--format", dest="fmt", choices=exports.FORMATS, default="csv")
        parser.add_argument("--output", "-o", default="-", help="file to write; - is stdout")
        parser.add_argument("--language", help="language of the headings (default: the user's)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, kind, filters, user, company, fmt, output, language, **options):
        access = self._access(user, company)
        raw = {}
        allowed = exports.KINDS[kind].params
        for item in filters:
            name, sep, value = item.partition("=")
            if not sep or name not in allowed:
                raise CommandError(
                    f"{item!r}: filters are NAME=VALUE with NAME one of {', '.join(allowed)}"
                )
            raw[name] = value
        language = language or access.user.language or access.company.default_language
        if output == "-" and fmt == "xlsx" and sys.stdout.isatty():
            raise CommandError("an XLSX file is not for a terminal: give --output FILE")
        try:
            with translation.override(language):
                found = exports.export(access, kind, raw, fmt)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.text} {exc.details or ''}".strip()) from exc
        self._write(found, output, progress=not options["no_progress"])

    def _access(self, username, company_code):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        companies = companies_of(user)
        if company_code:
            companies = [c for c in companies if c.code == company_code]
        if len(companies) != 1:
            codes = ", ".join(c.code for c in companies_of(user)) or "none"
            raise CommandError(f"give --company, one of the user's companies: {codes}")
        return access_for(user, companies[0])

    def _write(self, found, output, *, progress):
        from tqdm import tqdm

        stream = getattr(self.stderr, "_out", sys.stderr)
        bar = tqdm(
            found.rows(),
            total=found.count(),
            unit=" rows",
            desc=found.kind.name,
            file=stream,
            disable=not progress,
            mininterval=0.5,
        )
        with bar:
            if output == "-":
                target = getattr(self.stdout, "_out", sys.stdout)
                binary = getattr(target, "buffer", None)
                for chunk in found.chunks(bar):
                    # a text stream (call_command's StringIO) takes CSV text: chunks end on
                    # whole characters
                    binary.write(chunk) if binary else target.write(chunk.decode())
                (binary or target).flush()
                return
            folder = os.path.dirname(os.path.abspath(output))
            handle, partial = tempfile.mkstemp(dir=folder, prefix=".export-", suffix=".part")
            try:
                with os.fdopen(handle, "wb") as file:
                    for chunk in found.chunks(bar):
                        file.write(chunk)
                os.replace(partial, output)
            except BaseException:
                os.unlink(partial)
                raise
        self.stderr.write(f"{bar.n} rows → {output}")
