"""The security suite's world: one user per role and every kind of non-public content,
each carrying distinct canary strings, with the rule (the project's own permission
functions) saying who may see each canary."""

import copy
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, Group
from django.contrib.contenttypes.models import ContentType

from faq import services as faq_services
from faq.models import Category, Entry
from faq.permissions import can_answer
from feedback import services as feedback_services
from feedback.models import SearchEvent
from feedback.permissions import can_view_reports
from manuals import models as manual_models
from manuals.blocks import services as blocks
from manuals.editing import services as collaboration
from manuals.models import BlockDraft, Kind, Visibility
from manuals.notifications import services as notify_services
from manuals.notifications.models import Notification
from manuals.people.models import Team
from manuals.permissions import Audience, can_delete, can_edit, can_read
from manuals.sections import services
from manuals.transfer.importer import PendingImage, Plan, PlanNode, apply
from tests.factories import make_admin, make_section, make_user

# The eight kinds of user every page is requested as.
ROLES = (
    "anonymous",
    "norole",
    "agent",
    "agent_r",  # an agent in the restricted group R
    "editor",  # may not publish
    "publisher",  # editor + publisher
    "manager",
    "admin",  # superuser
)

WORLD_TEAM = "sec-team"
WORLD_PATH = "sec-path"

# A tiny PNG followed by a canary: the bytes of an image imported from Word.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a7d5e7a40000000049454e44ae426082"
)


# Blocks every reader of internal text may see, embedded in non-public sections.
EMBEDS = "\n\n{{block:sec-draft}}\n\n{{block:sec-conflict}}\n"


@dataclass(frozen=True)
class Canary:
    """A string planted in one piece of non-public content.

    `word` is its last part, a token of its own for the search index: searching for
    it finds the content without the page echoing the whole canary back.
    """

    name: str
    text: str
    word: str
    rule: Callable = field(compare=False, repr=False)


@dataclass
class World:
    users: dict
    sections: dict
    blocks: dict
    entries: dict
    questions: dict
    feedback: dict
    reviews: dict
    category: Category
    group: Group
    canaries: list
    media_url: str = ""
    media_files: list = field(default_factory=list)
    # role -> frozenset of canary names the role may see (filled by compute_allowed)
    allowed: dict = field(default_factory=dict)
    sessions: dict = field(default_factory=dict)
    notification_ids: list = field(default_factory=list)

    def user(self, role):
        return self.users[role]

    def canary(self, name) -> Canary:
        return next(c for c in self.canaries if c.name == name)


class CanaryFactory:
    def __init__(self):
        self.canaries: list[Canary] = []

    def __call__(self, name: str, rule: Callable) -> str:
        word = f"kq{len(self.canaries) + 1:03d}"
        text = f"CANARY-{name.upper()}-{word}"
        self.canaries.append(Canary(name=name, text=text, word=word, rule=rule))
        return text


def readable_if_not_trashed(user, section) -> bool:
    """What the trash may show: the section as `can_read` would judge it restored."""
    restored = copy.copy(section)
    restored.in_trash = False
    return can_read(user, restored)


def block_visible(user, block) -> bool:
    return Audience.for_user(user).sees_object(block)


def _fresh(user):
    """Permission caches live on user objects: ask each rule with a fresh one."""
    if user is None:
        return AnonymousUser()
    return type(user).objects.get(pk=user.pk)


