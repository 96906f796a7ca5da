"""CSV import of the back-office lists: one declarative spec per kind, all or nothing.

Each KIND (``items``, ``stock``, ``customers``, ...) is a :class:`~ecom.import_specs.Spec`
(:mod:`ecom.import_specs`: its table, its columns, how a cell is read, the rules a row follows);
this module reads the file and writes the rows. :func:`import_csv` streams a file: each row is
checked as it is read, the file's keys so far are kept in a temporary table and good rows are written in batches inside a
savepoint, so memory stays flat however long the file. When any row is bad it raises one
:class:`~ecom.errors.ConfigError` listing the first problems by the row number a spreadsheet
shows (the header is row 1), the column and the reason, counting the rest, and rolls the
savepoint back: nothing is imported. Otherwise each row creates its record or updates the one
with the same key (SKU, name, ...), so re-importing a file never duplicates anything; the counts
say what happened.

Rules a file follows: UTF-8, comma-separated, a header row; header names are matched without
regard to case, spaces or hyphens; a column left out of the header is left alone on update; an
empty cell means the column's default. Limits (:data:`MAX_CELL`, :data:`MAX_ROW`, the number
range of :func:`ecom.models.number_problem`) bound what one row may cost; a quote left open, a
NUL byte or an over-long cell is refused in words, never merged or truncated.
``docs/csv-import.md`` is generated from the specs (``python -m ecom.importer > docs/csv-import.md``).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import sqlalchemy as sa
from pydantic_core import PydanticUndefined
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from ecom import db
from ecom.errors import ConfigError
from ecom.import_specs import KINDS, SPECS, Column, ParsedRow, Ref, RowError, Spec, normalise, shortened
from ecom.models import MAX_DIGITS, MAX_PLACES, Item

# --- importing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """What an import did, row by row counted."""

    kind: str
    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.source,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


def get_spec(kind: str) -> Spec:
    if kind not in SPECS:
        raise ConfigError(f"Unknown import kind {kind!r}: use one of {', '.join(KINDS)}.")
    return SPECS[kind]


def import_file(kind: str, path: str | Path, url: str | None = None) -> ImportResult:
    """Import the CSV file ``path`` as ``kind`` into the database at ``url``, in one transaction."""
    engine = db.open_engine(url)
    try:
        with db.session(engine) as session:
            return import_csv(session, kind, Path(path))
    finally:
        engine.dispose()


MAX_CELL = 128 * 1024  # characters in one cell
MAX_ROW = 2 * 1024 * 1024  # characters in one row, line breaks in its cells included
SHOWN_ERRORS = 20  # a refused file lists this many problems, then counts the rest
BATCH = 1000  # rows written at a time


def import_csv(session: Session, kind: str, source: str | Path | io.TextIOBase, *, name: str | None = None) -> ImportResult:
    """Import CSV text (a path, or an open text stream) as ``kind`` into ``session``.

    The file is streamed: rows are checked as they are read and written in batches inside a
    savepoint, so memory does not grow with the file. When any row is bad, or the file is not
    well-formed CSV, the savepoint is rolled back and a ConfigError lists the first problems and
    counts the rest: nothing is imported. The caller commits.
    """
    spec = get_spec(kind)
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            stream = path.open(encoding="utf-8-sig", newline="")  # newline="": csv sees \r\n, \n and \r as written
        except FileNotFoundError:
            raise ConfigError(f"No file {path}.") from None
        except OSError as exc:
            raise ConfigError(f"Cannot read {path}: {exc.strerror}.") from None
        with stream:
            try:
                return _import(session, spec, stream, name or path.name)
            except UnicodeDecodeError:
                line = _first_line_not_utf8(path)
                raise ConfigError(f'Nothing imported from {name or path.name}: it is not UTF-8 text (save it as "CSV UTF-8"); line {line} is not.') from None
    return _import(session, spec, source, name or getattr(source, "name", "CSV"))


def _first_line_not_utf8(path: Path) -> int:
    """The number of the first line of ``path`` that is not UTF-8 (the text reader decodes in chunks, not lines)."""
    decoder, line = codecs.getincrementaldecoder("utf-8")(), 1
    with path.open("rb") as file:
        while chunk := file.read(64 * 1024):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return line + exc.object[: exc.start].count(b"\n")
            line += chunk.count(b"\n")
    return line


class _RowTooLong(Exception):
    pass


class _Lines:
    """The file's lines for csv.reader, read with a bound: no row may take more than MAX_ROW characters."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.line = 0  # lines read so far
        self.row_size = 0  # what the row being read has taken

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        text = self.stream.readline(MAX_ROW + 1 - self.row_size)
        if not text:
            raise StopIteration
        self.line += 1
        self.row_size += len(text)
        if self.row_size > MAX_ROW:
            raise _RowTooLong
        return text


