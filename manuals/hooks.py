"""Extension points the manual calls without knowing who fills them.

The manual never imports the apps built on it; an app that wants to take part fills
a hook from its AppConfig.ready() (feedback does: it counts views and tracks search
clicks). An empty hook means the feature is off: no view counts, plain result links.
"""

from collections.abc import Callable
from datetime import date

_view_counts: Callable | None = None
_search_click_url: str = ""


def provide_view_counts(func: Callable) -> None:
    """`func(*, since_day: date) -> {section id: {day: (views, ...)}}`, as
    feedback.selectors.daily_section_views answers."""
    global _view_counts
    _view_counts = func


def view_counts(*, since_day: date) -> dict:
    return _view_counts(since_day=since_day) if _view_counts else {}


def provide_search_click_url(url_name: str) -> None:
    """The URL name search results link through to record which hit was followed
    (it takes ?q=, n=, section= or faq=, rank=)."""
    global _search_click_url
    _search_click_url = url_name


def search_click_url() -> str:
    return _search_click_url


_user_annotations: dict[str, Callable] = {}


def provide_user_annotation(name: str, sql: Callable) -> None:
    """A value every page's user row is read with (kbsite's auth backend), so the
    header needs no query of its own: `sql(user_alias)` returns a scalar SQL
    subquery over the user row aliased `user_alias` (the FAQ's unread answers)."""
    _user_annotations[name] = sql


def user_annotations(user_alias: str) -> dict[str, str]:
    return {name: make(user_alias) for name, make in _user_annotations.items()}


_section_panels: list[Callable] = []


def provide_section_panel(func: Callable) -> None:
    """A panel on every section page (training's confirmation bar):
    `func(request, section, stamp) -> str` returns safe HTML, or "" to show nothing;
    `stamp` is the change stamp the page read (or None). It is called on the hot
    page: it should answer from the session or from what the stamp keys."""
    if func not in _section_panels:
        _section_panels.append(func)


def section_panels(request, section, stamp=None) -> list[str]:
    return [html for func in _section_panels if (html := func(request, section, stamp))]
