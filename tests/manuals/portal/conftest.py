"""A help portal with canaries: text that must never reach a public page or file.

INTERNAL-CANARY sits in internal sections, BLOCK-CANARY in an internal block embedded
in a public article, FAQ-CANARY in an internal FAQ answer, DRAFT-CANARY in a public
section's unpublished draft.

A module whose tests use the portal builds it once, with its whoosh index, for all of
them (`pytestmark = pytest.mark.usefixtures("module_portal")`, see module_data in
tests/conftest.py); each test then searches a copy of that index.
"""

import shutil

import pytest
from django.test import override_settings

from faq.models import Category
from faq.services import entry_create
from manuals.blocks.services import block_create
from manuals.models import Kind, Visibility
from manuals.search import get_search_backend, reset_search_backend
from manuals.search.outbox import apply_all
from manuals.sections import services
from tests.conftest import build_tree
from tests.factories import make_admin, make_section

CANARIES = ("INTERNAL-CANARY", "BLOCK-CANARY", "FAQ-CANARY", "DRAFT-CANARY", "秘密条款")


def _whoosh(path) -> dict:
    return {
        "BACKEND": "manuals.search.backends.whoosh.WhooshSearchBackend",
        "OPTIONS": {"PATH": str(path), "LOCK_TIMEOUT": 5},
    }


@pytest.fixture(autouse=True)
def search_index(request, settings, tmp_path):
    """A fresh whoosh index per test: empty, or in a module using module_portal a
    copy of the index built with the portal."""
    path = tmp_path / "index"
    if "module_portal" in request.fixturenames:
        shutil.copytree(request.getfixturevalue("module_portal").index, path)
    settings.KB_SEARCH_BACKEND = _whoosh(path)
    reset_search_backend()
    yield get_search_backend()
    reset_search_backend()


def build_portal(tree, admin_user):
    """The small manual (tests/conftest.py build_tree) plus public articles, an
    internal block and FAQ entries, indexed."""
    block_create(
        key="secret-rule",
        title="内部规则",
        body="BLOCK-CANARY 秘密条款 只给员工看",
        visibility=Visibility.INTERNAL,
        user=admin_user,
        publish=True,
    )
    block_create(
        key="hours",
        title="服务时间",
        body="服务时间 9:00-18:00 PUBLIC-BLOCK",
        visibility=Visibility.PUBLIC,
        user=admin_user,
        publish=True,
    )
    help_root = tree["help"]
    shipping = make_section(
        help_root,
        title="配送说明",
        kind=Kind.CHAPTER,
        visibility=Visibility.PUBLIC,
        user=admin_user,
        body="关于配送的一切。",
    )
    refund = make_section(
        shipping,
        title="退款多久到账",
        visibility=Visibility.PUBLIC,
        user=admin_user,
        body=(
            "## 到账时间\n\n退款一般 3-5 个工作日到账。\n\n{{block:secret-rule}}\n\n"
            "{{block:hours}}\n\n## 注意事项\n\n请保留凭证。Refund receipts matter.\n\n"
            f"[内部流程](/s/{tree['refund'].pk}/) 与 [常见问题](/s/{tree['public_faq'].pk}/)"
        ),
    )
    traditional = make_section(
        shipping,
        title="訂單查詢",
        visibility=Visibility.PUBLIC,
        user=admin_user,
        body="如何查詢您的訂單與物流狀態。",
    )
    draft = make_section(
        shipping,
        title="发票说明",
        visibility=Visibility.PUBLIC,
        user=admin_user,
        body="发票在订单完成后开具。",
    )
    services.section_save(
        section=draft,
        user=admin_user,
        title="发票说明",
        body="DRAFT-CANARY 还没发布",
        base=draft.head_revision,
    )
    # A public chapter's internal child never shows, whatever its text.
    make_section(
        shipping,
        title="内部备注",
        visibility=Visibility.INTERNAL,
        user=admin_user,
        body="INTERNAL-CANARY 员工备注",
    )
    account = Category.objects.create(name="账户", order=1)
    public_entry = entry_create(
        question="如何修改密码？",
        answer="在设置页修改密码。{{block:secret-rule}}",
        user=admin_user,
        category=account,
        visibility="public",
    )
    internal_entry = entry_create(
        question="内部问题",
        answer="FAQ-CANARY 内部答案",
        user=admin_user,
        category=account,
        visibility="internal",
    )
    apply_all()
    return {
        **tree,
        "shipping": shipping,
        "refund_public": refund,
        "traditional": traditional,
        "draft": draft,
        "public_entry": public_entry,
        "internal_entry": internal_entry,
        "account": account,
    }


@pytest.fixture(scope="module")
def module_portal(module_data, tmp_path_factory):
    """The portal built once for the module, indexed into a folder of its own."""
    index = tmp_path_factory.mktemp("portal") / "index"

    def build():
        with override_settings(KB_SEARCH_BACKEND=_whoosh(index)):
            reset_search_backend()
            try:
                admin = make_admin()
                return build_portal(build_tree(admin), admin)
            finally:
                reset_search_backend()

    shared = module_data(build)
    shared.index = index
    return shared


@pytest.fixture
def portal(request, db):
    """The shared tree plus public articles, an internal block and FAQ entries (see
    build_portal): the module's, read again for this test, or built for it."""
    if "module_portal" not in request.fixturenames:
        return build_portal(request.getfixturevalue("tree"), make_admin())
    assert "tree" not in request.fixturenames, (
        "module_portal builds its own manual: take its sections from portal[...]"
    )
    return request.getfixturevalue("module_portal").get()


def assert_no_canary(text: str, where: str = "") -> None:
    for canary in CANARIES:
        assert canary not in text, f"{canary} leaked into {where}"
