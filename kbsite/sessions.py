"""Django's database sessions, read with SQL compiled once per process.

Every page reads the session; building that one query with the ORM costs more than
PostgreSQL takes to answer it (see kbsite.hotsql). Writing and everything else is
Django's own.
"""

from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.models import Session
from django.db import router
from django.db.models.functions import Now

from .hotsql import HotQuery

SESSION = HotQuery(
    lambda session_key: Session.objects.filter(
        session_key=session_key, expire_date__gt=Now()
    ),
    session_key=str,
)


class SessionStore(DBStore):
    def _get_session_from_db(self):
        if not self.session_key:
            self._session_key = None
            return None
        found = SESSION.objects(
            using=router.db_for_read(self.model), session_key=self.session_key
        )
        if not found:
            self._session_key = None  # as Django does for a missing session
            return None
        return found[0]
