"""Trigram indexes for the order search (``sales.selectors._matching``) on PostgreSQL: a
``LIKE '%term%'`` on an order's number or PO reference, or a customer's name, reads the
index instead of every row. ``pg_trgm`` ships with PostgreSQL; where the extension cannot be
created (a managed database without the right), the search still works, by scanning. Other
databases have no such index and scan."""

from django.db import migrations

INDEXES = (
    ("sales_order_number_trgm", "sales_salesorder", "number"),
    ("sales_order_reference_trgm", "sales_salesorder", "customer_reference"),
    ("customers_customer_name_trgm", "customers_customer", "name"),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        return  # no right to create it: the search scans, as before
    for name, table, column in INDEXES:
        # upper(): Django's icontains on PostgreSQL is UPPER(col::text) LIKE UPPER(term)
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin ((upper({column}::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0016_open_and_dated_indexes"),
        ("customers", "0007_merge_wave3"),
    ]
    operations = [migrations.RunPython(create, drop)]