def _import(session: Session, spec: Spec, stream: Any, label: str) -> ImportResult:
    lines = _Lines(stream)
    reader = csv.reader(lines, strict=True)
    run = _Run(session, spec, label)
    previous_limit = csv.field_size_limit(MAX_ROW)  # cells are measured below, with the column named
    try:
        header = _next_record(run, reader, lines)
        if header is None or not any(cell.strip() for cell in header):
            raise ConfigError(f"Nothing imported from {label}: the file is empty; its first row must name the columns.")
        run.start(_read_header(spec, header, label))
        while (record := _next_record(run, reader, lines)) is not None:
            run.add(record)
        return run.finish()
    except BaseException:
        run.abandon()
        raise
    finally:
        csv.field_size_limit(previous_limit)


def _next_record(run: _Run, reader: Any, lines: _Lines) -> list[str] | None:
    """The next row of the file, or None at its end; a file that is not CSV stops here, in words."""
    number, first_line = run.number + 1, lines.line + 1
    lines.row_size = 0
    try:
        record = next(reader, None)
    except _RowTooLong:
        run.fail(RowError(number, None, f"the row is longer than {MAX_ROW:,} characters (from line {first_line} of the file); is it a CSV file?"))
    except csv.Error as exc:
        if "end of data" in str(exc):
            reason = (
                f"a quote opened on this row (line {first_line} of the file) is never closed, so every line after it "
                'would be one cell; close it, and write a quote inside a quoted cell as ""'
            )
        elif "expected after" in str(exc):
            reason = (
                f"a quote closes in the middle of a cell (line {lines.line} of the file); quote the whole cell "
                'and write a quote inside it as "", or is a quote left open on an earlier line of this row?'
            )
        else:
            reason = f"not readable as CSV ({exc}, line {lines.line} of the file)"
        run.fail(RowError(number, None, reason))
    run.number = number
    return record


