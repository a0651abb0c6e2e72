"""Create this app's permissions during migrate, not only after it.

kbsite's role set-up runs on the manuals app's post_migrate signal, before auth's
post_migrate handler has created the permissions of apps listed after manuals; the
roles name some of ours, so they must exist by then.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def forwards(apps, schema_editor):
    config = apps.get_app_config("faq")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None


class Migration(migrations.Migration):
    dependencies = [
        ("faq", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
