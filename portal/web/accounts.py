"""Login (local, LDAP, OpenID Connect), logout, and the account page (profile, password, tokens, identities).

The views only carry the browser's part: the OpenID Connect flow's pending
state lives in this browser's session between ``/login/oidc`` and its
callback; checking, creating, linking and mapping happen in
``portal.accounts.oidc``, ``ldap`` and ``identities``.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import permissions
from portal.accounts import identities, ldap, oidc
from portal.accounts import service as accounts
from portal.errors import AuthenticationRequired, InvalidInput, PortalError, TooManyAttempts
from portal.http.auth import LoginUser, actor, client_address, login_limits, password_hasher, safe_next
from portal.http.session import get_db, settings
from portal.models import IdentityKind, User
from portal.web.forms import AdminActionForm, LoginForm, PasswordForm, ProfileForm, RevokeForm, TokenForm

PENDING_KEY = "oidc_pending"
OIDC_THROTTLE_KEY = "(openid connect)"

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
            user = identities.password_sign_in(
                db,
                form.username.data or "",
                form.password.data or "",
                address=client_address(),
                limits=login_limits(),
                hasher=password_hasher(),
                directory=ldap.DirectoryConfig.from_settings(settings()),
            )
        except TooManyAttempts as exc:
            flash(exc.message, "danger")
            status, retry_after = 429, exc.retry_after
        except AuthenticationRequired as exc:
            flash(exc.message, "danger")
            status = 401
        except ldap.DirectoryUnavailable as exc:
            flash(exc.message, "danger")
            status = 503
        else:
            _begin_login(user)
            flash(f"Welcome, {user.name_shown}. You are logged in.", "success")
            return redirect(next_url or url_for("pages.home"))
    elif request.method == "POST":
        flash("Not logged in: enter your user name (or email address) and your password.", "danger")
        status = 400
    return _login_page(form, next_url, status, retry_after)


def _login_page(form: LoginForm, next_url: str | None, status: int, retry_after: int | None = None) -> Response:
    provider = oidc.ProviderConfig.from_settings(settings())
    response = Response(
        render_template("accounts/login.html", form=form, next_url=next_url,
                        oidc_name=provider.name if provider else None, ldap_on=bool(settings().ldap_url)),
        status=status,
    )
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _provider() -> oidc.ProviderConfig:
    provider = oidc.ProviderConfig.from_settings(settings())
    if provider is None:
        raise PortalError("Sign-in with OpenID Connect is not configured here; log in with your user name and "
                          "password, or ask the admin to set PORTAL_OIDC_ISSUER.")
    return provider


def _redirect_uri() -> str:
    base = settings().base_url
    path = url_for("accounts.oidc_callback")
    return base + path if base else url_for("accounts.oidc_callback", _external=True)


def _send_to_provider(purpose: str, next_url: str | None, user_id: int | None = None) -> ResponseReturnValue:
    provider = _provider()
    try:
        with oidc.http_client(settings()) as client:
            url, pending = oidc.begin(provider, client, settings(), redirect_uri=_redirect_uri(), purpose=purpose,
                                      user_id=user_id, next_url=next_url)
    except oidc.ProviderUnavailable as exc:
        flash(exc.message, "danger")
        if purpose == "link":
            return redirect(url_for("accounts.account"))
        return _login_page(LoginForm(), next_url, 502)
    session[PENDING_KEY] = pending.to_dict()
    return redirect(url)


@bp.get("/login/oidc")
def oidc_start() -> ResponseReturnValue:
    """Start the OpenID Connect flow: a fresh state, nonce and PKCE verifier, then off to the provider."""
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("pages.home"))
    return _send_to_provider("login", next_url)


@bp.get("/login/oidc/callback")
def oidc_callback() -> ResponseReturnValue:
    """The provider sends the browser back here: check, exchange, verify, then sign in (or link)."""
    provider = _provider()
    db = get_db()
    address = client_address()
    pending = oidc.PendingSignIn.from_dict(session.pop(PENDING_KEY, None))  # one use: a replay finds nothing
    try:
        accounts.check_throttle(db, OIDC_THROTTLE_KEY, address, login_limits())
        checked = oidc.check_state(pending, request.args)
        with oidc.http_client(settings()) as client:
            claims = oidc.finish(provider, client, settings(), checked, request.args["code"])
    except TooManyAttempts as exc:
        flash(exc.message, "danger")
        return _login_page(LoginForm(), None, 429, exc.retry_after)
    except oidc.OidcRefused as exc:
        accounts.record_failed_login(db, OIDC_THROTTLE_KEY, address)
        flash(exc.message, "danger")
        return _login_page(LoginForm(), None, 401)
    except oidc.ProviderUnavailable as exc:
        flash(exc.message, "danger")
        return _login_page(LoginForm(), None, 502)
    profile = identities.ExternalProfile(
        kind=IdentityKind.OIDC, issuer=claims.issuer, subject=claims.subject,
        label=claims.email or claims.preferred_username or claims.subject,
        username_hint=claims.preferred_username or (claims.email or ""),
        email=claims.email if claims.email_verified else None, display_name=claims.name, groups=claims.groups,
    )
    if checked.purpose == "link":
        return _finish_link(profile, checked)
    mapping = (identities.Mapping(provider.group_roles, direct=not provider.group_roles)
               if provider.roles_claim else None)
    try:
        user = identities.sign_in(db, profile, address=address, limits=login_limits(), mapping=mapping)
    except TooManyAttempts as exc:
        flash(exc.message, "danger")
        return _login_page(LoginForm(), None, 429, exc.retry_after)
    except AuthenticationRequired as exc:
        flash(exc.message, "danger")
        return _login_page(LoginForm(), None, 401)
    _begin_login(user)
    flash(f"Welcome, {user.name_shown}. You are logged in with {provider.name}.", "success")
    return redirect(safe_next(checked.next_url) or url_for("pages.home"))


def _finish_link(profile: identities.ExternalProfile, pending: oidc.PendingSignIn) -> ResponseReturnValue:
    if not current_user.is_authenticated or current_user.id != pending.user_id:
        flash("Linking was started by another login; log in again and start linking from your account page.",
              "danger")
        return redirect(url_for("accounts.login"))
    try:
        added = identities.link(get_db(), current_user.user, current_user.user, profile, address=client_address())
    except PortalError as exc:
        get_db().rollback()
        flash(f"Not linked: {exc.message}", "danger")
        return redirect(url_for("accounts.account"))
    flash(f"Linked {profile.label}: you can now sign in with it." if added
          else f"{profile.label} was already linked to your account.", "success" if added else "info")
    return redirect(url_for("accounts.account"))


@bp.post("/account/identities/oidc")
@login_required
def link_oidc() -> ResponseReturnValue:
    """Link an OpenID Connect identity to the signed-in account: a round trip to the provider."""
    permissions.require(permissions.can_link_identity(actor(), current_user.user))
    if not AdminActionForm().validate_on_submit():
        flash("The form had expired; nothing was linked. Try again.", "danger")
        return redirect(url_for("accounts.account"))
    return _send_to_provider("link", None, user_id=current_user.id)


@bp.post("/account/identities/<int:identity_id>/remove")
@login_required
def unlink_identity(identity_id: int) -> ResponseReturnValue:
    db = get_db()
    user = identities.load_user(db, current_user.id)
    permissions.require(permissions.can_link_identity(actor(), user))
    identity = identities.get_identity(db, user, identity_id)
    if not AdminActionForm().validate_on_submit():
        flash("The form had expired; nothing was removed. Try again.", "danger")
        return _account_page(400)
    label = identity.label
    try:
        identities.unlink(db, user, user, identity, address=client_address())
    except PortalError as exc:
        db.rollback()
        flash(f"Nothing was removed: {exc.message}", "danger")
        return _account_page(exc.status)
    flash(f"{label} is no longer linked: it cannot sign in to your account any more.", "success")
    return redirect(url_for("accounts.account"))


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
            identities=identities.identities_of(db, user),
            identity_form=AdminActionForm(),
            oidc_name=(provider.name if (provider := oidc.ProviderConfig.from_settings(settings())) else None),
            kind_names=identities.KIND_NAMES,
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
