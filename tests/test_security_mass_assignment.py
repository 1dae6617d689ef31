"""Mass assignment (RELIABILITY.md, Web security: "`status`, `raised_amount`, `owner_id` in a form or
JSON body are ignored or rejected, never applied").

The JSON API rejects them: every body goes through ``api.input.checked_body``, which refuses any
field its endpoint's table does not list (422 naming it), and no table lists a server-owned one —
checked here for every table, with the behaviour on projects (tests/test_api.py), pledges
(tests/test_api_pledges.py) and bids (tests/test_api_tenders.py). Pages ignore them: a WTForms form
reads only its declared fields, and no form declares one — checked here for every form, with the
behaviour on the project form (tests/test_projects_views.py), the pledge form, a project edit and
the organization profile (below).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from wtforms import Form

import marketplace
import marketplace.api
from marketplace.api.input import SERVER_OWNED_FIELDS, JsonField
from marketplace.extensions import db
from marketplace.parties.models import Organization
from marketplace.pledges.models import Pledge
from marketplace.projects.models import Project
from tests import factories
from tests.factories import World
from tests.test_parties import profile_form
from tests.test_projects_views import valid_form

ROOT = Path(marketplace.__file__).resolve().parent
# Columns only the server, the ledger or staff decisions set (the real column names, see the models).
SERVER_OWNED = {
    "id",
    "status",
    "raised_amount",
    "matched_amount",
    "disbursed_amount",
    "supporters_count",
    "owner_id",
    "created_by_id",
    "paid_amount",
    "refunded_amount",
    "verification_status",
    "verified_by_id",
    "featured",
    "public_fundraising_qualified",
    "reference_code",
    "checkout_session_id",
    "payment_intent_id",
    "hidden_at",
    "session_version",
}
# Where a field of that name is the user's own choice, not a server-owned column.
ALLOWED = {("matching", "RESPONSE_FIELDS", "status")}  # a company answers an introduction
HOSTILE_FORM = {
    "status": "published",
    "raised_amount": "99999999",
    "matched_amount": "1",
    "owner_id": "1",
    "created_by_id": "1",
    "organization_id": "999",
    "company_id": "999",
    "paid_amount": "99999999",
    "verification_status": "verified",
    "featured": "y",
    "grade": "A5",
    "public_fundraising_qualified": "y",
    "session_version": "0",
}


def api_field_tables() -> dict[tuple[str, str], Mapping[str, JsonField]]:
    tables = {}
    for module_info in pkgutil.iter_modules(marketplace.api.__path__):
        if module_info.name.startswith("openapi"):
            continue
        module = importlib.import_module(f"marketplace.api.{module_info.name}")
        for name, value in vars(module).items():
            if isinstance(value, Mapping) and value and all(isinstance(v, JsonField) for v in value.values()):
                tables[(module_info.name, name)] = value
    return tables


def test_no_api_body_accepts_a_server_owned_field() -> None:
    tables = api_field_tables()
    assert len(tables) >= 30, "the scan no longer finds the API's field tables"
    assert {"status", "raised_amount", "owner_id"} <= SERVER_OWNED_FIELDS
    offered = {
        (module, table, field)
        for (module, table), fields in tables.items()
        for field in fields
        if field in SERVER_OWNED
    }
    assert offered == ALLOWED


def test_api_bodies_are_read_only_through_checked_body() -> None:
    raw = re.compile(r"request\.(get_json|json|form|values)\b")
    # The bid document upload is multipart: it refuses every form field but kind and title itself.
    by_hand = {"tenders.py": 'if name not in ("kind", "title"):\n            problems[name] = NOT_ALLOWED'}
    for path in (ROOT / "api").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        if path.name == "input.py":
            continue
        if path.name in by_hand:
            assert by_hand[path.name] in source, f"{path.name} no longer refuses unknown form fields"
            continue
        assert not raw.search(source), f"{path.name} reads the body by hand"


def all_forms() -> dict[str, set[str]]:
    forms: dict[str, set[str]] = {}
    for module_info in pkgutil.walk_packages(marketplace.__path__, "marketplace."):
        if ".translations" in module_info.name:
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, Form) and value.__module__ == module.__name__:
                fields = {
                    attribute
                    for klass in value.__mro__
                    for attribute, field in vars(klass).items()
                    if hasattr(field, "field_class")
                }
                forms[f"{module.__name__}.{name}"] = fields
    return forms


def test_no_page_form_declares_a_server_owned_field() -> None:
    forms = all_forms()
    assert len(forms) >= 30, "the scan no longer finds the forms"
    offered = {(form, field) for form, fields in forms.items() for field in fields if field in SERVER_OWNED}
    assert offered == {("marketplace.matching.forms.RespondForm", "status")}  # the company's own answer


def test_forms_are_built_by_wtforms_not_from_request_form() -> None:
    # A view that copied request.form into a model would bypass the forms above.
    for path in ROOT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr":
                source = ast.unparse(node)
                assert "request" not in source, (path, source)


def sign_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": factories.PASSWORD}).status_code == 302
    return client


def test_the_pledge_form_ignores_server_owned_fields(app: Flask, world: World) -> None:
    with app.app_context():
        factories.foundation()
    client = sign_in(app, world.company_email)
    page = client.get(f"/projects/{world.published_id}/pledge").get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page)
    assert token
    data = {**HOSTILE_FORM, "amount": "300", "method": "bank_transfer", "token": token.group(1)}
    data["status"] = "paid"
    assert client.post(f"/projects/{world.published_id}/pledge", data=data).status_code == 303
    with app.app_context():
        pledge = db.session.scalar(select(Pledge))
        project = db.session.get(Project, world.published_id)
        assert (pledge.status, pledge.paid_amount, pledge.amount) == ("pending", None, 30_000)
        assert pledge.company_id == world.company_id
        assert (project.raised_amount, project.matched_amount) == (0, 0)


def test_a_project_edit_ignores_server_owned_fields(app: Flask, world: World) -> None:
    client = sign_in(app, world.org_email)
    data = {**valid_form(title="改过的标题"), **HOSTILE_FORM}
    assert client.post(f"/projects/{world.draft_id}/edit", data=data).status_code in (302, 303)
    with app.app_context():
        project = db.session.get(Project, world.draft_id)
        assert project.title == "改过的标题", "the edit itself was saved"
        assert (project.status, project.raised_amount, project.featured) == ("draft", 0, False)
        assert project.organization_id == world.organization_id


def test_the_organization_profile_ignores_server_owned_fields(app: Flask, world: World) -> None:
    with app.app_context():
        organization = db.session.get(Organization, world.other_organization_id)
        before = (
            organization.verification_status,
            organization.grade,
            organization.public_fundraising_qualified,
        )
    client = sign_in(app, world.other_org_email)
    data = {**profile_form(app, world.other_organization_id, description="新的简介"), **HOSTILE_FORM}
    data["verification_status"] = "rejected"
    assert client.post("/organization/profile", data=data).status_code == 302
    with app.app_context():
        organization = db.session.get(Organization, world.other_organization_id)
        assert organization.description == "新的简介"
        after = (
            organization.verification_status,
            organization.grade,
            organization.public_fundraising_qualified,
        )
        assert after == before


@pytest.mark.parametrize("field", ["status", "raised_amount", "owner_id"])
def test_the_api_names_each_refused_field(app: Flask, world: World, field: str) -> None:
    with app.app_context():
        from marketplace.accounts import operations as accounts
        from marketplace.accounts.models import User

        user = db.session.scalar(select(User).where(User.email == world.org_email))
        token = accounts.issue_api_token(user)
        db.session.commit()
    response = app.test_client().patch(
        f"/api/v1/projects/{world.draft_id}",
        json={"title": "不会保存", field: 1},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {field}
    with app.app_context():
        assert db.session.get(Project, world.draft_id).title != "不会保存"
