from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="workerheartbeat",
            name="holding",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="workerheartbeat",
            name="busy_since",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="workerheartbeat",
            name="sent",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
