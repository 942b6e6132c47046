"""`flask links issue REFERENCE` and `flask links export --creditor ID OUT.csv`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from portal.extensions import db
from portal.links import export as exporter
from portal.links import services


@click.group(cls=AppGroup)
def links():
    """Issue reminder links."""


@links.command("issue")
@click.argument("reference")
def issue(reference: str):
    """Issue a link for the open case REFERENCE and print its URL."""
    try:
        case = services.find_open_case(reference)
    except services.CaseNotFound as exc:
        raise click.ClickException(f"no case with reference {exc.args[0]!r}") from None
    except services.CaseNotOpen as exc:
        raise click.ClickException(f"case {exc.reference} is {exc.status}, not open: no link issued") from None
    token, link = services.issue(case)
    db.session.commit()
    click.echo(services.url_for_token(token))
    click.echo(f"valid until {link.expires_at.isoformat()}", err=True)


@links.command("export")
@click.option("--creditor", "creditor_id", required=True, help="The creditor's external id, as in the case export.")
@click.option("--chunk-size", default=exporter.CHUNK_SIZE, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Cases per transaction.")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export(creditor_id: str, chunk_size: int, out: Path):
    """Issue a link for every open case of a creditor and write OUT as case_reference,url."""
    try:
        creditor = exporter.find_creditor(creditor_id)
    except exporter.UnknownCreditor:
        raise click.ClickException(f"no creditor with id {creditor_id!r}") from None
    if not out.parent.is_dir():
        raise click.ClickException(f"OUT: directory {str(out.parent)!r} does not exist")
    progress = None
    if sys.stderr.isatty():
        total = exporter.count_open_cases(creditor)

        def progress(done: int) -> None:
            """Overwrite one status line on the terminal."""
            click.echo(f"\r{done:,}/{total:,} links", nl=False, err=True)

    result = exporter.export_links(creditor, out, chunk_size=chunk_size, progress=progress)
    if progress:
        click.echo(err=True)
    click.echo(f"{result.rows} links for {creditor_id} written to {result.path}", err=True)
