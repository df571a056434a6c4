"""Every HTML form, declared field by field (nothing else is ever bound), with CSRF."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from portal.checklist.template import STATE_LABELS


class LoginForm(FlaskForm):
    username = StringField("User name or email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_LENGTH)])
    submit = SubmitField("Log in")


class LogoutForm(FlaskForm):
    submit = SubmitField("Log out")


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField(
        f"New password (at least {MIN_LENGTH} characters)",
        validators=[
            DataRequired(),
            Length(min=MIN_LENGTH, message=f"Too short: use at least {MIN_LENGTH} characters."),
            Length(max=MAX_LENGTH, message=f"Too long: use at most {MAX_LENGTH} characters."),
        ],
    )
    confirm = PasswordField(
        "New password again",
        validators=[
            DataRequired(),
            EqualTo("new_password", message="The two new passwords differ: type the same one twice."),
        ],
    )
    submit = SubmitField("Change password")


def _timezones() -> list[tuple[str, str]]:
    return [(tz, tz) for tz in sorted(available_timezones())]


class ProfileForm(FlaskForm):
    display_name = StringField("Display name", validators=[Length(max=128)])
    timezone = SelectField("Time zone for dates", choices=_timezones, validate_choice=True)
    submit = SubmitField("Save profile")


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=100)],
                       description="What it is for, e.g. 'ci-sync' or 'my laptop'.")
    submit = SubmitField("Create token")


class RevokeForm(FlaskForm):
    submit = SubmitField("Revoke")


class ChecklistAnswerForm(FlaskForm):
    """One checklist item's answer; rendered with ``prefix=<item key>`` so ids stay unique."""

    state = SelectField("State", choices=lambda: list(STATE_LABELS.items()), validate_choice=True)
    note = TextAreaField("Note (why; required for missing and concern)", validators=[Length(max=5000)])
    submit = SubmitField("Save answer")


class RecheckForm(FlaskForm):
    submit = SubmitField("Re-check against the newest checklist")
