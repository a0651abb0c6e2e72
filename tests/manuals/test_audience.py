"""The one audience rule (manuals.audience): who a user reads as, what each
visibility lets them see, and the queryset filter that must agree with it."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group

from faq.models import Entry, EntryVisibility
from manuals.audience import (
    ANONYMOUS,
    EVERYONE,
    Audience,
    clamp_to_parent,
    effective_visibility,
)
from manuals.models import Section, Visibility
from manuals.permissions import can_read
from tests.factories import make_admin, make_section, make_user


@pytest.fixture
def people(db):
    red = Group.objects.create(name="red")
    blue = Group.objects.create(name="blue")
    insider = make_user("agent", username="insider")
    insider.groups.add(red)
    return {
        "anonymous": AnonymousUser(),
        "norole": make_user(username="norole"),
        "agent": make_user("agent", username="agent"),
        "insider": insider,
        "inactive": make_user("agent", username="gone", is_active=False),
        "admin": make_admin("root"),
        "red": red,
        "blue": blue,
    }


def test_who_reads_as_what(people):
    assert Audience.for_user(people["anonymous"]) == ANONYMOUS
    assert Audience.for_user(people["norole"]) == ANONYMOUS
    assert Audience.for_user(people["inactive"]) == ANONYMOUS
    assert Audience.for_user(people["admin"]) == EVERYONE
    agent = Audience.for_user(people["agent"])
    role = Group.objects.get(name="agent").pk  # roles are groups too
    assert agent.level == Audience.STAFF and agent.group_ids == {role}
    insider = Audience.for_user(people["insider"])
    assert insider.group_ids == {role, people["red"].pk}
    assert insider.key == "internal:" + ",".join(
        map(str, sorted([role, people["red"].pk]))
    )


@pytest.mark.parametrize(
    "audience", [ANONYMOUS, EVERYONE, Audience(Audience.STAFF, frozenset({3, 1}))]
)
def test_keys_name_audiences_both_ways(audience):
    assert Audience.from_key(audience.key) == audience


def test_what_each_audience_sees():
    staff = Audience(Audience.STAFF, frozenset({1}))
    table = {
        # (visibility, groups): (public, staff in group 1, everyone)
        (Visibility.PUBLIC, ()): (True, True, True),
        (Visibility.INTERNAL, ()): (False, True, True),
        (Visibility.RESTRICTED, (1, 2)): (False, True, True),
        (Visibility.RESTRICTED, (2,)): (False, False, True),
        (Visibility.RESTRICTED, ()): (False, False, True),
    }
    for (visibility, groups), expected in table.items():
        got = tuple(a.sees(visibility, groups) for a in (ANONYMOUS, staff, EVERYONE))
        assert got == expected, (visibility, groups)


def test_the_queryset_filter_agrees_with_sees(people):
    """For every kind of user and every kind of section, `readable_by` (built from
    Audience.q) returns exactly the sections `can_read` allows."""
    admin = people["admin"]
    root = make_section(title="root", visibility=Visibility.PUBLIC, user=admin)
    made = [
        make_section(root, title="pub", visibility=Visibility.PUBLIC, user=admin),
        make_section(root, title="int", visibility=Visibility.INTERNAL, user=admin),
        make_section(
            root,
            title="red",
            visibility=Visibility.RESTRICTED,
            groups=[people["red"]],
            user=admin,
        ),
        make_section(
            root,
            title="blue",
            visibility=Visibility.RESTRICTED,
            groups=[people["blue"]],
            user=admin,
        ),
    ]
    ids = {s.pk for s in made}
    for who in ("anonymous", "norole", "agent", "insider", "inactive", "admin"):
        user = people[who]
        by_query = set(
            Section.objects.readable_by(user)
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
        by_rule = {s.pk for s in made if can_read(user, Section.objects.get(pk=s.pk))}
        assert by_query == by_rule, who


def test_faq_entries_follow_the_same_rule(people):
    admin = people["admin"]
    public = Entry.objects.create(
        question="q1", answer="a", visibility=EntryVisibility.PUBLIC, created_by=admin
    )
    internal = Entry.objects.create(
        question="q2", answer="a", visibility=EntryVisibility.INTERNAL, created_by=admin
    )
    assert list(Entry.objects.visible_to(people["anonymous"])) == [public]
    assert set(Entry.objects.visible_to(people["agent"])) == {public, internal}


def test_clamping_and_effective_visibility():
    """What the services store is never wider than the parent; what a chain means
    is its narrowest link, with the groups every restricted link allows."""
    r = Visibility.RESTRICTED
    assert clamp_to_parent(
        (Visibility.INTERNAL, set()), (Visibility.PUBLIC, set())
    ) == (
        Visibility.INTERNAL,
        set(),
    )
    assert clamp_to_parent((r, {1, 2}), (r, {2, 3})) == (r, {2})
    assert clamp_to_parent((r, {1}), (r, {3})) == (r, {1})

    class Node:
        def __init__(self, visibility, groups=()):
            self.visibility = visibility
            self._groups = [type("G", (), {"pk": g}) for g in groups]
            self.groups = self

        def all(self):
            return self._groups

    chain = [Node(Visibility.PUBLIC), Node(r, {1, 2}), Node(r, {2, 3})]
    assert effective_visibility(chain) == (r, (2,))
    assert effective_visibility([Node(Visibility.PUBLIC)]) == (Visibility.PUBLIC, ())
