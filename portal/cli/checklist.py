"""``portal checklist``: the operability prefill from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from portal.checklist import template as templates
from portal.checklist.prefill import prefill
from portal.checklist.service import refresh_all
from portal.cli import Context, pass_context
from portal.cli.output import shown
from portal.errors import InvalidInput
from portal.specs.document import MAX_SPEC_BYTES, parse_spec
from portal.specs.service import get_project

_MARK = {"addressed": "✓", "none": "–", "missing": "✗"}


@click.group("checklist")
def checklist_group() -> None:
    """The operability checklist."""


@checklist_group.command("analyze")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON (stable item keys) instead of a table.")
def analyze(file: Path, as_json: bool) -> None:
    """Print the checklist prefill for one spec FILE (reStructuredText): what the spec itself says."""
    if file.stat().st_size > MAX_SPEC_BYTES:
        raise InvalidInput(f"{shown(file)} is larger than {MAX_SPEC_BYTES // 1024} KiB; is it really a spec?")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{shown(file)} is not UTF-8 text (byte {exc.start}); convert it to UTF-8.") from exc
    parsed = parse_spec(text, fallback_title=file.stem)
    result = prefill(parsed.sections, templates.latest())
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    tmpl = templates.latest()
    # The title, section names and quotes come from the file: escaped, so they cannot drive the terminal.
    click.echo(f"{shown(parsed.title)}  ({shown(file)})")
    click.echo(f"checklist v{result.template_version}: ✓ addressed  – says none  ✗ missing  ! concern\n")
    if parsed.error:
        click.echo(f"note: the file could not be parsed as reStructuredText ({shown(parsed.error)}); "
                   "judged as plain text\n")
    if result.note:
        click.echo(f"note: {result.note}\n")
    for area in tmpl.areas:
        click.echo(area.title)
        for item in area.items:
            res = result.item(item.key)
            where = res.evidence.section if res.evidence and res.evidence.section else "-"
            click.echo(f"  {_MARK[res.state]} {item.key:<15} {res.state:<9} {shown(where)}")
            if res.evidence and res.evidence.section:
                click.echo(f"      “{shown(res.evidence.quote)}”")
            for concern in res.concerns:
                click.echo(f"    ! {shown(concern.message)}")
                for quote in concern.quotes:
                    click.echo(f"        {shown(quote)}")
        click.echo("")


@checklist_group.command("refresh")
@click.option("--project", "project_name", help="Only this project's specs.")
@pass_context
def refresh(ctx: Context, project_name: str | None) -> None:
    """Prefill every spec again (after an upgrade that changed the checklist); reviewers' answers are kept."""
    with ctx.session() as session:
        project_id = get_project(session, project_name).id if project_name else None
        count = refresh_all(session, project_id)
    click.echo(f"Checklist prefilled for {count} spec{'s' if count != 1 else ''}; reviewers' answers were kept.")


def register(main: click.Group) -> None:
    main.add_command(checklist_group)
