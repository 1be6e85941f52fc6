"""Fact keys become the MD5 of the dimensions (was SHA-1), so that a rebuild can sum the
facts in PostgreSQL, which has ``md5()`` built in (``sha1`` needs pgcrypto)."""

import hashlib

from django.db import migrations

DIMENSIONS = ("day", "product_id", "customer_id", "salesperson_id", "team_id", "region", "currency")


def rekey(apps, schema_editor):
    SalesFact = apps.get_model("analytics", "SalesFact")
    if schema_editor.connection.vendor == "postgresql":
        parts = " || '|' || ".join(
            f"coalesce(to_char({name}, 'YYYY-MM-DD'), '')"
            if name == "day"
            else f"coalesce({name}::text, '')"
            for name in DIMENSIONS
        )
        schema_editor.execute(f"UPDATE {SalesFact._meta.db_table} SET key = md5({parts})")
        return
    changed = []
    facts = SalesFact._base_manager
    for fact in facts.all().iterator(chunk_size=2000):
        text = "|".join(str(getattr(fact, name) or "") for name in DIMENSIONS)
        fact.key = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
        changed.append(fact)
    facts.bulk_update(changed, ["key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0002_event_scan_index")]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
