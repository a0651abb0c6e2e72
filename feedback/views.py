"""Views: the article survey, the search-click redirect and the managers' dashboard.

Views check permissions and call services and selectors; every report table is a
`tables.Table`, so each one also downloads as CSV (`?csv=<table slug>`).
"""

from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from manuals.models import Section
from manuals.permissions import can_edit, can_read
from manuals.portal.links import Links
from manuals.portal.pages import base_context

from . import events, selectors, services
from .charts import Series, line_chart
from .events import visitor_id
from .forms import AssignForm, InboxFilterForm, StatusForm, SurveyForm
from .models import ArticleFeedback, Audience, GapKind, Reason, Status
from .permissions import can_triage, can_view_reports
from .tables import Link, Spark, Table, csv_response


def _readable_section_or_404(request, pk) -> Section:
    section = get_object_or_404(
        Section.objects.select_related("published_revision").prefetch_related("groups"),
        pk=pk,
    )
    if not can_read(request.user, section):
        raise Http404
    return section


# --- the survey ----------------------------------------------------------------


def survey_context(request, section, feedback=None, form=None, next_url="") -> dict:
    """What the survey box needs; shared by the inclusion tag and the view."""
    revision = section.published_revision
    if feedback is None and form is not None and form.errors:
        feedback = _typed_answer(form, section)
    if feedback is None and revision is not None:
        feedback = selectors.answer_of(request, revision)
    return {
        "section": section,
        "revision": revision,
        "feedback": feedback,
        "form": form,
        "reason_choices": Reason.choices,
        "ratings": range(1, 6),
        "request": request,
        "next_url": next_url or request.path,
    }


def _typed_answer(form, section) -> ArticleFeedback | None:
    """The refused answer as the reader typed it (unsaved), so the survey shows it
    again with the errors instead of losing it."""
    data = form.data
    if data.get("helpful") not in {"yes", "no"}:
        return None
    rating = data.get("rating", "")
    return ArticleFeedback(
        section=section,
        revision=section.published_revision,
        helpful=data["helpful"] == "yes",
        rating=int(rating) if rating in {"1", "2", "3", "4", "5"} else None,
        reasons=",".join(r for r in data.getlist("reasons") if r in Reason.values),
        comment=data.get("comment", ""),
    )