class _Run:
    """One import: checks each row as it comes, writes good rows in batches, keeps the first errors.

    Rows wait in ``pending`` until a batch is full; then their keys are checked against the rows
    before them (kept in a temporary table, so memory does not grow with the file), their
    problems are noted in row order and, while the file has no bad row, the good ones are written.
    """

    def __init__(self, session: Session, spec: Spec, label: str) -> None:
        self.session, self.spec, self.label = session, spec, label
        self.number = 0  # the spreadsheet number of the last row read (the header is row 1)
        self.errors: list[RowError] = []  # the first SHOWN_ERRORS problems
        self.unshown = 0
        self.bad_rows = 0
        self.pending: list[tuple[int, ParsedRow | None, list[RowError]]] = []
        self.counts = {"created": 0, "updated": 0, "unchanged": 0}
        self.savepoint: Any = None

    def start(self, columns: list[Column | None]) -> None:
        spec = self.spec
        self.columns = columns
        self.references = _References(self.session)
        self.defaults = _defaults(spec)
        self.missing_keys = [spec.column(name) for name in spec.key if spec.column(name) not in columns]
        self.checks = [make(self.session, spec) for make in spec.checks]
        self.savepoint = self.session.begin_nested()
        self.seen = _SeenKeys(self.session, spec)

    def add(self, record: list[str]) -> None:
        number, columns = self.number, self.columns
        cells = [cell.strip() for cell in record]
        if not any(cells):
            return
        extra = cells[len(columns) :]
        if any(extra):
            self._pend(number, None, [RowError(number, None, f"{len(record)} cells, but the header names {len(columns)} columns")])
            return
        row = ParsedRow(number=number, values={}, cells={})
        row_errors: list[RowError] = []
        for column, cell in zip(columns, cells, strict=False):
            if column is None:
                continue
            row.cells[column.name] = cell
            if len(cell) > MAX_CELL:
                row_errors.append(RowError(number, column.name, f"the cell is {len(cell):,} characters long; a cell holds at most {MAX_CELL:,}"))
            elif "\x00" in cell:
                row_errors.append(RowError(number, column.name, "the cell holds a NUL character (byte 0), which is not text"))
            else:
                try:
                    row.values[column.target] = _read_cell(column, cell, self.references, self.defaults)
                except ValueError as exc:
                    row_errors.append(RowError(number, column.name, str(exc)))
        for column in self.missing_keys:  # an optional key column left out: its default identifies the row
            row.cells[column.name] = ""
            row.values[column.target] = self.defaults[column.target]
        for column in columns[len(cells) :]:  # a short row: the missing cells are empty
            if column is not None:
                row.cells[column.name] = ""
                try:
                    row.values[column.target] = _read_cell(column, "", self.references, self.defaults)
                except ValueError as exc:
                    row_errors.append(RowError(number, column.name, str(exc)))
        if not row_errors:
            for check in self.checks:
                row_errors.extend(check(row))
        self._pend(number, row, row_errors)

    def _pend(self, number: int, row: ParsedRow | None, errors: list[RowError]) -> None:
        self.pending.append((number, row, errors))
        if len(self.pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        """Check the pending rows' keys against the file's earlier rows, note problems, write the good rows."""
        pending, self.pending = self.pending, []
        spec = self.spec
        keyed = {
            number: tuple(row.values[attr] for attr in spec.key_attrs)
            for number, row, errors in pending
            if row is not None and not any(e.column in spec.key for e in errors)
        }
        first_rows = self.seen.rows(list(keyed.values()))  # key -> row number, from earlier batches
        new_keys: dict[tuple[Any, ...], int] = {}
        good: list[ParsedRow] = []
        for number, row, errors in pending:
            key = keyed.get(number)
            if key is not None:
                first = first_rows.get(key) or new_keys.get(key)
                if first is not None:
                    assert row is not None
                    shown = ", ".join(f'{name} "{shortened(row.cells[name])}"' for name in spec.key)
                    errors = [*errors, RowError(number, spec.key[0], f"{shown} is already on row {first}")]
                else:
                    new_keys[key] = number
            if errors:
                self._note(errors)
            elif row is not None:
                good.append(row)
        self.seen.add(new_keys)
        if not self.bad_rows:  # once a row is bad nothing more is written: the rest is only checked
            self._write(good)

    def _note(self, errors: list[RowError]) -> None:
        self.bad_rows += 1
        room = SHOWN_ERRORS - len(self.errors)
        self.errors.extend(errors[:room])
        self.unshown += max(0, len(errors) - room)

    def fail(self, error: RowError) -> NoReturn:
        """The file cannot be read on: report it after the problems found so far."""
        if self.savepoint is not None:
            self._flush()
        self.bad_rows += 1
        self.errors = self.errors[: SHOWN_ERRORS - 1] + [error]
        raise ConfigError(self._report())

    def _report(self) -> str:
        bad = self.bad_rows
        lines = [f"Nothing imported from {self.label}: {bad:,} bad row{'s' if bad != 1 else ''}."]
        lines += [f"  {e}" for e in self.errors]
        if self.unshown:
            lines.append(f"  ... and {self.unshown:,} more problem{'s' if self.unshown != 1 else ''} (the first {len(self.errors)} are shown)")
        return "\n".join(lines)

    def finish(self) -> ImportResult:
        self._flush()
        if self.bad_rows:
            raise ConfigError(self._report())
        self.seen.drop()
        self.savepoint.commit()
        return ImportResult(kind=self.spec.kind, source=self.label, **self.counts)

    def abandon(self) -> None:
        if self.savepoint is not None and self.savepoint.is_active:
            self.savepoint.rollback()  # the temporary table goes with it

    def _write(self, rows: list[ParsedRow]) -> None:
        """Create or update the rows' records, by key, in bulk (no ORM objects kept in the session)."""
        if not rows:
            return
        model: Any = self.spec.model
        key_attrs = self.spec.key_attrs
        attrs = list(rows[0].values)
        keys = [tuple(row.values[a] for a in key_attrs) for row in rows]
        key_columns = [getattr(model, a) for a in key_attrs]
        query = sa.select(model.id, *key_columns, *(getattr(model, a) for a in attrs)).where(_key_in(key_columns, keys))
        existing = {tuple(found[1 : 1 + len(key_attrs)]): found for found in self.session.execute(query)}
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for row, key in zip(rows, keys, strict=True):
            found = existing.get(key)
            if found is None:
                inserts.append(row.values)
                continue
            stored = dict(zip(attrs, found[1 + len(key_attrs) :], strict=True))
            changes = {a: v for a, v in row.values.items() if stored[a] != v}
            if changes:
                updates.append({"id": found[0], **changes})
            else:
                self.counts["unchanged"] += 1
        try:
            if inserts:
                self.session.execute(sa.insert(model), inserts)
            if updates:
                self.session.execute(sa.update(model), updates)  # by primary key
        except IntegrityError as exc:
            raise ConfigError(f"Nothing imported from {self.label}: the database refused it ({exc.orig}).") from exc
        self.counts["created"] += len(inserts)
        self.counts["updated"] += len(updates)


def _key_in(columns: Sequence[Any], keys: list[tuple[Any, ...]]) -> Any:
    """``columns`` equal one of ``keys``, as SQL."""
    if len(columns) == 1:
        return columns[0].in_([key[0] for key in keys])
    return sa.tuple_(*columns).in_(keys)


class _SeenKeys:
    """The keys of the file's rows so far, each with its row number, in a temporary table of the session.

    Created inside the import's savepoint: rolling it back removes the table; a finished import
    drops it. Memory does not grow with the file, however many rows it has.
    """

    def __init__(self, session: Session, spec: Spec) -> None:
        self.session = session
        table: Any = spec.model.__table__  # type: ignore[attr-defined]
        key_columns = [sa.Column(f"key{i}", table.c[attr].type, primary_key=True) for i, attr in enumerate(spec.key_attrs)]
        self.table = sa.Table("ecom_import_keys", sa.MetaData(), *key_columns, sa.Column("first_row", sa.Integer), prefixes=["TEMPORARY"])
        self.key_columns = [self.table.c[c.name] for c in key_columns]
        self.table.create(session.connection())

    def rows(self, keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], int]:
        if not keys:
            return {}
        query = sa.select(*self.key_columns, self.table.c.first_row).where(_key_in(self.key_columns, keys))
        return {tuple(found[:-1]): found[-1] for found in self.session.execute(query)}

    def add(self, keys: dict[tuple[Any, ...], int]) -> None:
        if keys:
            names = [c.name for c in self.key_columns]
            self.session.execute(self.table.insert(), [{**dict(zip(names, key, strict=True)), "first_row": n} for key, n in keys.items()])

    def drop(self) -> None:
        self.table.drop(self.session.connection())


