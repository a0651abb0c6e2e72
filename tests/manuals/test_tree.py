"""Tree moves: positions, whole subtrees, refusing cycles, visibility clamping."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from manuals.models import Section, Visibility
from manuals.sections import selectors, services
from tests.factories import make_admin, make_section


def assert_tree_ok():
    problems = Section.objects.find_problems()
    assert not any(problems), problems


def titles(nodes):
    return [n.title for n in nodes]


def fresh(node):
    """Treebeard answers leaf questions from numchild: refetch nodes we hold."""
    return Section.objects.get(pk=node.pk)


def children_titles(node):
    return titles(Section.objects.get_children(fresh(node)))


def build_forest(admin_user):
    """Two manuals: M1 with A (A1, A2 > A2x), B, C; M2 with X."""
    m1 = make_section(title="M1", user=admin_user)
    a = make_section(m1, title="A", user=admin_user)
    a1 = make_section(a, title="A1", user=admin_user)
    a2 = make_section(a, title="A2", user=admin_user)
    a2x = make_section(a2, title="A2x", user=admin_user)
    b = make_section(m1, title="B", user=admin_user)
    c = make_section(m1, title="C", user=admin_user)
    m2 = make_section(title="M2", user=admin_user)
    x = make_section(m2, title="X", user=admin_user)
    return {
        "m1": m1,
        "a": a,
        "a1": a1,
        "a2": a2,
        "a2x": a2x,
        "b": b,
        "c": c,
        "m2": m2,
        "x": x,
    }


@pytest.fixture(scope="module")
def module_forest(module_data):
    return module_data(lambda: build_forest(make_admin()))


@pytest.fixture
def forest(module_forest, db):
    """The two manuals (see build_forest), built once for the module."""
    return module_forest.get()


# Every test here sees the forest, built once for the module (module_data in
# tests/conftest.py); `forest` hands each test its own instances.
pytestmark = pytest.mark.usefixtures("module_forest")


def test_fixture_tree_is_sound(forest):
    """The tree built through the services is consistent."""
    assert children_titles(forest["m1"]) == ["A", "B", "C"]
    assert children_titles(forest["a"]) == ["A1", "A2"]
    assert_tree_ok()


def test_move_before(forest, editor):
    """'before' puts the section (with its subtree) just before the target."""
    moved = services.section_move(
        section=forest["a"], target=forest["x"], position="before", user=editor
    )
    assert children_titles(forest["m2"]) == ["A", "X"]
    assert children_titles(forest["m1"]) == ["B", "C"]
    assert children_titles(moved) == ["A1", "A2"]
    a2 = Section.objects.get(pk=forest["a2"].pk)
    assert children_titles(a2) == ["A2x"]
    assert Section.objects.get(pk=forest["a2x"].pk).depth == 4
    assert_tree_ok()


def test_move_after(forest, editor):
    """'after' puts the section just after the target among the same siblings."""
    services.section_move(
        section=forest["a"], target=forest["b"], position="after", user=editor
    )
    assert children_titles(forest["m1"]) == ["B", "A", "C"]
    assert children_titles(Section.objects.get(pk=forest["a"].pk)) == ["A1", "A2"]
    assert_tree_ok()


def test_move_after_last_sibling(forest, editor):
    """Moving after the last sibling makes the section the last one."""
    services.section_move(
        section=forest["a"], target=forest["c"], position="after", user=editor
    )
    assert children_titles(forest["m1"]) == ["B", "C", "A"]
    assert_tree_ok()


def test_move_first_child(forest, editor):
    """'first-child' makes the section the first child of the target."""
    services.section_move(
        section=forest["c"], target=forest["a"], position="first-child", user=editor
    )
    assert children_titles(Section.objects.get(pk=forest["a"].pk)) == ["C", "A1", "A2"]
    assert children_titles(forest["m1"]) == ["A", "B"]
    assert_tree_ok()


def test_move_last_child_with_subtree(forest, editor):
    """'last-child' moves the whole subtree under the target, descendants included."""
    services.section_move(
        section=forest["a2"], target=forest["x"], position="last-child", user=editor
    )
    x = Section.objects.get(pk=forest["x"].pk)
    assert children_titles(x) == ["A2"]
    assert titles(Section.objects.get_descendants(fresh(x))) == ["A2", "A2x"]
    assert children_titles(Section.objects.get(pk=forest["a"].pk)) == ["A1"]
    a2x = Section.objects.get(pk=forest["a2x"].pk)
    assert titles(Section.objects.get_ancestors(a2x)) == ["M2", "X", "A2"]
    assert_tree_ok()


def test_move_to_root_level(forest, editor):
    """Moving before a manual turns the section into a top-level manual."""
    services.section_move(
        section=forest["b"], target=forest["m1"], position="before", user=editor
    )
    assert titles(Section.objects.get_root_nodes()) == ["B", "M1", "M2"]
    assert_tree_ok()


def test_move_into_own_descendant_refused(forest, editor):
    """A section cannot be moved into its own subtree; the tree stays unchanged."""
    before = list(Section.objects.values_list("pk", "path"))
    for target, pos in (
        (forest["a2x"], "last-child"),
        (forest["a1"], "before"),
        (forest["a2"], "first-child"),
    ):
        with pytest.raises(ValidationError):
            services.section_move(
                section=forest["a"], target=target, position=pos, user=editor
            )
    assert list(Section.objects.values_list("pk", "path")) == before
    assert_tree_ok()


def test_move_onto_itself_refused(forest, editor):
    """Moving a section next to or into itself is refused."""
    with pytest.raises(ValidationError):
        services.section_move(
            section=forest["a"], target=forest["a"], position="after", user=editor
        )
    assert_tree_ok()


def test_move_unknown_position_refused(forest, editor):
    """An unknown position is a validation error, not a crash."""
    with pytest.raises(ValidationError):
        services.section_move(
            section=forest["a"], target=forest["b"], position="sideways", user=editor
        )
    assert children_titles(forest["m1"]) == ["A", "B", "C"]
    assert_tree_ok()


def test_move_requires_edit_permission(forest, agent):
    """An agent cannot move sections."""
    with pytest.raises(PermissionDenied):
        services.section_move(
            section=forest["a"], target=forest["x"], position="after", user=agent
        )
    assert children_titles(forest["m1"]) == ["A", "B", "C"]


def test_moved_section_keeps_its_url(forest, editor, agent_client):
    """A moved section keeps its address (the id is in the URL)."""
    url = forest["a2"].get_absolute_url()
    services.section_move(
        section=forest["a2"], target=forest["x"], position="last-child", user=editor
    )
    assert Section.objects.get(pk=forest["a2"].pk).get_absolute_url() == url
    response = agent_client.get(url)
    assert response.status_code == 200
    assert "A2" in response.content.decode()


def test_move_into_narrower_parent_clamps_subtree(admin_user, editor):
    """A public subtree moved under a restricted section becomes restricted to it."""
    group = Group.objects.create(name="team")
    restricted = make_section(
        title="R", visibility=Visibility.RESTRICTED, groups=[group], user=admin_user
    )
    public = make_section(title="P", visibility=Visibility.PUBLIC, user=admin_user)
    child = make_section(
        public, title="Pc", visibility=Visibility.PUBLIC, user=admin_user
    )
    # An editor outside the group may not move anything into it...
    with pytest.raises(PermissionDenied):
        services.section_move(
            section=public, target=restricted, position="last-child", user=editor
        )
    # ...a member may, and the subtree takes the narrower visibility.
    editor.groups.add(group)
    editor = type(editor).objects.get(pk=editor.pk)
    services.section_move(
        section=public, target=restricted, position="last-child", user=editor
    )
    for node in (public, child):
        node.refresh_from_db()
        assert node.visibility == Visibility.RESTRICTED
        assert list(node.groups.all()) == [group]
    assert_tree_ok()


def test_move_into_internal_parent_clamps_public(admin_user, editor):
    """A public section moved under an internal one becomes internal."""
    internal = make_section(title="I", user=admin_user)
    public = make_section(title="P", visibility=Visibility.PUBLIC, user=admin_user)
    moved = services.section_move(
        section=public, target=internal, position="first-child", user=editor
    )
    assert moved.visibility == Visibility.INTERNAL
    assert_tree_ok()


def test_move_out_keeps_narrow_visibility(admin_user, editor):
    """Moving a section out to a wider place never widens it by itself."""
    internal = make_section(title="I", user=admin_user)
    public = make_section(title="P", visibility=Visibility.PUBLIC, user=admin_user)
    child = make_section(internal, title="Ic", user=admin_user)
    moved = services.section_move(
        section=child, target=public, position="last-child", user=editor
    )
    assert moved.visibility == Visibility.INTERNAL
    assert_tree_ok()


def test_move_view_moves_subtree(forest, editor_client):
    """The move form moves the section and redirects to its (unchanged) address."""
    url = reverse("manuals:move", args=[forest["a"].pk])
    response = editor_client.post(url, {"target": forest["x"].pk, "position": "after"})
    assert response.status_code == 302
    assert response["Location"] == forest["a"].get_absolute_url()
    assert children_titles(forest["m2"]) == ["X", "A"]
    assert_tree_ok()


def test_move_view_refuses_descendant_target(forest, editor_client):
    """The move form does not accept a target inside the section's own subtree."""
    url = reverse("manuals:move", args=[forest["a"].pk])
    page = editor_client.get(url).content.decode()
    assert f'value="{forest["a2x"].pk}"' not in page
    assert f'value="{forest["x"].pk}"' in page
    response = editor_client.post(
        url, {"target": forest["a2x"].pk, "position": "last-child"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert children_titles(forest["m1"]) == ["A", "B", "C"]
    assert_tree_ok()


def test_delete_and_purge_subtree_keep_tree_consistent(forest, editor, admin_user):
    """Trashing then purging a middle subtree leaves siblings in order and the tree
    sound."""
    services.section_delete(section=forest["a2"], user=editor)
    assert_tree_ok()
    services.section_purge(section=forest["a2"], user=admin_user)
    assert children_titles(Section.objects.get(pk=forest["a"].pk)) == ["A1"]
    assert not Section.objects.filter(title="A2x").exists()
    assert_tree_ok()


def test_add_after_delete_and_move(forest, editor, admin_user):
    """New sections can still be added after moves and deletes (paths stay unique)."""
    services.section_move(
        section=forest["b"], target=forest["a"], position="last-child", user=editor
    )
    services.section_delete(section=forest["a1"], user=editor)
    services.section_purge(section=forest["a1"], user=admin_user)
    make_section(forest["a"], title="New", user=admin_user)
    assert children_titles(Section.objects.get(pk=forest["a"].pk)) == ["A2", "B", "New"]
    assert_tree_ok()


def test_sidebar_tree_opens_path_to_current(forest, agent):
    """The sidebar shows manuals and the children along the path to the page."""
    a2x = Section.objects.get(pk=forest["a2x"].pk)
    ancestors = list(Section.objects.get_ancestors(a2x))
    roots = selectors.sidebar_tree(agent, a2x, ancestors)
    assert [n.section.title for n in roots] == ["M1", "M2"]
    m1 = roots[0]
    assert m1.open
    assert [n.section.title for n in m1.children] == ["A", "B", "C"]
    a = m1.children[0]
    assert [n.section.title for n in a.children] == ["A1", "A2"]
    a2 = a.children[1]
    assert [n.section.title for n in a2.children] == ["A2x"]
    assert a2.children[0].current
    assert not roots[1].open
    assert roots[1].children == []
    assert roots[1].has_children


def test_previous_next_follow_reading_order(forest, agent):
    """Previous/next follow depth-first reading order across chapters."""
    prev, nxt = selectors.previous_next(agent, forest["a2x"])
    assert prev.title == "A2"
    assert nxt.title == "B"
