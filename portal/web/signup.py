"""Self sign-up, address confirmation and password reset: the browser's part.

Logic lives in ``portal.accounts.signup``; mail goes through
``portal.mailer`` after the request's commit (``portal.db.unit.on_commit``).
When the SMTP server fails, the after-commit hook notes it in the browser's
session and the next page says so: what was entered is already saved.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

from flask import Blueprint, Flask, Response, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from portal import mailer
from portal.accounts import mail_tokens
from portal.accounts import service as accounts
from portal.accounts import signup as service
from portal.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from portal.db.unit import on_commit
from portal.errors import NotFound, PortalError, TooManyAttempts
from portal.http.auth import client_address, login_limits, password_hasher
from portal.http.session import get_db, settings

bp = Blueprint("signup", __name__)
log = logging.getLogger(__name__)

MAIL_FAILED_KEY = "mail_failed"
RESET_THROTTLE_KEY = "(password reset)"


def _new_password(label: str) -> PasswordField:
    return PasswordField(label, validators=[
        DataRequired(),
        Length(min=MIN_LENGTH, message=f"Too short: use at least {MIN_LENGTH} characters."),
        Length(max=MAX_LENGTH, message=f"Too long: use at most {MAX_LENGTH} characters."),
    ])


def _again(field: str) -> PasswordField:
    return PasswordField("Password again", validators=[
        DataRequired(), EqualTo(field, message="The two passwords differ: type the same one twice.")])


class SignupForm(FlaskForm):
    username = StringField("User name", validators=[DataRequired(), Length(max=64)])
    email = EmailField("Email address", validators=[DataRequired(), Length(max=254)])
    password = _new_password(f"Password (at least {MIN_LENGTH} characters)")
    confirm = _again("password")
    submit = SubmitField("Create account")


class ResetRequestForm(FlaskForm):
    email = EmailField("Email address of your account", validators=[DataRequired(), Length(max=254)])
    submit = SubmitField("Mail me a link")


class ResetForm(FlaskForm):
    password = _new_password(f"New password (at least {MIN_LENGTH} characters)")
    confirm = _again("password")
    submit = SubmitField("Set new password")


def _link(endpoint: str, token: str) -> str:
    return settings().base_url + url_for(endpoint, token=token)


def _mail_after_commit(message: EmailMessage) -> None:
    """Send after the commit; a failure is remembered for the next page instead of being lost in a log.

    The message is built now: after the commit the rows are expired and the session must not load them.
    """
    session.pop(MAIL_FAILED_KEY, None)
    current = settings()

    def send() -> None:
        try:
            mailer.send(current, message)
        except mailer.MailError as exc:
            log.warning("account mail not sent: %s", exc)
            session[MAIL_FAILED_KEY] = True

    on_commit(get_db(), send)


def _mail_unavailable() -> str | None:
    reason = mailer.not_configured(settings())
    if reason is None and not settings().base_url:
        reason = "PORTAL_BASE_URL is not set, so a link cannot be mailed"
    return reason


def _message(title: str, text: str, status: int = 200, *, kind: str = "info") -> Response:
    return Response(render_template("signup/message.html", title=title, text=text, kind=kind), status=status)


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> ResponseReturnValue:
    if not settings().self_signup:
        raise NotFound("Self sign-up is off on this portal: ask your portal admin to create an account for you.")
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    unavailable = _mail_unavailable()
    if unavailable:
        return _message("Sign-up is not available",
                        f"Sign-up needs to mail you a link, and this portal cannot send mail yet ({unavailable}). "
                        "Ask your portal admin for an account.", 503, kind="warning")
    form = SignupForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = service.sign_up(get_db(), username=form.username.data or "", email=form.email.data or "",
                                   password=form.password.data or "", hasher=password_hasher())
        except PortalError as exc:
            flash(exc.message, "danger")
            status = exc.status
        else:
            secret = settings().secret_key
            token = mail_tokens.verify_token(secret, user.id, user.email or "")
            link = _link("signup.verify", token=token)
            _mail_after_commit(service.confirmation_mail(settings(), user, link))
            session["signup_email"] = user.email
            return redirect(url_for("signup.signup_sent"))
    elif request.method == "POST":
        status = 400
    return Response(render_template("signup/signup.html", form=form), status=status)


@bp.get("/signup/sent")
def signup_sent() -> ResponseReturnValue:
    email = session.get("signup_email", "your address")
    if session.pop(MAIL_FAILED_KEY, False):
        return _message("Account created, but the mail could not be sent",
                        f"Your account is saved, but the mail server did not accept the confirmation mail to "
                        f"{email}. Try again later: on the login page choose 'Forgot your password?' with "
                        "this address once your account is confirmed, or ask your portal admin to activate it.",
                        kind="warning")
    return _message("Check your mail", f"We mailed a confirmation link to {email}. Open it within 2 days to "
                    "activate your account, then log in.")


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm my address")


@bp.get("/verify/<token>")
def verify_page(token: str) -> ResponseReturnValue:
    """Opening the link only shows a button: mail scanners that fetch every link must not confirm the address."""
    try:
        user = service.account_to_confirm(get_db(), settings().secret_key, token)
    except mail_tokens.LinkRefused as exc:
        return _message("This link does not work", exc.message, 400, kind="danger")
    if user.email_verified_at is not None:
        flash(f"Your address is already confirmed, {user.name_shown}. Log in.", "info")
        return redirect(url_for("accounts.login"))
    return render_template("signup/confirm.html", user=user, form=ConfirmForm(), token=token)


@bp.post("/verify/<token>")
def verify(token: str) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        flash("The form had expired; nothing was changed. Press the button again.", "danger")
        return redirect(url_for("signup.verify_page", token=token))
    try:
        user = service.confirm_email(get_db(), settings().secret_key, token)
    except mail_tokens.LinkRefused as exc:
        return _message("This link does not work", exc.message, 400, kind="danger")
    flash(f"Your address is confirmed, {user.name_shown}. Log in with your user name and password.", "success")
    return redirect(url_for("accounts.login"))


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_request() -> ResponseReturnValue:
    form = ResetRequestForm()
    status, retry_after = 200, None
    if form.validate_on_submit():
        db = get_db()
        try:
            accounts.check_throttle(db, RESET_THROTTLE_KEY, client_address(), login_limits())
        except TooManyAttempts as exc:
            flash(exc.message.replace("failed logins", "password reset requests"), "danger")
            status, retry_after = 429, exc.retry_after
        else:
            accounts.record_failed_login(db, RESET_THROTTLE_KEY, client_address())  # counts requests
            unavailable = _mail_unavailable()
            if unavailable:  # the same for every address: says nothing about who has an account
                flash(f"This portal cannot send mail yet ({unavailable}); ask your portal admin to reset "
                      "your password.", "danger")
                status = 503
            else:
                user = service.user_for_reset(db, form.email.data or "")
                if user is not None:
                    token = mail_tokens.reset_token(settings().secret_key, user.id, user.password_hash)
                    link = _link("signup.reset_password", token=token)
                    _mail_after_commit(service.reset_mail(settings(), user, link))
                else:
                    session.pop(MAIL_FAILED_KEY, None)
                session["reset_email"] = (form.email.data or "").strip()
                return redirect(url_for("signup.reset_sent"))
    elif request.method == "POST":
        status = 400
    response = Response(render_template("signup/reset_request.html", form=form), status=status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.get("/password/reset/sent")
def reset_sent() -> ResponseReturnValue:
    email = session.get("reset_email", "that address")
    if session.pop(MAIL_FAILED_KEY, False):
        return _message("The mail could not be sent",
                        f"The mail server did not accept the mail to {email} just now. Try again later.",
                        kind="warning")
    return _message("Check your mail", f"If an account has the address {email}, we mailed it a link to choose "
                    "a new password. It works once, for 1 hour.")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    db = get_db()
    try:
        user = service.user_for_reset_token(db, settings().secret_key, token)
    except mail_tokens.LinkRefused as exc:
        return _message("This link does not work", exc.message, 400, kind="danger")
    form = ResetForm()
    status = 200
    if form.validate_on_submit():
        try:
            service.reset_password(db, settings().secret_key, token, form.password.data or "",
                                   hasher=password_hasher(), address=client_address())
        except PortalError as exc:
            flash(exc.message, "danger")
            status = exc.status
        else:
            flash("Your password is changed. Log in with the new one.", "success")
            return redirect(url_for("accounts.login"))
    elif request.method == "POST":
        status = 400
    return Response(render_template("signup/reset_form.html", form=form, user=user), status=status)


def init_app(app: Flask) -> None:
    """Registers this module's blueprint, and tells the login page whether to offer sign-up."""
    app.register_blueprint(bp)

    @app.context_processor
    def _signup_globals() -> dict[str, object]:
        return {"self_signup_on": settings().self_signup}
