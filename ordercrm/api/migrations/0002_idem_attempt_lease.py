from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="idempotencyrecord", name="attempt", field=models.UUIDField(null=True)
        ),
        migrations.AddField(
            model_name="idempotencyrecord",
            name="locked_until",
            field=models.DateTimeField(null=True),
        ),
        # Records left half-written by the old middleware (status NULL) answered 409 for ever.
        # They get an expired lease, so the next retry may run; whether their effect had
        # committed the old code cannot tell (that was the bug).
        migrations.RunSQL(
            "UPDATE api_idempotencyrecord SET locked_until = created_at"
            " WHERE status_code IS NULL",
            migrations.RunSQL.noop,
        ),
    ]
