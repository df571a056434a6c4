"""Every HTML form, declared field by field (nothing else is ever bound), with CSRF."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from portal.checklist.template import STATE_LABELS
from portal.models import Role


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


# --- the admin area (portal/web/admin.py) ------------------------------------------------------


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=lambda: [(r.value, r.value) for r in Role], validate_choice=True)
    submit = SubmitField("Save role")


class PtlForm(FlaskForm):
    """The projects a user is PTL of, one checkbox each; the view sets the choices (as a callable)."""

    projects = SelectMultipleField("PTL of", choices=lambda: [], validate_choice=True, coerce=str)
    submit = SubmitField("Save PTL duties")


class AdminActionForm(FlaskForm):
    """A button that does one thing (disable, enable, block, unblock, remove the demo): CSRF is its field."""

    submit = SubmitField("Confirm")


class ProjectSourcesForm(FlaskForm):
    gerrit_repo = StringField("Gerrit specs repository", validators=[Length(max=200)],
                              description="For example openstack/nova-specs. Leave empty for none.")
    launchpad = TextAreaField("Launchpad projects, one per line", validators=[Length(max=4000)],
                              description="The first is the main one: blueprint links use it.")
    code_repos = TextAreaField("Code repositories, one per line", validators=[Length(max=8000)],
                               description="For example openstack/nova: their changes show implementation progress.")
    submit = SubmitField("Save sources")


class RenameProjectForm(FlaskForm):
    new_name = StringField("New name", validators=[DataRequired(message="Give the new name."), Length(max=64)],
                           description="Lowercase letters, digits, '.', '_' or '-'. Old links will redirect.")
    submit = SubmitField("Rename project")


class RemoveProjectForm(FlaskForm):
    confirm_name = StringField(
        "Type the project's name to confirm",
        validators=[DataRequired(message="Type the project's name to confirm."), Length(max=64)],
    )
    submit = SubmitField("Delete this project for good")


class LinkDirectoryForm(FlaskForm):
    """An admin links a user to their directory (LDAP) entry, found by the directory user name."""

    username = StringField("Directory user name", validators=[DataRequired(message="Give the directory user name."),
                                                              Length(max=254)],
                           description="What they type to sign in; the entry is found with PORTAL_LDAP_USER_FILTER.")
    submit = SubmitField("Link directory account")


class SignInTestForm(FlaskForm):
    """Test the sign-in configuration; optionally look one directory user up."""

    username = StringField("Directory user name to look up (optional)", validators=[Length(max=254)])
    submit = SubmitField("Test the configuration")
