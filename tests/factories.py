"""factory_boy factories for users with roles and for sections built through services."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from manuals.models import Kind, Visibility
from manuals.sections import services


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))
        self.save()


def make_user(*roles, username=None, **kwargs):
    """A user in the given role groups (agent, editor, publisher, manager)."""
    if username:
        kwargs["username"] = username
    return UserFactory(roles=list(roles), **kwargs)


def make_admin(username="admin"):
    return UserFactory(username=username, is_superuser=True, is_staff=True)


def make_section(
    parent=None,
    *,
    title="Section",
    body="",
    kind=Kind.ARTICLE,
    visibility=Visibility.INTERNAL,
    user=None,
    publish=True,
    **kwargs,
):
    """A section created through the service, as the UI would."""
    user = user or make_admin("factory-admin")
    return services.section_create(
        parent=parent,
        title=title,
        body=body,
        kind=kind,
        visibility=visibility,
        user=user,
        publish=publish,
        **kwargs,
    )
