"""The one validation boundary: every input meets the bounds of the column it is stored in.

Web forms, the API, CSV/pasted imports and the command line all reach the services, and the
services parse their input with the helpers here, driven by the model field that stores the
value (its ``max_digits``/``decimal_places`` or ``max_length``), so a bound has one source:

- :func:`bounded_decimal` reads a number: finite, at most the column's digits before the
  point and its decimals after it (``1e20``, ``NaN``, ``Infinity`` and ``99999999999999`` for a
  quantity are refused, never ``decimal.InvalidOperation`` or a row that cannot be read back);
- :func:`clean_text` reads text: no NUL byte (PostgreSQL refuses them), at most ``max_length``
  characters (SQLite would store 10,000 characters in a 200 column);
- :func:`check_columns` is the backstop every model save passes through (a ``pre_save``
  receiver and the company-scoped ``bulk_create``/``bulk_update``): any text, number or
  required value that does not fit its column raises ``ValidationFailed`` naming the field,
  on SQLite exactly as on PostgreSQL, before anything is written.

:class:`FieldErrors` collects field errors in a service and raises them together;
:class:`RowErrors` does the same for a list input (order, shipment, invoice, stock lines):
``details["lines"][index][field]``, the shape the API returns and the web shows as
"Line n, field: problem". :func:`parse_pasted_rows` splits pasted text (a spreadsheet,
an email) into rows, for every paste box (order entry, order paste, stock entry).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils.translation import gettext as _

from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.money import to_decimal

NUL = "\x00"


class InvalidValue(ValueError):
    """A value refused at the boundary; ``str()`` is the translated reason."""

    def __init__(self, message: Any):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def reason(error: Exception) -> str:
    """The message to show for a parse error: the boundary's reason or "Enter a number."."""
    if isinstance(error, InvalidValue):
        return str(error)
    return _("Enter a number.")


def field_of(model_or_field, name: str | None = None) -> models.Field:
    if isinstance(model_or_field, models.Field):
        return model_or_field
    return model_or_field._meta.get_field(name)


def decimal_bounds(field: models.DecimalField) -> tuple[int, int]:
    """(digits before the point, decimals) a decimal column holds."""
    return field.max_digits - field.decimal_places, field.decimal_places


def check_decimal(value: Decimal, field: models.DecimalField) -> Decimal:
    """``value`` if it is finite and fits ``field``; :class:`InvalidValue` otherwise."""
    if not value.is_finite():
        raise InvalidValue(_("Enter a finite number."))
    whole, places = decimal_bounds(field)
    _sign, digits, exponent = value.normalize().as_tuple()
    decimals = max(0, -exponent)
    integer_digits = max(0, len(digits) + exponent) if digits != (0,) else 0
    if integer_digits > whole:
        raise InvalidValue(
            _("Enter a number with at most %(digits)s digits before the decimal point.")
            % {"digits": whole}
        )
    if decimals > places:
        raise InvalidValue(
            _("Enter a number with at most %(places)s decimals.") % {"places": places}
        )
    return value


def bounded_decimal(value: object, model_or_field, name: str | None = None) -> Decimal:
    """``value`` (Decimal, int or str) as a Decimal that fits the column ``model.name``.

    Raises :class:`InvalidValue` (a ``ValueError``) with the reason: not a number, not finite,
    too many digits before the point or too many decimals for the column.
    """
    field = field_of(model_or_field, name)
    try:
        number = to_decimal(value)
    except (TypeError, ValueError):
        raise InvalidValue(_("Enter a number.")) from None
    return check_decimal(number, field)


def check_text(value: str, max_length: int | None) -> str:
    if NUL in value:
        raise InvalidValue(_("Text cannot contain NUL characters."))
    if max_length is not None and len(value) > max_length:
        raise InvalidValue(
            _("Enter at most %(limit)s characters (it has %(length)s).")
            % {"limit": max_length, "length": len(value)}
        )
    return value


def clean_text(value: object, model_or_field, name: str | None = None, *, strip: bool = True):
    """``value`` as text for the column ``model.name``: stripped, no NUL, within max_length."""
    field = field_of(model_or_field, name)
    text = "" if value is None else str(value)
    if strip:
        text = text.strip()
    return check_text(text, field.max_length)


def _checked_fields(model) -> list[models.Field]:
    cached = model.__dict__.get("_validation_fields")
    if cached is None:
        cached = [
            field
            for field in model._meta.concrete_fields
            if isinstance(
                field,
                models.CharField | models.TextField | models.DecimalField | models.IntegerField,
            )
            and not field.primary_key
            and not isinstance(field, models.AutoField)
        ]
        model._validation_fields = cached
    return cached


