"""`manage.py ensure_admin`: create the admin and demo role accounts; print them.

The password is generated once and kept in KB_DATA_DIR/admin-credentials.txt (mode 600)
so every `make run` prints the same credentials.
"""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

DEMO_USERS = {
    "agent": ["agent"],
    "editor": ["editor", "publisher"],
    "manager": ["manager"],
}


class Command(BaseCommand):
    help = "Create the admin account (and demo role accounts) if missing; print them."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--no-demo-users", action="store_true")

    def handle(self, *args, **options):
        store = Path(settings.KB_DATA_DIR) / "admin-credentials.txt"
        if store.exists():
            password = store.read_text().strip()
        else:
            password = secrets.token_urlsafe(12)
            store.write_text(password + "\n")
            store.chmod(0o600)
        User = get_user_model()
        accounts = {options["username"]: None}
        if not options["no_demo_users"]:
            accounts.update(DEMO_USERS)
        for username, roles in accounts.items():
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
                user.is_superuser = user.is_staff = roles is None
                user.save()
                if roles:
                    user.groups.set(Group.objects.filter(name__in=roles))
        self.stdout.write(self.style.SUCCESS("\n  Log in at http://127.0.0.1:8000/"))
        for username, roles in accounts.items():
            role = "admin (superuser)" if roles is None else ", ".join(roles)
            self.stdout.write(f"  {username:<8} / {password}   {role}")
        self.stdout.write(f"  (password kept in {store})\n")
