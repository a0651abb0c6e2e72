"""The side-by-side diff of two revisions, and the compare page."""

import pytest
from django.urls import reverse

from manuals.diff import side_by_side
from manuals.sections import services
from tests.factories import make_section


def kinds(rows):
    return [r.kind for r in rows]


def test_identical_texts_are_all_equal():
    """Identical texts give only 'equal' rows, numbered on both sides."""
    rows = side_by_side("a\nb", "a\nb")
    assert kinds(rows) == ["equal", "equal"]
    assert [(r.left_no, r.right_no) for r in rows] == [(1, 1), (2, 2)]


def test_added_and_removed_lines():
    """An added line is an 'insert' row, a removed one a 'delete' row."""
    rows = side_by_side("keep\ngone\nend", "keep\nend\nnew")
    assert kinds(rows) == ["equal", "delete", "equal", "insert"]
    deleted = rows[1]
    assert (deleted.left_no, deleted.left, deleted.right_no) == (2, "gone", None)
    inserted = rows[3]
    assert (inserted.left_no, inserted.right_no, inserted.right) == (None, 3, "new")


def test_changed_line_marks_changed_words():
    """A changed line marks the removed part with <del> and the added with <ins>."""
    rows = side_by_side("refund within 7 days", "refund within 14 days")
    assert kinds(rows) == ["replace"]
    assert "<del>7</del>" in rows[0].left
    assert "<ins>14</ins>" in rows[0].right
    assert rows[0].left.startswith("refund within ")


def test_changed_chinese_characters_marked():
    """Changed Chinese characters are marked inside the line."""
    rows = side_by_side("七天内退款", "十四天内退款")
    assert "<del>七</del>" in rows[0].left
    assert "<ins>十四</ins>" in rows[0].right


def test_replace_block_of_unequal_length():
    """Replacing two lines by three pairs them up and marks the extra as inserted."""
    rows = side_by_side("x\na1\na2\ny", "x\nb1\nb2\nb3\ny")
    assert kinds(rows) == ["equal", "replace", "replace", "insert", "equal"]
    rows = side_by_side("x\na1\na2\na3\ny", "x\nb1\ny")
    assert kinds(rows) == ["equal", "replace", "delete", "delete", "equal"]


def test_diff_escapes_html():
    """Markup in revision text is shown escaped, never as live HTML."""
    rows = side_by_side("<b>old</b>\nsame <i>", "<script>alert(1)</script>\nsame <i>")
    joined = "".join(str(r.left) + str(r.right) for r in rows)
    assert "<script>" not in joined
    assert "<b>" not in joined
    assert "<i>" not in joined
    assert rows[1].left == "same &lt;i&gt;"


def test_diff_page_shows_changes(admin_user, editor, editor_client):
    """The compare page shows removed lines as <del> and added lines as <ins>,
    with row classes for each kind of change."""
    section = make_section(
        title="Policy",
        body="alpha\nrefund in 7 days\ngamma\nobsolete line\n",
        user=admin_user,
    )
    services.section_save(
        section=section,
        user=editor,
        title="Policy",
        body="brand new line\nalpha\nrefund in 14 days\ngamma\n",
        base=section.head_revision,
    )
    url = reverse("manuals:diff", args=[section.pk]) + "?a=1&b=2"
    response = editor_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<del>7</del>" in html
    assert "<ins>14</ins>" in html
    for kind in ("replace", "insert", "delete", "equal"):
        assert f'class="kb-diff-{kind}"' in html
    insert_row = html.split('class="kb-diff-insert"')[1].split("</tr>")[0]
    assert "brand new line" in insert_row
    delete_row = html.split('class="kb-diff-delete"')[1].split("</tr>")[0]
    assert "obsolete line" in delete_row
    assert response.context["changed"]


def test_diff_page_order_of_params_does_not_matter(admin_user, editor, editor_client):
    """Comparing 2 with 1 shows the same old/new order as 1 with 2."""
    section = make_section(title="T", body="one", user=admin_user)
    services.section_save(
        section=section, user=editor, title="T", body="two", base=section.head_revision
    )
    response = editor_client.get(
        reverse("manuals:diff", args=[section.pk]) + "?a=2&b=1"
    )
    assert response.context["old"].number == 1
    assert response.context["new"].number == 2


@pytest.mark.parametrize(
    "first, second, shown, not_shown",
    [
        # A renamed revision shows the title change in the comparison.
        (
            ("Old name", "same"),
            ("New name", "same"),
            ["<del>Old</del>", "<ins>New</ins>"],
            [],
        ),
        # Hostile text in a revision is escaped on the compare page.
        (
            ("H", "safe"),
            ("H", "<script>alert('DIFF')</script>"),
            [],
            ["<script>alert('DIFF')"],
        ),
    ],
    ids=["title-change-shown", "hostile-text-escaped"],
)
def test_diff_page_compares_two_revisions(
    admin_user, editor, editor_client, first, second, shown, not_shown
):
    """The compare page of revisions 1 and 2 shows the change, escaped."""
    section = make_section(title=first[0], body=first[1], user=admin_user)
    services.section_save(
        section=section,
        user=editor,
        title=second[0],
        body=second[1],
        base=section.head_revision,
    )
    html = editor_client.get(
        reverse("manuals:diff", args=[section.pk]) + "?a=1&b=2"
    ).content.decode()
    for text in shown:
        assert text in html
    for text in not_shown:
        assert text not in html


def test_diff_page_identical_revisions(admin_user, editor, editor_client):
    """Comparing a revision with itself says nothing changed."""
    section = make_section(title="Same", body="x", user=admin_user)
    response = editor_client.get(
        reverse("manuals:diff", args=[section.pk]) + "?a=1&b=1"
    )
    assert not response.context["changed"]
    assert "kb-diff-replace" not in response.content.decode()
