"""Login, logout, and the account page (profile, password, API tokens)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.accounts import service as accounts
from portal.errors import AuthenticationRequired, InvalidInput, PortalError, TooManyAttempts
from portal.http.auth import LoginUser, client_address, login_limits, password_hasher, safe_next
from portal.http.session import get_db, settings
from portal.models import User
from portal.web.forms import LoginForm, PasswordForm, ProfileForm, RevokeForm, TokenForm

bp = Blueprint("accounts", __name__)


def _begin_login(user: User) -> None:
    """A fresh session for a fresh login: nothing from before the login survives."""
    session.clear()
    token = accounts.start_session(
        get_db(),
        user,
        address=client_address(),
        user_agent=request.headers.get("User-Agent", ""),
        hours=settings().session_hours,
    )
    login_user(LoginUser(user, token))
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("pages.home"))
    form = LoginForm()
    status, retry_after = 200, None
    if form.validate_on_submit():
        db = get_db()
        try:
            user = accounts.authenticate(
                db,
                form.username.data or "",
                form.password.data or "",
                address=client_address(),
                limits=login_limits(),
                hasher=password_hasher(),
            )
        except TooManyAttempts as exc:
            flash(exc.message, "danger")
            status, retry_after = 429, exc.retry_after
        except AuthenticationRequired as exc:
            flash(exc.message, "danger")
            status = 401
        else:
            _begin_login(user)
            flash(f"Welcome, {user.name_shown}. You are logged in.", "success")
            return redirect(next_url or url_for("pages.home"))
    elif request.method == "POST":
        flash("Not logged in: enter your user name (or email address) and your password.", "danger")
        status = 400
    response = Response(render_template("accounts/login.html", form=form, next_url=next_url), status=status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    if current_user.is_authenticated:
        accounts.end_session(get_db(), current_user.session_token)
    logout_user()
    session.clear()
    flash("You are logged out.", "success")
    return redirect(url_for("pages.home"))


def _account_page(status: int = 200, **forms: object) -> tuple[str, int]:
    db = get_db()
    user = db.scalar(select(User).where(User.id == current_user.id).options(selectinload(User.ptl_of)))
    if user is None:  # the account was removed while this page was open
        raise AuthenticationRequired("Your account no longer exists; log in again.")
    profile = forms.get("profile_form") or ProfileForm(display_name=user.display_name, timezone=user.timezone)
    return (
        render_template(
            "accounts/account.html",
            user=user,
            tokens=accounts.list_api_tokens(db, user),
            profile_form=profile,
            password_form=forms.get("password_form") or PasswordForm(),
            token_form=forms.get("token_form") or TokenForm(),
            revoke_form=RevokeForm(),
        ),
        status,
    )


@bp.get("/account")
@login_required
def account() -> tuple[str, int]:
    return _account_page()


@bp.post("/account/profile")
@login_required
def profile() -> ResponseReturnValue:
    form = ProfileForm()
    if not form.validate_on_submit():
        flash("The profile was not saved: fix the fields marked below.", "danger")
        return _account_page(400, profile_form=form)
    user = current_user.user
    user.display_name = (form.display_name.data or "").strip()
    user.timezone = form.timezone.data or "UTC"
    flash("Profile saved.", "success")
    return redirect(url_for("accounts.account"))


@bp.post("/account/password")
@login_required
def password() -> ResponseReturnValue:
    form = PasswordForm()
    if not form.validate_on_submit():
        flash("The password was not changed: fix the fields marked below.", "danger")
        return _account_page(400, password_form=form)
    user = current_user.user
    try:
        accounts.change_password(
            get_db(),
            user,
            form.current_password.data or "",
            form.new_password.data or "",
            address=client_address(),
            hasher=password_hasher(),
            limits=login_limits(),
        )
    except TooManyAttempts as exc:
        flash(exc.message, "danger")
        page, status = _account_page(429, password_form=form)
        return Response(page, status=status, headers={"Retry-After": str(exc.retry_after)})
    except InvalidInput as exc:
        flash(exc.message, "danger")
        return _account_page(400, password_form=form)
    _begin_login(user)
    flash("Password changed. Every other login of yours, on any browser, is now logged out.", "success")
    return redirect(url_for("accounts.account"))


@bp.post("/account/tokens")
@login_required
def create_token() -> ResponseReturnValue:
    form = TokenForm()
    if not form.validate_on_submit():
        flash("No token was created: give it a name.", "danger")
        return _account_page(400, token_form=form)
    try:
        token, secret = accounts.create_api_token(
            get_db(), current_user.user, form.name.data or "", address=client_address()
        )
    except PortalError as exc:
        flash(exc.message, "danger")
        return _account_page(exc.status, token_form=form)
    # Shown once, in this response only: never in a redirect, a flash or a log.
    response = Response(render_template("accounts/token_created.html", token=token, secret=secret), status=201)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    token = accounts.revoke_api_token(get_db(), current_user.user, token_id, address=client_address())
    flash(f"Token '{token.name}' revoked: requests using it are now refused.", "success")
    return redirect(url_for("accounts.account"))
