"""Settlement after success (docs/decisions/0011): ``Payment.settled_at``.

Payments that succeeded before this migration were settled in the same transaction as their success,
so they are marked settled at their completion time.
"""

from django.db import migrations, models
from django.db.models import F


def mark_earlier_successes_settled(apps, schema_editor):  # type: ignore[no-untyped-def]
    Payment = apps.get_model("payments", "Payment")
    Payment.objects.filter(
        status__in=["success", "partially_refunded", "refunded"], settled_at__isnull=True
    ).update(settled_at=F("completed_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0004_s_transfers"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="settled_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="thời điểm ghi nhận khoản thu"),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(
                condition=models.Q(("settled_at__isnull", True), ("status", "success")),
                fields=["completed_at"],
                name="payment_settlement_due_idx",
            ),
        ),
        migrations.RunPython(mark_earlier_successes_settled, migrations.RunPython.noop),
    ]