def _wants_fragment(request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _back_to(request, section) -> str:
    """Where a plain form post returns: the page it came from when that is on this
    site (the public portal sends its own address), else the section page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return section.get_absolute_url()


@login_not_required
@csrf_exempt
@require_POST
def survey_submit_static(request, pk):
    """The survey of the exported static help centre, which can hold no CSRF token.

    Exempt from CSRF, so it always answers as an anonymous visitor, whatever cookies
    the browser sends: a forged post can never speak for a logged-in user. The
    honeypot and the per-visitor rate limit apply as on the live site.
    """
    request.user = AnonymousUser()
    return _survey(request, pk)


@login_not_required
@require_POST
def survey_submit(request, pk):
    """Record (or change) the reader's answer; 404 on a section they cannot read."""
    return _survey(request, pk)


def _survey(request, pk):
    section = _readable_section_or_404(request, pk)
    form = SurveyForm(request.POST)
    status = 200
    feedback = None
    if not form.is_valid():
        status = 400
    elif form.cleaned_data["website"]:
        # A robot filled the honeypot: thank it and keep nothing.
        feedback = ArticleFeedback(
            section=section, revision=section.published_revision, helpful=True
        )
    else:
        data = form.cleaned_data
        revision = section.revisions.filter(pk=data["revision"]).first()
        allowed = revision is not None and (
            revision.pk == section.published_revision_id
            or can_edit(request.user, section)
            or (
                section.published_revision is not None
                and revision.number < section.published_revision.number
            )
        )
        if not allowed:
            raise Http404
        try:
            feedback = services.feedback_submit(
                section=section,
                revision=revision,
                user=request.user,
                visitor="" if request.user.is_authenticated else visitor_id(request),
                audience=Audience.INTERNAL
                if request.user.is_authenticated
                else Audience.PUBLIC,
                helpful=data["helpful"],
                rating=data["rating"],
                reasons=data["reasons"],
                comment=data["comment"],
            )
            if request.user.is_authenticated:
                selectors.remember_answer(request, revision.pk)
        except services.RateLimited as exc:
            form.add_error(None, exc.args[0])
            status = 429
        except ValidationError as exc:
            form.add_error(None, exc)
            status = 400
    if feedback is None:
        return _survey_refused(request, section, form, status)
    if _wants_fragment(request):
        context = survey_context(request, section, feedback=feedback, form=form)
        context["thanks"] = True
        html = render_to_string("feedback/_survey.html", context, request=request)
        return HttpResponse(html, status=status)
    messages.success(request, _("Thank you for your feedback."))
    return HttpResponseRedirect(_back_to(request, section) + "#kb-survey")


def _survey_refused(request, section, form, status):
    """A refused answer keeps what the reader typed. The script gets the errors as
    JSON and leaves the form as it is; a plain post gets a page with the survey
    again, showing the errors and the typed answer, to correct and send."""
    if _wants_fragment(request):
        return JsonResponse({"errors": form.errors.get_json_data()}, status=status)
    back = _back_to(request, section)
    context = survey_context(request, section, form=form, next_url=back)
    portal_home = reverse("portal:home")
    if not request.user.is_authenticated or urlsplit(back).path.startswith(portal_home):
        context.update(base_context(Links(), title=section.title), noindex=True)
        context["base_template"] = "portal/base.html"
    else:
        context["base_template"] = "base.html"
    context["back"] = back
    return render(request, "feedback/survey_page.html", context, status=status)


# --- search clicks ---------------------------------------------------------------


def _normalize(query: str) -> str:
    """The search's own normalized form of a query (script folding, case, spaces)."""
    from manuals.search.services import parse

    return parse(query).normalized


@login_not_required
@require_GET
def search_click(request):
    """Record which result of a search was followed, then go to it.

    Only ever redirects to a section (`section=`) or FAQ entry (`faq=`) the reader
    may read (no open redirect, no leaking that an internal one exists).
    """
    try:
        rank = max(1, min(int(request.GET.get("rank", "1")), 10_000))
        if "faq" in request.GET:
            target = {"entry": _visible_entry_or_404(request, int(request.GET["faq"]))}
        else:
            section_id = int(request.GET.get("section", ""))
            target = {"section": _readable_section_or_404(request, section_id)}
    except ValueError as exc:
        raise Http404 from exc
    query = request.GET.get("q", "")[:200]
    normalized = (request.GET.get("n") or _normalize(query))[:200]
    if normalized:
        events.flush()  # the search may still wait in this process's buffer
        services.search_click_record(
            request=request, normalized=normalized, query=query, rank=rank, **target
        )
    return redirect(next(iter(target.values())))


def _visible_entry_or_404(request, pk):
    from faq.models import Entry

    return get_object_or_404(Entry.objects.visible_to(request.user), pk=pk)


# --- the dashboard -----------------------------------------------------------------


def _reports_only(request) -> None:
    if not can_view_reports(request.user):
        raise PermissionDenied
    events.flush()  # reports include what this process still holds


def _days(request) -> int:
    try:
        days = int(request.GET.get("days", "30"))
    except ValueError:
        days = 30
    return days if days in selectors.PERIODS else 30


def _pct(value) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


def _day_labels(days) -> list[str]:
    return [d.strftime("%m-%d") for d in days]


def _local(value) -> str:
    if value is None:
        return ""
    return date_format(timezone.localtime(value), "Y-m-d H:i")


def _tables_or_csv(request, tables: list[Table]):
    wanted = request.GET.get("csv")
    if not wanted:
        return None
    for table in tables:
        if table.slug == wanted:
            stamp = timezone.localdate().isoformat()
            return csv_response(table, filename=f"{table.slug}-{stamp}")
    raise Http404


def _dashboard_context(request, tab: str, **extra) -> dict:
    context = {"tab": tab, "periods": selectors.PERIODS, "can_triage": can_triage}
    context["can_triage"] = can_triage(request.user)
    context.update(extra)
    return context


def dashboard(request):
    _reports_only(request)
    context = _dashboard_context(request, "overview")
    series = selectors.daily_total_views(days=30)
    day_list = selectors.period_days(30)
    search = selectors.daily_search_series(days=30)
    context.update(
        open_feedback=selectors.feedback_inbox().count(),
        open_gaps=len(selectors.knowledge_gaps(user=request.user, days=30)),
        stale_count=selectors.stale_sections(user=request.user).count(),
        views_30=sum(series[Audience.PUBLIC]) + sum(series[Audience.INTERNAL]),
        searches_30=sum(search["searches"]),
        views_chart=line_chart(
            labels=_day_labels(day_list),
            series=[
                Series(_("Staff"), series[Audience.INTERNAL]),
                Series(_("Public"), series[Audience.PUBLIC]),
            ],
            title=_("Page views per day"),
        ),
    )
    return render(request, "feedback/dashboard.html", context)


def _inbox_table(items) -> Table:
    return Table(
        slug="feedback",
        title=_("Feedback"),
        columns=[
            _("Date"),
            _("Section"),
            _("Revision"),
            _("Helpful"),
            _("Rating"),
            _("Reasons"),
            _("Comment"),
            _("Reader"),
            _("Status"),
            _("Assigned to"),
            _("Fixed in revision"),
        ],
        rows=[
            [
                _local(f.created),
                Link(f.section.title, reverse("feedback:detail", args=[f.pk])),
                f.revision.number,
                _("Yes") if f.helpful else _("No"),
                f.rating or "",
                ", ".join(f.reason_labels),
                f.comment,
                f.user.get_username() if f.user else _("anonymous visitor"),
                f.get_status_display(),
                f.assignee.get_username() if f.assignee else "",
                f.resolved_revision.number if f.resolved_revision else "",
            ]
            for f in items
        ],
        empty=_("No feedback matches these filters."),
    )


def inbox(request):
    _reports_only(request)
    sections = Section.objects.readable_by(request.user).filter(
        pk__in=ArticleFeedback.objects.values("section_id")
    )
    form = InboxFilterForm(request.GET or None, sections=sections)
    filters = {}
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    items = selectors.feedback_inbox(**filters).filter(section__in=sections)
    if request.GET.get("csv"):
        return _tables_or_csv(request, [_inbox_table(items)])
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = _dashboard_context(
        request,
        "inbox",
        form=form,
        page=page,
        assign_form=AssignForm(),
        filter_query=query.urlencode(),
        csv_query=urlencode({**query.dict(), "csv": "feedback"}),
    )
    return render(request, "feedback/inbox.html", context)


def feedback_detail(request, pk):
    _reports_only(request)
    feedback = get_object_or_404(
        ArticleFeedback.objects.select_related("section", "revision", "user"), pk=pk
    )
    if not can_read(request.user, feedback.section):
        raise Http404
    assign_form = AssignForm(initial={"assignee": feedback.assignee})
    status_form = StatusForm(
        section=feedback.section,
        initial={
            "status": feedback.status,
            "revision": feedback.resolved_revision
            or feedback.section.published_revision,
            "note": feedback.note,
        },
    )
    if request.method == "POST":
        if not can_triage(request.user):
            raise PermissionDenied
        if "assign" in request.POST:
            assign_form = AssignForm(request.POST)
            if assign_form.is_valid():
                services.feedback_assign(
                    feedback=feedback,
                    assignee=assign_form.cleaned_data["assignee"],
                    user=request.user,
                )
                messages.success(request, _("Assigned."))
                return redirect("feedback:detail", pk=feedback.pk)
        else:
            status_form = StatusForm(request.POST, section=feedback.section)
            if status_form.is_valid():
                data = status_form.cleaned_data
                try:
                    services.feedback_set_status(
                        feedback=feedback,
                        status=data["status"],
                        revision=data["revision"],
                        note=data["note"],
                        user=request.user,
                    )
                except ValidationError as exc:
                    status_form.add_error(None, exc)
                else:
                    messages.success(request, _("Status saved."))
                    return redirect("feedback:detail", pk=feedback.pk)
    context = _dashboard_context(
        request,
        "inbox",
        feedback=feedback,
        assign_form=assign_form,
        status_form=status_form,
        others=ArticleFeedback.objects.filter(section=feedback.section)
        .exclude(pk=feedback.pk)
        .select_related("revision")[:10],
    )
    return render(request, "feedback/feedback_detail.html", context)


def _gap_table(rows) -> Table:
    def since(row):
        if not row.since_resolved:
            return ""
        s = row.since_resolved
        if row.kind == GapKind.UNHELPFUL:
            return _("%(n)s answers, %(no)s not helpful") % {
                "n": s["answers"],
                "no": s["not_helpful"],
            }
        return _("%(n)s searches, %(c)s clicked") % {
            "n": s["searches"],
            "c": s["clicked"],
        }

    def subject(row):
        if row.question is not None:
            return Link(row.label, reverse("faq:question", args=[row.question.pk]))
        if row.section is not None:
            return Link(row.label, row.section.get_absolute_url())
        return row.label

    return Table(
        slug="gaps",
        title=_("Knowledge gaps"),
        columns=[
            _("Kind"),
            _("Query, article or question"),
            _("Count"),
            _("Last seen"),
            _("Status"),
            _("Assigned to"),
            _("Answered by"),
            _("Since resolved"),
        ],
        rows=[
            [
                row.kind_label,
                subject(row),
                row.count,
                _local(row.last_seen),
                Status(row.status).label,
                row.gap.assignee.get_username() if row.gap and row.gap.assignee else "",
                row.gap.answer_section.title
                if row.gap and row.gap.answer_section
                else "",
                since(row),
            ]
            for row in rows
        ],
        empty=_("No knowledge gaps in this period."),
    )


# The page shows the biggest gaps; the CSV download carries all of them.
GAP_ROWS_SHOWN = 100


def gaps(request):
    _reports_only(request)
    days = _days(request)
    status = request.GET.get("status", "open")
    if status not in ("open", "all", *Status.values):
        status = "open"
    rows = selectors.knowledge_gaps(user=request.user, days=days, status=status)
    table = _gap_table(rows)
    response = _tables_or_csv(request, [table])
    if response:
        return response
    context = _dashboard_context(
        request,
        "gaps",
        rows=list(zip(rows, table.rows, strict=True))[:GAP_ROWS_SHOWN],
        total=len(rows),
        shown=min(len(rows), GAP_ROWS_SHOWN),
        table=table,
        days=days,
        status=status,
        statuses=[("open", _("Open")), *Status.choices, ("all", _("All"))],
        assign_form=AssignForm(),
        sections=Section.objects.readable_by(request.user)
        .filter(published_revision__isnull=False)
        .only("id", "title", "depth", "path"),
    )
    return render(request, "feedback/gaps.html", context)


@require_POST
def gap_action(request):
    _reports_only(request)
    if not can_triage(request.user):
        raise PermissionDenied
    kind, key = request.POST.get("kind", ""), request.POST.get("key", "")
    action = request.POST.get("action", "")
    try:
        if action == "assign":
            form = AssignForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose an editor."))
            services.gap_assign(
                kind=kind,
                key=key,
                assignee=form.cleaned_data["assignee"],
                user=request.user,
            )
            messages.success(request, _("Assigned."))
        elif action == "resolve":
            section = None
            if request.POST.get("section"):
                section = _readable_section_or_404(request, request.POST["section"])
            services.gap_resolve(
                kind=kind, key=key, answer_section=section, user=request.user
            )
            messages.success(request, _("Marked resolved."))
        elif action in (Status.DISMISSED, Status.NEW):
            services.gap_set_status(
                kind=kind, key=key, status=action, user=request.user
            )
            messages.success(request, _("Status saved."))
        else:
            raise ValidationError(_("Unknown action."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    back = request.POST.get("next", "")
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("feedback:gaps")
    return redirect(back)


def _content_table(slug, title, rows, days) -> Table:
    return Table(
        slug=slug,
        title=title,
        columns=[
            _("Section"),
            _("Views"),
            _("Unique readers"),
            _("vs previous period"),
            _("Helpful"),
            _("Not helpful"),
            _("Helpfulness"),
            _("Trend"),
        ],
        rows=[
            [
                Link(
                    r.section.title,
                    reverse("feedback:content_section", args=[r.section.pk])
                    + f"?days={days}",
                ),
                r.views,
                r.readers,
                "" if r.change is None else f"{r.change * 100:+.0f}%",
                r.helpful,
                r.not_helpful,
                _pct(r.helpful_rate),
                Spark(r.daily),
            ]
            for r in rows
        ],
        empty=_("No sections."),
    )


def content(request):
    _reports_only(request)
    days = _days(request)
    rows = selectors.content_report(user=request.user, days=days)
    top = selectors.fill_daily(selectors.most_viewed(rows), days=days)
    bottom = selectors.fill_daily(selectors.least_viewed(rows), days=days)
    stale = selectors.stale_sections(user=request.user)
    today = timezone.localdate()
    stale_table = Table(
        slug="stale",
        title=_("Past their review-by date"),
        columns=[_("Section"), _("Review by"), _("Days overdue"), _("Owner")],
        rows=[
            [
                Link(s.title, s.get_absolute_url()),
                s.review_by.isoformat(),
                (today - s.review_by).days,
                s.owner.get_username() if s.owner else "",
            ]
            for s in stale
        ],
        empty=_("Every section is within its review date."),
    )
    tables = [
        _content_table("most-viewed", _("Most viewed"), top, days),
        _content_table("least-viewed", _("Least viewed"), bottom, days),
        stale_table,
    ]
    response = _tables_or_csv(request, tables)
    if response:
        return response
    series = selectors.daily_total_views(days=days)
    context = _dashboard_context(
        request,
        "content",
        days=days,
        tables=tables,
        totals={
            "views": sum(r.views for r in rows),
            "readers": sum(r.readers for r in rows),
            "helpful": _pct(
                _rate(sum(r.helpful for r in rows), sum(r.not_helpful for r in rows))
            ),
        },
        views_chart=line_chart(
            labels=_day_labels(selectors.period_days(days)),
            series=[
                Series(_("Staff"), series[Audience.INTERNAL]),
                Series(_("Public"), series[Audience.PUBLIC]),
            ],
            title=_("Page views per day"),
        ),
    )
    return render(request, "feedback/content.html", context)


def _rate(yes, no):
    return None if yes + no == 0 else yes / (yes + no)


def content_section(request, pk):
    _reports_only(request)
    section = _readable_section_or_404(request, pk)
    days = _days(request)
    day_list = selectors.period_days(days)
    per_day = selectors.daily_section_views(
        since_day=day_list[0], section_ids=[section.pk]
    ).get(section.pk, {})
    views = [per_day[d][0] if d in per_day else 0 for d in day_list]
    readers = [per_day[d][1] if d in per_day else 0 for d in day_list]
    answers = selectors.section_daily_feedback(section=section, days=days)
    table = Table(
        slug="section-daily",
        title=_("Per day"),
        columns=[
            _("Day"),
            _("Views"),
            _("Unique readers"),
            _("Helpful"),
            _("Not helpful"),
        ],
        rows=[
            [d.isoformat(), v, r, h, n]
            for d, v, r, h, n in zip(
                day_list,
                views,
                readers,
                answers["helpful"],
                answers["not_helpful"],
                strict=True,
            )
        ],
    )
    response = _tables_or_csv(request, [table])
    if response:
        return response
    labels = _day_labels(day_list)
    context = _dashboard_context(
        request,
        "content",
        section=section,
        days=days,
        table=table,
        views_chart=line_chart(
            labels=labels,
            series=[Series(_("Views"), views), Series(_("Unique readers"), readers)],
            title=_("Views per day"),
        ),
        feedback_chart=line_chart(
            labels=labels,
            series=[
                Series(_("Helpful"), answers["helpful"]),
                Series(_("Not helpful"), answers["not_helpful"]),
            ],
            title=_("Survey answers per day"),
        ),
        resolved=selectors.resolved_feedback_for_section(section=section)[:20],
    )
    return render(request, "feedback/content_section.html", context)


def search_report(request):
    _reports_only(request)
    days = _days(request)
    series = selectors.daily_search_series(days=days)
    top = selectors.top_queries(days=days)
    daily_table = Table(
        slug="search-daily",
        title=_("Per day"),
        columns=[
            _("Day"),
            _("Searches"),
            _("No results"),
            _("Zero-result rate"),
            _("Clicked"),
            _("Click-through"),
        ],
        rows=[
            [d.isoformat(), n, z, _pct(zr), c, _pct(ctr)]
            for d, n, z, zr, c, ctr in zip(
                series["days"],
                series["searches"],
                series["zero"],
                series["zero_rate"],
                series["clicked"],
                series["click_rate"],
                strict=True,
            )
        ],
    )
    top_table = Table(
        slug="top-queries",
        title=_("Top queries"),
        columns=[
            _("Query"),
            _("Searches"),
            _("No results"),
            _("Clicked"),
            _("Click-through"),
            _("Last seen"),
        ],
        rows=[
            [
                s.query or s.normalized,
                s.searches,
                s.zero,
                s.clicked,
                _pct(s.click_rate),
                _local(s.last_seen),
            ]
            for s in top
        ],
        empty=_("No searches in this period."),
    )
    tables = [top_table, daily_table]
    response = _tables_or_csv(request, tables)
    if response:
        return response
    labels = _day_labels(series["days"])
    context = _dashboard_context(
        request,
        "search",
        days=days,
        tables=tables,
        searches_chart=line_chart(
            labels=labels,
            series=[
                Series(_("Searches"), series["searches"]),
                Series(_("No results"), series["zero"]),
            ],
            title=_("Searches per day"),
        ),
        rates_chart=line_chart(
            labels=labels,
            series=[
                Series(_("Zero-result rate"), series["zero_rate"]),
                Series(_("Click-through"), series["click_rate"]),
            ],
            title=_("Zero-result rate and click-through"),
            percent=True,
        ),
    )
    return render(request, "feedback/search.html", context)