def build_world() -> World:
    """Create everything through the services, as the site would."""
    group = Group.objects.create(name="canary-r")
    root = make_admin("sec-root")
    users = {
        "anonymous": None,
        "norole": make_user(username="sec-norole"),
        "agent": make_user("agent", username="sec-agent"),
        "agent_r": make_user("agent", username="sec-agent-r"),
        "editor": make_user("editor", username="sec-editor"),
        "publisher": make_user("editor", "publisher", username="sec-publisher"),
        "manager": make_user("manager", username="sec-manager"),
        "admin": make_admin("sec-admin"),
    }
    users["agent_r"].groups.add(group)
    # A team for the people screens (urlmatrix.people_team), led by the manager.
    Team.objects.create(name=WORLD_TEAM, lead=users["manager"]).members.add(
        users["agent"], users["agent_r"]
    )
    # Helpers who create content the roles above must (or may) see.
    r_editor = make_user("editor", username="sec-r-editor")  # in R, cannot publish
    r_editor.groups.add(group)
    r_reader = make_user("agent", username="sec-r-reader")
    r_reader.groups.add(group)
    asker = make_user("agent", username="sec-asker")
    editor = users["editor"]

    c = CanaryFactory()
    s: dict = {}
    b: dict = {}

    # --- blocks (first: sections embed them) ----------------------------------------
    b["internal"] = blocks.block_create(
        key="sec-int",
        title=c("block-internal-title", lambda u: block_visible(u, b["internal"])),
        body=c("block-internal-body", lambda u: block_visible(u, b["internal"])),
        visibility=Visibility.INTERNAL,
        user=root,
    )
    b["restricted"] = blocks.block_create(
        key="sec-r",
        title=c("block-restricted-title", lambda u: block_visible(u, b["restricted"])),
        body=c("block-restricted-body", lambda u: block_visible(u, b["restricted"])),
        visibility=Visibility.RESTRICTED,
        groups=[group],
        user=root,
    )
    b["draft"] = blocks.block_create(
        key="sec-draft",
        title="World draft block",
        body="BLOCK-PUBLISHED-TEXT-OK",
        visibility=Visibility.INTERNAL,
        user=root,
    )

    def block_draft_rule(u):
        return block_visible(u, b["draft"]) and blocks.can_edit_block(u)

    blocks.block_save(
        block=b["draft"],
        user=root,
        title=c("block-draft-title", block_draft_rule),
        body=c("block-draft-body", block_draft_rule),
        message=c("block-draft-message", block_draft_rule),
        base=b["draft"].head_revision,
    )
    b["conflict"] = blocks.block_create(
        key="sec-conflict",
        title="World conflict block",
        body="BLOCK-CONFLICT-PUBLISHED-OK",
        visibility=Visibility.INTERNAL,
        user=root,
    )

    def kept_by_editor(u):
        return u.is_authenticated and (u.pk == editor.pk or u.is_superuser)

    BlockDraft.objects.create(
        block=b["conflict"],
        user=editor,
        title=c("blockdraft-title", kept_by_editor),
        body=c("blockdraft-body", kept_by_editor),
        base=b["conflict"].head_revision,
        conflict_with=b["conflict"].head_revision,
    )

    # --- sections ------------------------------------------------------------------
    s["manual"] = make_section(
        title=c("internal-manual-title", lambda u: can_read(u, s["manual"])),
        kind=Kind.MANUAL,
        user=root,
    )
    # The internal article comes in through the Word import, with an image.
    internal_title = c("internal-title", lambda u: can_read(u, s["internal"]))
    internal_body = c("internal-body", lambda u: can_read(u, s["internal"]))
    media_canary = c("media-internal", lambda u: can_read(u, s["internal"]))
    plan = Plan(
        roots=[
            PlanNode(
                title=internal_title,
                body=f"{internal_body}\n\n![figure](IMAGE-1)\n\n{{{{block:sec-draft}}}}\n",
                visibility=Visibility.INTERNAL,
                file="canary.docx",
                images=[PendingImage("IMAGE-1", PNG + media_canary.encode(), "png")],
            )
        ]
    )
    result = apply(plan, parent=s["manual"], user=root)
    assert result.created, result.problems
    s["internal"] = result.created[0]
    s["internal"].refresh_from_db()
    body = s["internal"].head_revision.body
    media_url = body.split("](", 1)[1].split(")", 1)[0]
    assert media_url.startswith(settings.MEDIA_URL), body
    media_file = Path(settings.MEDIA_ROOT) / media_url[len(settings.MEDIA_URL) :]
    _ensure_media_row(media_file, section=s["internal"], user=root)

    collaboration.draft_autosave(
        section=s["internal"],
        user=editor,
        title=c("autosave-title", kept_by_editor),
        body=c("autosave-body", kept_by_editor),
        base=s["internal"].head_revision,
    )

    s["restricted"] = make_section(
        s["manual"],
        title=c("restricted-title", lambda u: can_read(u, s["restricted"])),
        # Embedding blocks others may read: "where used" must not name this page.
        body=c("restricted-body", lambda u: can_read(u, s["restricted"])) + EMBEDS,
        visibility=Visibility.RESTRICTED,
        groups=[group],
        user=root,
    )
    s["restricted_child"] = make_section(
        s["restricted"],
        title=c("restricted-child-title", lambda u: can_read(u, s["restricted_child"])),
        body=c("restricted-child-body", lambda u: can_read(u, s["restricted_child"])),
        visibility=Visibility.RESTRICTED,
        groups=[group],
        user=root,
    )
    restricted = s["restricted"]
    services.section_update_settings(
        section=restricted,
        user=root,
        kind=restricted.kind,
        visibility=Visibility.RESTRICTED,
        groups=[group],
        owner=root,
        review_by=restricted.review_by,
        tags=[c("restricted-tag", lambda u: can_read(u, s["restricted"]))],
    )
    s["draft"] = make_section(
        s["manual"],
        title=c("draft-section-title", lambda u: can_read(u, s["draft"])),
        body=c("draft-section-body", lambda u: can_read(u, s["draft"])) + EMBEDS,
        user=root,
        publish=False,
    )

    s["help"] = make_section(
        title="World help centre",
        kind=Kind.MANUAL,
        visibility=Visibility.PUBLIC,
        user=root,
    )
    s["public_embed"] = make_section(
        s["help"],
        title="World public article",
        body="PUBLIC-TEXT-OK\n\n{{block:sec-int}}\n\n{{block:sec-r}}\n\n"
        "{{block:sec-draft}}\n",
        visibility=Visibility.PUBLIC,
        user=root,
    )
    s["public_draft"] = make_section(
        s["help"],
        title="World public drafted",
        body="PUBLIC-PUBLISHED-TEXT-OK",
        visibility=Visibility.PUBLIC,
        user=root,
    )

    def public_draft_rule(u):
        return can_read(u, s["public_draft"]) and can_edit(u, s["public_draft"])

    services.section_save(
        section=s["public_draft"],
        user=root,
        title=c("public-draft-title", public_draft_rule),
        body=c("public-draft-body", public_draft_rule),
        base=s["public_draft"].head_revision,
    )

    def trash_rule(key):
        return lambda u: can_delete(u) and readable_if_not_trashed(u, s[key])

    s["trash_internal"] = make_section(
        s["manual"],
        title=c("trash-internal-title", trash_rule("trash_internal")),
        body=c("trash-internal-body", trash_rule("trash_internal")) + EMBEDS,
        user=root,
    )
    s["trash_restricted"] = make_section(
        s["manual"],
        title=c("trash-restricted-title", trash_rule("trash_restricted")),
        body=c("trash-restricted-body", trash_rule("trash_restricted")) + EMBEDS,
        visibility=Visibility.RESTRICTED,
        groups=[group],
        user=root,
    )
    services.section_delete(section=s["trash_internal"], user=root)
    services.section_delete(section=s["trash_restricted"], user=root)

    s["review"] = make_section(
        s["manual"],
        title=c("review-title", lambda u: can_read(u, s["review"])),
        body=c("review-body", lambda u: can_read(u, s["review"])),
        visibility=Visibility.RESTRICTED,
        groups=[group],
        user=root,
    )

    def review_draft_rule(u):
        return can_read(u, s["review"]) and can_edit(u, s["review"])

    saved = services.section_save(
        section=s["review"],
        user=r_editor,
        title=c("review-draft-title", review_draft_rule),
        body=c("review-draft-body", review_draft_rule),
        base=s["review"].head_revision,
    )
    reviews = {
        "restricted": collaboration.review_submit(
            section=s["review"],
            revision=saved.revision,
            user=r_editor,
            note=c("review-note", review_draft_rule),
        )
    }

    # --- FAQ -----------------------------------------------------------------------
    category = Category.objects.create(name="World FAQ")
    entries = {}
    entries["internal"] = faq_services.entry_create(
        question=c(
            "faq-internal-question",
            lambda u: (
                Entry.objects.visible_to(u).filter(pk=entries["internal"].pk).exists()
            ),
        ),
        answer=c(
            "faq-internal-answer",
            lambda u: (
                Entry.objects.visible_to(u).filter(pk=entries["internal"].pk).exists()
            ),
        ),
        user=root,
        category=category,
        visibility="internal",
    )
    entries["public"] = faq_services.entry_create(
        question="World public question",
        answer="PUBLIC-FAQ-ANSWER-OK\n\n{{block:sec-int}}\n\n{{block:sec-r}}\n",
        user=root,
        category=category,
        visibility="public",
    )

    def question_rule(u):
        # Askers follow their own questions; editors answer them; managers see
        # unanswered ones among the knowledge gaps.
        return u.is_authenticated and (
            u.pk == asker.pk or can_answer(u) or can_view_reports(u)
        )

    questions = {
        "internal": faq_services.question_ask(
            text=c("question-text", question_rule),
            details=c("question-details", question_rule),
            user=asker,
            section=s["internal"],
        ),
        # Asked on a restricted section: its title must not reach outsiders.
        "restricted": faq_services.question_ask(
            text="World question about a restricted page",
            user=r_reader,
            section=s["restricted"],
        ),
    }

    # --- feedback and search analytics ----------------------------------------------
    feedback = {
        "public": feedback_services.feedback_submit(
            section=s["public_embed"],
            revision=s["public_embed"].published_revision,
            visitor="sec-visitor",
            audience="public",
            helpful=False,
            comment=c("feedback-comment", lambda u: can_view_reports(u)),
        ),
        "restricted": feedback_services.feedback_submit(
            section=s["restricted"],
            revision=s["restricted"].published_revision,
            user=r_reader,
            audience="internal",
            helpful=False,
            comment=c(
                "feedback-restricted-comment",
                lambda u: can_view_reports(u) and can_read(u, s["restricted"]),
            ),
        ),
    }
    SearchEvent.objects.create(
        query=c("search-query", lambda u: can_view_reports(u)),
        normalized="canary search query",
        results_count=0,
        audience="internal",
        user=asker,
    )

    # --- notifications ------------------------------------------------------------
    # One sent through the service to someone who may read the restricted section,
    # and one planted as if the section had been restricted after it was sent: the
    # agent's list must hide it (a notification is a read).
    sent = notify_services.notify(
        recipients=[users["agent_r"], users["agent"]],
        kind="section_changed",
        subject=s["restricted"],
        text=s["restricted"].title,
        url=s["restricted"].get_absolute_url(),
    )
    stale = Notification.objects.create(
        recipient=users["agent"],
        kind="section_changed",
        content_type=ContentType.objects.get_for_model(s["restricted"]),
        object_id=s["restricted"].pk,
        text=c("notification-stale", lambda u: u.is_superuser),
        url=s["restricted"].get_absolute_url(),
    )
    notification_ids = [n.pk for n in sent] + [stale.pk]

    for key in list(s):
        s[key].refresh_from_db()
    for key in list(b):
        b[key].refresh_from_db()
    # A learning path (training:path) with a step only some may read.
    from manuals.training.models import LearningPath, PathStep

    PathStep.objects.create(
        path=LearningPath.objects.create(name=WORLD_PATH, created_by=root),
        section=s["restricted"],
    )
    return World(
        users=users,
        sections=s,
        blocks=b,
        entries=entries,
        questions=questions,
        feedback=feedback,
        reviews=reviews,
        category=category,
        group=group,
        canaries=c.canaries,
        media_url=media_url,
        media_files=[media_file],
        notification_ids=notification_ids,
    )


def _ensure_media_row(path: Path, *, section, user) -> None:
    """When the Media model exists and the importer did not record the image (yet),
    record it as the import would, so the served file has its owner."""
    media_model = getattr(manual_models, "Media", None)
    if media_model is None:
        return
    name = path.relative_to(settings.MEDIA_ROOT).as_posix()
    if media_model.objects.filter(file=name).exists():
        return
    data = path.read_bytes()
    media_model.objects.create(
        file=name,
        content_type="image/png",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        section=section,
        uploaded_by=user,
    )


def compute_allowed(world: World) -> None:
    """role -> the canaries it may see, by each canary's rule."""
    for role in ROLES:
        user = _fresh(world.users[role])
        world.allowed[role] = frozenset(c.name for c in world.canaries if c.rule(user))


def content_type_id(model) -> int:
    return ContentType.objects.get_for_model(model).pk
