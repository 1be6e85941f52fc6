"""PostgreSQL only: wake the workers when an outbox event or a background task commits
(``core.wakeup``). One NOTIFY per inserting statement, sent at commit; nothing on
SQLite, where the workers poll."""

from django.db import migrations

CHANNEL = "ordercrm_work"
TABLES = {"core_event": "event", "django_tasks_database_dbtaskresult": "task"}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"""CREATE OR REPLACE FUNCTION ordercrm_notify_work() RETURNS trigger AS $$
        BEGIN PERFORM pg_notify('{CHANNEL}', TG_ARGV[0]); RETURN NULL; END;
        $$ LANGUAGE plpgsql"""
    )
    for table, kind in TABLES.items():
        schema_editor.execute(
            f"CREATE TRIGGER ordercrm_notify_work AFTER INSERT ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION ordercrm_notify_work('{kind}')"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS ordercrm_notify_work ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS ordercrm_notify_work()")


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0005_email_kinds_cases_and_returns"),
        ("core", "0013_merge_wave3"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(create, drop)]
