"""``ecom import KIND FILE.csv``: fill a back-office list from a spreadsheet, all or nothing."""

from __future__ import annotations

from pathlib import Path

import click

from ecom.cli import cli, echo_json
from ecom.importer import KINDS, import_file


HELP = f"""Import FILE.csv into the KIND list; rows with the same key are updated, never duplicated.

When any row is bad nothing is imported (exit 3), and the first bad rows are listed with their
row number, column and reason, the rest counted. Columns and limits per KIND: docs/csv-import.md.

KIND is one of: {", ".join(KINDS)}.
"""


@cli.command("import", help=HELP, short_help="Import a back-office list from a CSV file.")
@click.argument("kind", type=click.Choice(KINDS), metavar="KIND")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FILE.csv")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def import_command(kind: str, file: Path, as_json: bool) -> None:
    result = import_file(kind, file)
    if as_json:
        echo_json(result.as_dict())
        return
    click.echo(f"{kind}: {result.created} created, {result.updated} updated, {result.unchanged} unchanged ({file.name}).")
