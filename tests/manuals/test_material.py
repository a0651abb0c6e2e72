"""Material changes: the guess from a diff, the editor's choice in the forms, and the
section's material version raised only when a published change is material (its
own, or a block's it follows), with the material_changed signal."""

import pytest
from django.urls import reverse

from manuals.blocks import services as blocks
from manuals.editing.material import looks_material
from manuals.models import Revision, Section, Visibility
from manuals.sections import services as sections
from manuals.signals import material_changed
from tests.factories import make_section

BODY = "## 规则\n\n退款 7 天内处理。\n\n1. 核实订单\n2. 生成退货单\n"


@pytest.mark.database_independent
@pytest.mark.parametrize(
    "new",
    [
        BODY.replace("7 天", "3 天"),  # a duration
        BODY.replace("规则", "规则 2026-01-01"),  # a date
        BODY + "3. 通知客户\n",  # a step added
        BODY.replace("2. 生成退货单\n", ""),  # a step removed
        BODY.replace("生成退货单", "联系主管审批后再生成退货单"),  # a step reworded
        BODY + "\n{{block:hotline}}\n",  # an embedded block
        BODY + "Refunds need a manager's approval now.",  # a new rule
    ],
)
def test_changes_of_meaning_look_material(new):
    assert looks_material(BODY, new)


@pytest.mark.database_independent
@pytest.mark.parametrize(
    "new",
    [
        BODY,
        BODY.replace("\n\n", "\n\n\n"),  # whitespace
        BODY.replace("。", "."),  # punctuation
        BODY.replace("核实订单", "核实定单"),  # a one-character typo
        BODY.replace("## 规则", "##  规则"),  # markup spacing
    ],
)
def test_typo_sized_changes_do_not(new):
    assert not looks_material(BODY, new)


@pytest.mark.database_independent
def test_english_typo_is_not_material_but_a_new_sentence_is():
    old = "Refunds are processed within seven days of the request."
    assert not looks_material(old, old.replace("processed", "procesed"))
    assert looks_material(old, old + " Managers approve refunds over the limit.")


@pytest.fixture
def section(db, admin_user):
    return make_section(title="退款", body=BODY, user=admin_user)


@pytest.fixture
def heard():
    calls = []

    def receiver(sender, section_ids, **kwargs):
        calls.append(sorted(section_ids))

    material_changed.connect(receiver)
    yield calls
    material_changed.disconnect(receiver)


def _save(section, user, body, **kwargs):
    section.refresh_from_db()
    return sections.section_save(
        section=section,
        user=user,
        title=section.title,
        body=body,
        base=section.head_revision,
        **kwargs,
    ).revision


def _material_version(section) -> int:
    return Section.objects.get(pk=section.pk).material_version


def test_the_first_publication_counts_as_material(admin_user, heard):
    section = make_section(title="新", body="x", user=admin_user)
    assert section.material_version == 1
    assert heard == [[section.pk]]
    draft = make_section(title="草稿", body="x", user=admin_user, publish=False)
    assert draft.material_version == 0


def test_a_material_publication_raises_the_version_and_says_so(
    section, admin_user, heard
):
    revision = _save(section, admin_user, BODY.replace("7 天", "3 天"), material=True)
    assert revision.material
    assert _material_version(section) == 1  # saved, not yet published
    sections.revision_publish(section=section, revision=revision, user=admin_user)
    assert _material_version(section) == 2
    assert heard == [[section.pk]]


def test_a_non_material_publication_leaves_it(section, admin_user, heard):
    revision = _save(section, admin_user, BODY.replace("7 天", "3 天"), material=False)
    sections.revision_publish(section=section, revision=revision, user=admin_user)
    assert _material_version(section) == 1
    assert heard == []


def test_left_to_the_site_the_diff_decides(section, admin_user):
    typo = _save(section, admin_user, BODY.replace("核实订单", "核实定单"))
    assert not typo.material
    number = _save(section, admin_user, BODY.replace("7 天", "5 天"))
    assert number.material


def test_publishing_a_later_minor_fix_keeps_an_earlier_material_draft(
    section, admin_user
):
    _save(section, admin_user, BODY.replace("7 天", "3 天"), material=True)
    fix = _save(section, admin_user, BODY.replace("7 天", "3 天") + " ", material=False)
    sections.revision_publish(section=section, revision=fix, user=admin_user)
    assert _material_version(section) == 2


def test_republishing_the_same_revision_changes_nothing(section, admin_user, heard):
    revision = Section.objects.get(pk=section.pk).published_revision
    sections.revision_publish(section=section, revision=revision, user=admin_user)
    assert _material_version(section) == 1
    assert heard == []


def test_a_blocks_material_change_reasks_every_follower_but_pinned_ones(
    admin_user, heard
):
    block = blocks.block_create(
        key="hotline",
        title="热线",
        body="热线 400-800-1234",
        visibility=Visibility.INTERNAL,
        user=admin_user,
    )
    following = make_section(title="跟随", body="{{block:hotline}}", user=admin_user)
    pinned = make_section(title="固定", body="{{block:hotline@1}}", user=admin_user)
    other = make_section(title="无关", body="x", user=admin_user)
    heard.clear()

    def publish(body, **kwargs):
        block.refresh_from_db()
        revision = blocks.block_save(
            block=block, user=admin_user, body=body, base=block.head_revision, **kwargs
        ).revision
        blocks.block_publish(block=block, revision=revision, user=admin_user)
        return revision

    publish("热线  400-800-1234", material=None)  # whitespace: guessed not material
    assert heard == []
    revision = publish("热线 400-800-9999")
    assert revision.material
    assert heard == [[following.pk]]
    assert _material_version(following) == 2
    assert _material_version(pinned) == 1
    assert _material_version(other) == 1


def test_the_edit_form_passes_the_editors_choice(section, publisher_client, publisher):
    section.refresh_from_db()
    url = reverse("manuals:edit", kwargs={"pk": section.pk})
    page = publisher_client.get(url)
    assert page.status_code == 200
    assert 'name="material"' in page.content.decode()
    response = publisher_client.post(
        url,
        {
            "title": section.title,
            "body": BODY.replace("核实订单", "核实定单"),
            "base": section.head_revision_id,
            "message": "",
            "material": "yes",
            "publish": "1",
        },
    )
    assert response.status_code == 302
    head = Revision.objects.filter(section=section).first()
    assert head.material
    assert _material_version(section) == 2


@pytest.mark.database_independent
def test_the_guess_stays_cheap_on_the_largest_bodies():
    """Linear, not quadratic: repeated lines and a body at the size limit answer in
    well under the time of a save (the first version took minutes on this)."""
    import time

    lines = ["退款流程的细节描述" + "甲乙丙丁"[i % 4] * 5 for i in range(4000)]
    old = "\n".join(lines)
    big = "字" * 200_000
    started = time.perf_counter()
    assert not looks_material(old, old.replace(lines[2000], lines[2000] + "x", 1))
    assert looks_material(old, "\n".join(reversed(lines)))
    assert not looks_material(big, "错" + big[:100_000] + "新" + big[100_000:])
    assert looks_material(big, "词" * 200_000)
    assert time.perf_counter() - started < 5