def column_errors(instance: models.Model) -> dict[str, list[str]]:
    """The fields of ``instance`` whose values do not fit their columns, with the reasons."""
    errors: dict[str, list[str]] = {}
    for field in _checked_fields(type(instance)):
        value = getattr(instance, field.attname)
        if value is None:
            if not field.null:
                errors[field.name] = [_("This field is required.")]
            continue
        if hasattr(value, "resolve_expression"):
            continue  # F() and other expressions are computed by the database
        try:
            if isinstance(field, models.DecimalField):
                if isinstance(value, Decimal):
                    check_decimal(round_for(value, field), field)
                elif isinstance(value, int | str) and not isinstance(value, bool):
                    check_decimal(round_for(bounded_number(value), field), field)
            elif isinstance(field, models.IntegerField):
                if isinstance(value, int) and not isinstance(value, bool):
                    check_integer(value, field)
            elif isinstance(value, str):
                check_text(value, field.max_length)
        except InvalidValue as error:
            errors[field.name] = [str(error)]
    return errors


def check_integer(value: int, field: models.IntegerField) -> int:
    """``value`` if the column holds it: PostgreSQL's ranges (smallint, integer, bigint; the
    positive kinds from 0), applied on SQLite too, which would store any size."""
    low, high = BaseDatabaseOperations.integer_field_ranges.get(
        field.get_internal_type(), (None, None)
    )
    if low is not None and not low <= value <= high:
        raise InvalidValue(
            _("Enter a whole number between %(low)s and %(high)s.") % {"low": low, "high": high}
        )
    return value


def bounded_number(value) -> Decimal:
    try:
        return to_decimal(value)
    except (TypeError, ValueError):
        raise InvalidValue(_("Enter a number.")) from None


def round_for(value: Decimal, field: models.DecimalField) -> Decimal:
    """``value`` as the column stores it (the database rounds to its decimals)."""
    if not value.is_finite():
        return value
    from decimal import ROUND_HALF_EVEN, localcontext

    with localcontext() as context:
        context.prec = max(60, len(value.as_tuple().digits) + field.decimal_places + 2)
        return value.quantize(Decimal(1).scaleb(-field.decimal_places), rounding=ROUND_HALF_EVEN)


def check_columns(*instances: models.Model) -> None:
    """Raise ``ValidationFailed`` (422, ``details.fields``) when any value of ``instances``
    does not fit its column; several instances (a bulk insert) report ``details.rows``."""
    problems = {}
    for index, instance in enumerate(instances):
        errors = column_errors(instance)
        if errors:
            problems[index] = errors
    if not problems:
        return
    if len(instances) == 1:
        raise ValidationFailed(details={"fields": problems[0]})
    merged: dict[str, list[str]] = {}
    for errors in problems.values():
        for name, messages in errors.items():
            merged.setdefault(name, messages)
    raise ValidationFailed(
        details={"fields": merged, "rows": {str(i): e for i, e in problems.items()}}
    )


def on_pre_save(sender, instance, raw=False, **kwargs) -> None:
    """The ``pre_save`` backstop for every model of the project (fixtures loaded raw are not
    checked)."""
    if raw or not sender.__module__.startswith("ordercrm."):
        return
    check_columns(instance)


class FieldErrors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message) -> None:
        self.fields.setdefault(field, []).append(str(message))

    def __bool__(self) -> bool:
        return bool(self.fields)

    def raise_if_any(self, code: str | None = None) -> None:
        if self.fields:
            raise ValidationFailed(code=code, details={"fields": self.fields})

    def required(self, field: str, value) -> None:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add(field, _("This field is required."))

    def decimal(
        self, field: str, value, *, minimum: Decimal | None = None, column=None
    ) -> Decimal | None:
        """``value`` as a Decimal, or ``None`` with an error recorded; ``column`` (a model
        DecimalField) bounds its digits."""
        try:
            number = bounded_decimal(value, column) if column is not None else to_decimal(value)
            if column is None and not number.is_finite():
                raise InvalidValue(_("Enter a finite number."))
        except (TypeError, ValueError) as error:
            self.add(field, reason(error))
            return None
        if minimum is not None and number < minimum:
            self.add(field, _("Must be at least %(minimum)s.") % {"minimum": minimum})
            return None
        return number

    def text(self, field: str, value, column) -> str | None:
        try:
            return clean_text(value, column)
        except InvalidValue as error:
            self.add(field, str(error))
            return None


