"""The analytics scan reads the outbox by company and time; core's indexes lead with the
entity (and the worker's partial index covers only undispatched events). The index is the
analytics app's, so it is created here, beside the reader it serves."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial"), ("core", "__latest__")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS analytics_event_scan ON core_event (company_id, created_at)",
            "DROP INDEX IF EXISTS analytics_event_scan",
        )
    ]