def _read_header(spec: Spec, header: list[str], label: str) -> list[Column | None]:
    known = {c.name: c for c in spec.columns}
    while header and not header[-1].strip():  # blank trailing header cells, as spreadsheets write
        header = header[:-1]
    columns: list[Column | None] = []
    problems: list[str] = []
    seen: set[str] = set()
    for position, cell in enumerate(header, start=1):
        name = normalise(cell)
        if not name:
            problems.append(f"column {position} has no name")
        elif name in seen:
            problems.append(f'column "{cell.strip()}" appears twice')
        elif name not in known:
            problems.append(f'unknown column "{cell.strip()}" (column {position})')
        seen.add(name)
        columns.append(known.get(name))
    for column in spec.columns:
        if column.required and column.name not in seen:
            problems.append(f'missing required column "{column.name}"')
    if problems:
        allowed = ", ".join(c.name for c in spec.columns)
        if len(problems) > SHOWN_ERRORS:
            problems[SHOWN_ERRORS:] = [f"... and {len(problems) - SHOWN_ERRORS:,} more problems with the header"]
        lines = "\n".join(f"  {p}" for p in problems)
        raise ConfigError(f"Nothing imported from {label}: the header row is wrong.\n{lines}\n  {spec.kind} columns: {allowed}")
    return columns


class _References:
    """Names and SKUs of the lists a file refers to, loaded once per list."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.loaded: dict[tuple[type[SQLModel], str], dict[str, tuple[int, Any]]] = {}

    def resolve(self, ref: Ref, cell: str) -> int:
        table = self._table(ref)
        if cell not in table:
            folded = [known for known in table if known.casefold() == cell.casefold()]
            hint = f' (did you mean "{folded[0]}"?)' if folded else ""
            raise ValueError(f'{ref.noun} "{shortened(cell)}" does not exist{hint}')
        row_id, item_type = table[cell]
        if ref.item_types and item_type not in ref.item_types:
            wanted = " or ".join(t.value for t in ref.item_types)
            raise ValueError(f'{ref.noun} "{cell}" is of type {item_type.value}, not {wanted}')
        return row_id

    def _table(self, ref: Ref) -> dict[str, tuple[int, Any]]:
        key = (ref.model, ref.by)
        if key not in self.loaded:
            model: Any = ref.model
            if model is Item:
                rows = self.session.exec(select(Item.sku, Item.id, Item.type)).all()
                self.loaded[key] = {sku: (row_id, item_type) for sku, row_id, item_type in rows}
            else:
                rows = self.session.exec(select(getattr(model, ref.by), model.id)).all()
                self.loaded[key] = {name: (row_id, None) for name, row_id in rows}
        return self.loaded[key]


def _defaults(spec: Spec) -> dict[str, Any]:
    """What an empty cell means for each column: the record's default for that attribute."""
    defaults: dict[str, Any] = {}
    for column in spec.columns:
        info = spec.model.model_fields[column.target]
        default = info.get_default(call_default_factory=True)
        defaults[column.target] = None if default is PydanticUndefined else default
    return defaults


