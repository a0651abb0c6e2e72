"""The FAQ's own answered-question notices move into the one notification system
(manuals.notifications): each notice becomes a notification about its question."""

from django.db import migrations


def move_notices(apps, schema_editor):
    Old = apps.get_model("faq", "Notification")
    New = apps.get_model("notifications", "Notification")
    ContentType = apps.get_model("contenttypes", "ContentType")
    question_type, _created = ContentType.objects.get_or_create(
        app_label="faq", model="question"
    )
    rows = []
    for notice in Old.objects.select_related("question").iterator():
        declined = notice.question.status == "rejected"
        rows.append(
            New(
                recipient_id=notice.user_id,
                kind="question_declined" if declined else "question_answered",
                content_type_id=question_type.pk,
                object_id=notice.question_id,
                text=notice.question.text[:300],
                url=f"/faq/mine/#q-{notice.question_id}",
                created=notice.created,
                read_at=notice.read_at,
                emailed_at=notice.created,  # not news any more: no digest for them
            )
        )
    New.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("faq", "0002_create_permissions"),
        ("notifications", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(move_notices, migrations.RunPython.noop),
        migrations.DeleteModel(name="Notification"),
    ]
