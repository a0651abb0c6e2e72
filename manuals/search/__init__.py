"""Full-text search of the manual (and of anything registered with the registry).

`get_search_backend()` returns the configured backend. The loader copies Django's cache
loader (django.core.cache), as Wagtail's search backends do: a settings dict with a
dotted BACKEND path, `import_string`, and an ImproperlyConfigured subclass for a bad
setting. Short aliases ("whoosh", "postgres") name the bundled backends, so
`KB_SEARCH_BACKEND=postgres` in the environment is enough.
"""

import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "manuals.search.backends.whoosh.WhooshSearchBackend"
BACKEND_ALIASES = {
    "whoosh": DEFAULT_BACKEND,
    "postgres": "manuals.search.backends.postgres.PostgresSearchBackend",
    "postgresql": "manuals.search.backends.postgres.PostgresSearchBackend",
}


class InvalidSearchBackendError(ImproperlyConfigured):
    """KB_SEARCH_BACKEND names no usable backend."""


_backend = None
_lock = threading.Lock()


def _params() -> dict:
    value = getattr(settings, "KB_SEARCH_BACKEND", None) or DEFAULT_BACKEND
    if isinstance(value, str):
        value = {"BACKEND": value}
    if not isinstance(value, dict) or not value.get("BACKEND"):
        raise InvalidSearchBackendError(
            "KB_SEARCH_BACKEND must be a dotted path or a dict with a BACKEND key."
        )
    return value


def load_backend(params: dict):
    """Instantiate the backend class `params['BACKEND']` names."""
    from .backends.base import BaseSearchBackend

    path = BACKEND_ALIASES.get(params["BACKEND"], params["BACKEND"])
    try:
        backend_cls = import_string(path)
    except ImportError as exc:
        raise InvalidSearchBackendError(
            "Could not find search backend {!r}: {}".format(params["BACKEND"], exc)
        ) from exc
    if not (
        isinstance(backend_cls, type) and issubclass(backend_cls, BaseSearchBackend)
    ):
        raise InvalidSearchBackendError(
            "{!r} is not a subclass of BaseSearchBackend.".format(params["BACKEND"])
        )
    return backend_cls(params)


def get_search_backend():
    """The configured backend, one instance per process (it keeps a searcher open)."""
    global _backend
    if _backend is None:
        with _lock:
            if _backend is None:
                _backend = load_backend(_params())
    return _backend


def reset_search_backend() -> None:
    """Forget the backend instance (settings changed, tests)."""
    global _backend
    with _lock:
        if _backend is not None:
            _backend.close()
        _backend = None


def _on_setting_changed(*, setting, **kwargs):
    if setting in {"KB_SEARCH_BACKEND", "KB_DATA_DIR"}:
        reset_search_backend()


setting_changed.connect(_on_setting_changed)
