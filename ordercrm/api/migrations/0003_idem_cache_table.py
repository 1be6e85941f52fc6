"""The database cache table (``ordercrm.core.cache.DatabaseCache``, the default cache that
counts the API rate limit when no Redis is configured). Created whatever the cache setting is,
so switching from Redis to the database cache needs no extra command."""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "ordercrm_cache"


def create(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, False)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("api", "0002_idem_attempt_lease")]

    operations = [migrations.RunPython(create, drop)]
