"""Cell readers for the import resources (django-import-export widgets), with OrderCRM's own
translated reasons. A reader raises ``ValueError(reason)``; the resource reports it on the row
under the column's label. Ranges and business rules are not checked here: the services do."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from import_export.widgets import Widget

TRUE_WORDS = {"1", "true", "yes", "y", "x", "是", "有", "真", "✓"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "无", "無", "假"}


def text_of(value) -> str:
    """A cell as text: a whole number from a spreadsheet (``1001.0``) without its ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class TextWidget(Widget):
    def clean(self, value, row=None, **kwargs):
        return text_of(value)


class DecimalWidget(Widget):
    def clean(self, value, row=None, **kwargs):
        text = text_of(value).replace(",", "").replace("，", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        return number


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%d.%m.%Y")


class DateWidget(Widget):
    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = text_of(value)
        for pattern in DATE_FORMATS:
            try:
                return datetime.datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        raise ValueError(_("Enter a date as YYYY-MM-DD."))


class BooleanWidget(Widget):
    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = text_of(value).lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise ValueError(_("Enter yes or no."))


class LookupWidget(Widget):
    """A related record named by a natural key (a product's SKU, a unit's code, a price list's
    name), looked up in the importing company. ``prime`` loads a chunk's keys in one query."""

    def __init__(self, model, key: str, *, company_id=None):
        super().__init__()
        self.model, self.key, self.company_id = model, key, company_id
        self.found: dict[str, object] = {}

    def prime(self, values) -> None:
        wanted = {text_of(v) for v in values} - set(self.found) - {""}
        if not wanted:
            return
        rows = self.model.objects.for_company(self.company_id).filter(**{f"{self.key}__in": wanted})
        for record in rows:
            self.found[str(getattr(record, self.key))] = record
        for value in wanted:
            self.found.setdefault(value, None)

    def clean(self, value, row=None, **kwargs):
        text = text_of(value)
        if text not in self.found:
            self.prime([text])
        record = self.found.get(text)
        if record is None:
            raise ValueError(_("Not found: %(value)s") % {"value": text})
        return record

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else getattr(value, self.key)