def _read_cell(column: Column, cell: str, references: _References, defaults: dict[str, Any]) -> Any:
    if not cell:
        if column.required:
            raise ValueError("missing required value")
        return defaults[column.target]
    if column.ref is not None:
        return references.resolve(column.ref, cell)
    return column.parser.read(cell)


# --- documentation ---------------------------------------------------------------------------

DOC_COMMAND = "python -m ecom.importer > docs/csv-import.md"


def render_docs() -> str:
    """``docs/csv-import.md``: the rules, then each KIND's columns and an example file."""
    out = [
        "# CSV import",
        "",
        f"<!-- Generated from the specs in core/ecom/import_specs.py: {DOC_COMMAND} -->",
        "",
        "Fill the back office from spreadsheets: `ecom import KIND FILE.csv` (add `--json` for a",
        "machine-readable report). Import the lists in the order below, since later ones refer to",
        "earlier ones by name or SKU.",
        "",
        "- The file is UTF-8, comma-separated, with a header row naming the columns. Header names",
        "  ignore case, spaces and hyphens (`Postal Code` is `postal_code`); unknown columns are an error.",
        "- Required columns must be in the header and filled on every row. An empty optional cell",
        "  means the column's default; a column left out of the header is left as it is on update.",
        "- Each row is identified by its **key** columns. Importing a row whose key exists updates",
        "  that record in place; re-importing the same file changes nothing and never duplicates.",
        "- **All or nothing.** When any row is bad, nothing is imported, `ecom import` exits 3 and",
        f"  the error lists the first {SHOWN_ERRORS} problems, each with its row number as a spreadsheet",
        "  shows it (the header is row 1), the column and the reason, e.g.",
        "  `row 4, column group: group \"Widgets\" does not exist`, then counts the rest.",
        "- Yes/no cells take true/false, yes/no, y/n, 1/0. Numbers use a dot for decimals and no",
        "  thousands separator. Rates are fractions (0.08875) or percentages (8.875%).",
        f"- **Limits.** A cell holds at most {MAX_CELL:,} characters ({MAX_CELL // 1024} KiB) and no NUL",
        f"  character; a row at most {MAX_ROW:,} characters. A number has at most {MAX_DIGITS} digits before the",
        f"  decimal point and {MAX_PLACES} after it. Only a description may hold line breaks (in a quoted",
        "  cell); a quote left open is refused, naming the row where it opened, instead of silently",
        "  merging the rows after it. There is no limit on the number of rows: the file is read as a",
        f"  stream and written in batches of {BATCH:,} inside one transaction, so memory stays flat.",
        "",
        "| KIND | Key |",
        "|------|-----|",
    ]
    out += [f"| [`{s.kind}`](#{s.kind}) | {', '.join(s.key)} |" for s in SPECS.values()]
    for spec in SPECS.values():
        out += ["", f"## {spec.kind}", "", f"{spec.title}: `ecom import {spec.kind} FILE.csv`.", ""]
        out += ["| Column | Required | Format | Meaning |", "|--------|----------|--------|---------|"]
        for column in spec.columns:
            required = ", ".join(w for w, on in (("yes", column.required), ("key", column.name in spec.key)) if on)
            out.append(f"| `{column.name}` | {required} | {column.format} | {column.help} |")
        out += ["", "```csv", *spec.example, "```"]
    return "\n".join(out) + "\n"


def example_files() -> Iterable[tuple[str, str]]:
    """Each KIND with its example file's text, in import order."""
    for spec in SPECS.values():
        yield spec.kind, "\n".join(spec.example) + "\n"


__all__ = [
    "KINDS", "SPECS", "Column", "ImportResult", "Ref", "RowError", "Spec",
    "get_spec", "import_csv", "import_file", "render_docs",
]  # fmt: skip


if __name__ == "__main__":  # python -m ecom.importer > docs/csv-import.md
    sys.stdout.write(render_docs())
