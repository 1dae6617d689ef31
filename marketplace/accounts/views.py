"""Login, logout, sign-up and password change pages.

Thin on purpose: each view turns the form into the operation's input, calls the operation,
commits once on success and rolls back on a domain error (so nothing is saved).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from marketplace.accounts import operations
from marketplace.accounts.forms import (
    SIGN_UP_ALIASES,
    ChangePasswordForm,
    CompanySignUpForm,
    LoginForm,
    OrganizationSignUpForm,
)
from marketplace.accounts.models import Role, User
from marketplace.authz import login_required_any
from marketplace.errors import DomainError
from marketplace.extensions import db, limiter
from marketplace.forms import populate_errors
from marketplace.messages import Msg
from marketplace.web import translate

bp = Blueprint("accounts", __name__)

LOGIN_FAILED = Msg("邮箱或密码不正确")


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: one leading "/", no scheme, host or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    return target


def _start_session(user: User, *, remember: bool = False) -> None:
    # A fresh session id at login (no fixation): nothing from the anonymous session survives.
    session.clear()
    login_user(user, remember=remember)


def _failed_login(response: Any) -> bool:
    """Only failed attempts count towards the login rate limit."""
    return response.status_code != 302


# The page and the API's token exchange (api/accounts.py) share one budget of failed attempts.
LOGIN_LIMIT_SCOPE = "login"


@bp.route("/login", methods=["GET", "POST"])
@limiter.shared_limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    LOGIN_LIMIT_SCOPE,
    methods=["POST"],
    deduct_when=_failed_login,
)
def login() -> Any:
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(target or url_for("dashboard.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = operations.authenticate(form.email.data or "", form.password.data or "")
        # Failed attempts are audited too, so commit either way.
        db.session.commit()
        if user is not None:
            _start_session(user, remember=bool(form.remember.data))
            flash(translate(Msg("欢迎回来，%(name)s", name=user.name)), "success")
            return redirect(target or url_for("dashboard.home"))
        # The same words for an unknown e-mail and a wrong password (ASVS 6.3.8).
        form.form_errors.append(translate(LOGIN_FAILED))
        form.password.data = ""
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form, next=target), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    if current_user.is_authenticated:
        logout_user()
        flash(translate(Msg("您已安全退出")), "info")
    return redirect(url_for("main.home"))


@bp.route("/signup")
def signup() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    return render_template("accounts/signup.html")


@bp.route("/signup/organization", methods=["GET", "POST"])
def signup_organization() -> Any:
    return _sign_up(Role.ORG, OrganizationSignUpForm, "accounts/signup_organization.html")


@bp.route("/signup/company", methods=["GET", "POST"])
def signup_company() -> Any:
    return _sign_up(Role.COMPANY, CompanySignUpForm, "accounts/signup_company.html")


def _sign_up(role: Role, form_class: type[OrganizationSignUpForm | CompanySignUpForm], template: str) -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = form_class()
    if request.method != "POST":
        return render_template(template, form=form)
    # The form's own checks (phone, business areas) and the operation's are shown together.
    form_valid = form.validate()
    try:
        user = operations.sign_up(role, form.account_input(), form.party_input())
    except DomainError as error:
        db.session.rollback()
        populate_errors(form, _without_duplicate_contact_errors(error), aliases=SIGN_UP_ALIASES)
        return render_template(template, form=form), 422
    if not form_valid:
        db.session.rollback()
        return render_template(template, form=form), 422
    db.session.commit()
    _start_session(user)
    flash(
        translate(
            Msg(
                "注册成功！「%(party)s」正在等待团区委认证，认证通过后即可发布项目或参与资助。",
                party=user.party.name,
            )
        ),
        "success",
    )
    return redirect(url_for("dashboard.home"))


def _without_duplicate_contact_errors(error: DomainError) -> DomainError:
    """The person's name and e-mail are also the party's contact: show one reason per input."""
    fields = dict(error.fields)
    for contact, own in SIGN_UP_ALIASES.items():
        if own in fields:
            fields.pop(contact, None)
    return DomainError(fields)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required_any
def change_password() -> Any:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user: User = current_user._get_current_object()
        remembered = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
        try:
            operations.change_password(
                user,
                form.current_password.data or "",
                form.new_password.data or "",
                form.confirmation.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            populate_errors(form, error)
            return render_template("accounts/change_password.html", form=form), 422
        db.session.commit()
        # The session version changed, which signs out every other session; keep this one.
        _start_session(user, remember=remembered is not None)
        flash(translate(Msg("密码已修改，其他设备上的登录已全部退出")), "success")
        return redirect(url_for("dashboard.home"))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/change_password.html", form=form), status
