"""Django's ModelBackend, with permissions and group ids read in one query.

A page asks the user's permissions (can they edit? publish?) and the ids of their
groups (restricted sections). ModelBackend reads user permissions, then group
permissions, and the groups were a third query; `manuals.permissions.load_permissions`
reads all three with one ORM query, kept on the user for the request, and this
backend answers ModelBackend's public permission methods from it. What it answers is
exactly what ModelBackend answers (the tests compare). The user row is read with the
annotations apps provide (manuals.hooks), so the header's counts cost no query.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connection

from manuals import hooks
from manuals.permissions import load_permissions


class KBModelBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            user_id = get_user_model()._meta.pk.to_python(user_id)
        except ValidationError:  # a malformed session value: nobody
            return None
        # One row, with what apps asked to read along (manuals.hooks: the FAQ's
        # unread count). Plain SQL through raw() (documented): every page asks it.
        user_model = get_user_model()
        q = connection.ops.quote_name
        meta = user_model._meta
        extra = "".join(
            f", ({sql}) AS {q(name)}"
            for name, sql in hooks.user_annotations("u").items()
        )
        found = list(
            user_model._default_manager.raw(
                f"SELECT u.*{extra} FROM {q(meta.db_table)} u "  # noqa: S608
                f"WHERE u.{q(meta.pk.column)} = %s",
                [user_id],
            )
        )
        user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None

    @staticmethod
    def _ours(user_obj, obj) -> bool:
        # Superusers, inactive and anonymous users and object permissions: Django's.
        return (
            user_obj.is_active
            and not user_obj.is_anonymous
            and obj is None
            and not user_obj.is_superuser
        )

    def get_user_permissions(self, user_obj, obj=None):
        if not self._ours(user_obj, obj):
            return super().get_user_permissions(user_obj, obj)
        return set(load_permissions(user_obj).own)

    def get_group_permissions(self, user_obj, obj=None):
        if not self._ours(user_obj, obj):
            return super().get_group_permissions(user_obj, obj)
        return set(load_permissions(user_obj).through_groups)

    def get_all_permissions(self, user_obj, obj=None):
        if not self._ours(user_obj, obj):
            return super().get_all_permissions(user_obj, obj)
        return set(self._all(user_obj))

    def has_perm(self, user_obj, perm, obj=None):
        # The question every template asks many times: no set built per call.
        if not self._ours(user_obj, obj):
            return super().has_perm(user_obj, perm, obj)
        return perm in self._all(user_obj)

    @staticmethod
    def _all(user_obj) -> frozenset[str]:
        found = getattr(user_obj, "_kb_all_permissions", None)
        if found is None:
            load_permissions(user_obj)
            found = user_obj._kb_all_permissions
        return found