class RowErrors:
    """Errors of a list input, per row index and field, raised together (nothing partial).

    ``details[key]`` = ``{"<index>": {"<field>": [messages]}}``; ``key`` is ``"lines"``
    unless the input is named otherwise."""

    def __init__(self, key: str = "lines") -> None:
        self.key = key
        self.rows: dict[str, dict[str, list[str]]] = {}

    def add(self, index: int | str, field: str, message) -> None:
        self.rows.setdefault(str(index), {}).setdefault(field, []).append(str(message))

    def __bool__(self) -> bool:
        return bool(self.rows)

    def raise_if_any(self) -> None:
        if self.rows:
            raise ValidationFailed(details={self.key: self.rows})

    def row(self, index: int, rows_by_id: dict, value, field: str, message):
        """The row of ``rows_by_id`` that ``value`` (an id, as text or UUID) names, or
        ``None`` with ``message`` recorded on ``field`` (unknown or not an id)."""
        from ordercrm.core.exceptions import NotFound
        from ordercrm.core.ids import parse_id

        try:
            found = rows_by_id.get(parse_id(value))
        except NotFound:
            found = None
        if found is None:
            self.add(index, field, message)
        return found

    def quantity(
        self,
        index: int,
        value,
        column,
        *,
        field: str = "quantity",
        signed: bool = False,
        allow_zero: bool = True,
    ) -> Decimal | None:
        """``value`` as a quantity for ``column`` (a model DecimalField, or ``(model, name)``),
        or ``None`` with the reason recorded: not a number or beyond the column, more than
        four decimals written, below zero (unless ``signed``), zero (unless ``allow_zero``)."""
        try:
            number = bounded_decimal(value, *(column if isinstance(column, tuple) else (column,)))
        except (TypeError, ValueError) as error:
            self.add(index, field, reason(error))
            return None
        if number.as_tuple().exponent < -4:
            self.add(index, field, _("Use at most four decimal places."))
        elif number == 0 and not allow_zero:
            self.add(
                index,
                field,
                _("Enter a quantity other than zero.")
                if signed
                else _("Enter a quantity greater than zero."),
            )
        elif number < 0 and not signed:
            self.add(index, field, _("Enter a quantity greater than zero."))
        else:
            return number
        return None


# A first pasted row whose first cell reads like this is a header row and is skipped.
PASTE_HEADERS = ("sku", "product code", "产品编码", "產品編號")


def _cells(row: str) -> list[str]:
    for delimiter in ("\t", ";", ","):
        if delimiter in row:
            return [cell.strip() for cell in next(csv.reader([row], delimiter=delimiter))]
    return row.split()


def parse_pasted_rows(
    text: str, *, with_price: bool = True, read: Callable[[dict], dict] | None = None
) -> list[dict[str, Any]]:
    """Pasted lines as ``{"sku", "quantity"[, "unit_price"], "row"}`` (text as written; the
    service reading them checks the numbers). One row per line: ``product code, quantity``
    and, ``with_price``, an optional unit price, separated by a tab, a semicolon, a comma
    or spaces (each row on its own, so a spreadsheet's tabs and a typed comma mix); empty
    lines and a header row are skipped. ``read`` (optional) turns each well-shaped row into
    what the caller wants (numbers read for its columns), raising :class:`InvalidValue` with
    the reason for that row. A row of another shape, or that ``read`` refuses, is refused,
    every one at once, as ``core.validation_failed`` with ``details["rows"]`` = ``{"<row number>":
    [message]}``; no lines at all is refused the same way (row 1)."""
    expected = (
        _("Expected: product code, quantity[, unit price].")
        if with_price
        else _("Expected: product code, quantity.")
    )
    rows, errors = [], {}
    for number, raw in enumerate((text or "").strip().splitlines(), start=1):
        cells = _cells(raw)
        if not any(cells):
            continue
        if number == 1 and cells[0].lower() in PASTE_HEADERS:
            continue
        if len(cells) < 2 or len(cells) > (3 if with_price else 2) or not cells[0]:
            errors[str(number)] = [expected]
            continue
        row = {"sku": cells[0], "quantity": cells[1], "row": number}
        if with_price:
            row["unit_price"] = cells[2] if len(cells) == 3 else ""
        if read is not None:
            try:
                row = read(row)
            except InvalidValue as error:
                errors[str(number)] = [str(error)]
                continue
        rows.append(row)
    if errors:
        raise ValidationFailed(details={"rows": errors})
    if not rows:
        raise ValidationFailed(details={"rows": {"1": [_("No lines found.")]}})
    return rows
