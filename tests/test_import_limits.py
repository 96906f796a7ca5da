"""``ecom import`` given hostile files: huge cells, endless rows, open quotes, NULs, huge numbers, many bad rows.

Each is refused in words naming the row (and the column where there is one), exits 3 and imports
nothing; a long file is streamed and written in batches, and a bad row at its end still undoes it all.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import func, select

from ecom import importer
from ecom.errors import ConfigError
from ecom.importer import BATCH, MAX_CELL, MAX_ROW, SHOWN_ERRORS, import_csv
from ecom.models import Item, Stock


@pytest.fixture
def write(tmp_path):
    def write(name: str, text: str | bytes) -> str:
        path = tmp_path / name
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        return str(path)

    return write


def items(ecom_db) -> list[tuple[str, str]]:
    with ecom_db.session() as session:
        return [(i.sku, i.name) for i in session.exec(select(Item).order_by(Item.sku))]


def refused(ecom_cli, kind: str, path: str) -> list[str]:
    """The error lines of an import that must fail with exit 3 and print nothing on stdout."""
    result = ecom_cli("import", kind, path)
    assert (result.exit_code, result.stdout) == (3, ""), result.output
    assert "Traceback" not in result.stderr
    return result.stderr.splitlines()


def test_a_cell_over_128_kib_is_refused_naming_row_and_column(ecom_db, ecom_cli, write) -> None:
    at_limit, over = "d" * MAX_CELL, "n" * (MAX_CELL + 1)
    assert refused(ecom_cli, "items", write("big.csv", f"sku,name,description\nA,Alpha,{at_limit}\nB,{over},\n")) == [
        "Error: Nothing imported from big.csv: 1 bad row.",
        f"  row 3, column name: the cell is {MAX_CELL + 1:,} characters long; a cell holds at most {MAX_CELL:,}",
    ]
    assert items(ecom_db) == []
    assert ecom_cli("import", "items", write("ok.csv", f"sku,name,description\nA,Alpha,{at_limit}\n")).exit_code == 0
    assert items(ecom_db) == [("A", "Alpha")]


def test_a_file_that_never_ends_is_refused_after_one_bounded_row(ecom_db, ecom_cli) -> None:
    assert refused(ecom_cli, "items", "/dev/zero") == [
        "Error: Nothing imported from zero: 1 bad row.",
        f"  row 1: the row is longer than {MAX_ROW:,} characters (from line 1 of the file); is it a CSV file?",
    ]


class Endless(io.RawIOBase):
    """A file that never ends: ``head`` once, then ``line`` forever; counts the bytes handed out."""

    def __init__(self, head: bytes, line: bytes) -> None:
        self.pending, self.line, self.given = head, line, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while len(self.pending) < len(buffer):
            self.pending += self.line * 1024
        size = len(buffer)
        buffer[:size], self.pending = self.pending[:size], self.pending[size:]
        self.given += size
        return size


@pytest.mark.parametrize(
    ("head", "line", "reason"),
    [
        (b"sku,name\n", b"A,", f"row 2: the row is longer than {MAX_ROW:,} characters (from line 2 of the file); is it a CSV file?"),
        (b'sku,name\nA,"', b"more\n", f"row 2: the row is longer than {MAX_ROW:,} characters (from line 2 of the file); is it a CSV file?"),
        (b"", b"sku,", f"row 1: the row is longer than {MAX_ROW:,} characters (from line 1 of the file); is it a CSV file?"),
    ],
    ids=["one endless line", "an endless quoted cell over many lines", "an endless header"],
)
def test_an_endless_row_is_refused_having_read_little_more_than_the_bound(ecom_db, head, line, reason) -> None:
    endless = Endless(head, line)
    with ecom_db.session() as session, pytest.raises(ConfigError) as caught:
        import_csv(session, "items", io.TextIOWrapper(io.BufferedReader(endless), encoding="utf-8", newline=""), name="endless.csv")
    assert str(caught.value).splitlines()[1:] == [f"  {reason}"]
    assert endless.given < MAX_ROW + 2 * io.DEFAULT_BUFFER_SIZE + len(head)


def test_an_unclosed_quote_is_refused_naming_the_row_where_it_opened(ecom_db, ecom_cli, write) -> None:
    text = 'sku,name\nA,Alpha\nB,"Beta\nC,Gamma\nD,Delta\n'
    assert refused(ecom_cli, "items", write("quote.csv", text)) == [
        "Error: Nothing imported from quote.csv: 1 bad row.",
        "  row 3: a quote opened on this row (line 3 of the file) is never closed, so every line after it would be "
        'one cell; close it, and write a quote inside a quoted cell as ""',
    ]
    assert items(ecom_db) == []


def test_a_quote_that_a_later_line_closes_is_refused_not_merged(ecom_db, ecom_cli, write) -> None:
    closed_at_a_cell_end = 'sku,name,price\nP1,"Pipe 3/4,1\nP2,Pipe 6",2\nP3,Pipe,3\n'
    assert refused(ecom_cli, "items", write("inch.csv", closed_at_a_cell_end)) == [
        "Error: Nothing imported from inch.csv: 1 bad row.",
        "  row 2, column name: the cell holds a line break, which only a description may (is a quote left open on this row?)",
    ]
    closed_mid_cell = 'sku,name\nA,"Alpha\nB,"Beta" Bis\n'
    assert refused(ecom_cli, "items", write("mid.csv", closed_mid_cell))[1:] == [
        '  row 2: a quote closes in the middle of a cell (line 3 of the file); quote the whole cell and write a quote '
        'inside it as "", or is a quote left open on an earlier line of this row?'
    ]
    assert items(ecom_db) == []
    ok = 'sku,name,description\nA,"Alpha ""The First""","two\nlines"\n'
    assert ecom_cli("import", "items", write("ok.csv", ok)).exit_code == 0
    assert items(ecom_db) == [("A", 'Alpha "The First"')]


def test_numbers_beyond_what_the_columns_hold_are_refused(ecom_db, ecom_cli, write) -> None:
    ok = "sku,name,price,weight\nMAX,Largest,999999999999.99,0.000000000001\nZEROS,Trailing zeros,1.50000000000000000000,\n"
    assert ecom_cli("import", "items", write("ok.csv", ok)).exit_code == 0
    text = (
        "sku,name,price,weight\n"
        "A,a,1E+400,\n"
        "B,b,123456789012345678901234567890,\n"
        "C,c,1000000000000,1E-400\n"
        "D,d,-1E+13,Infinity\n"
    )
    too_large = "is too large: a number has at most 12 digits before the decimal point"
    assert refused(ecom_cli, "items", write("num.csv", text)) == [
        "Error: Nothing imported from num.csv: 4 bad rows.",
        f'  row 2, column price: "1E+400" {too_large}',
        f'  row 3, column price: "123456789012345678901234567890" {too_large}',
        f'  row 4, column price: "1000000000000" {too_large}',
        '  row 4, column weight: "1E-400" has more than 12 digits after the decimal point',
        f'  row 5, column price: "-1E+13" {too_large}',
        '  row 5, column weight: "Infinity" is not a number',
    ]
    stock = "item,location,on_hand\nMAX,Main,30000000000000000000000000000000\n"
    assert ecom_cli("import", "locations", write("loc.csv", "name\nMain\n")).exit_code == 0
    assert refused(ecom_cli, "stock", write("stock.csv", stock))[1:] == [
        f'  row 2, column on_hand: "30000000000000000000000000000000" {too_large}'
    ]
    with ecom_db.session() as session:
        prices = {i.sku: (i.price, i.weight) for i in session.exec(select(Item))}
        assert session.exec(select(Stock)).all() == []
    assert prices == {"MAX": (Decimal("999999999999.99"), Decimal("1E-12")), "ZEROS": (Decimal("1.5"), None)}


def test_a_nul_byte_in_a_cell_is_refused(ecom_db, ecom_cli, write) -> None:
    assert refused(ecom_cli, "items", write("nul.csv", b"sku,name\nA,Alpha\nB,Be\x00ta\n")) == [
        "Error: Nothing imported from nul.csv: 1 bad row.",
        "  row 3, column name: the cell holds a NUL character (byte 0), which is not text",
    ]
    assert items(ecom_db) == []


def test_a_file_that_is_not_utf8_names_the_first_bad_line(ecom_db, ecom_cli, write) -> None:
    text = "sku,name\nA,Alpha\nB,Caf\xe9\n".encode("latin-1")
    assert refused(ecom_cli, "items", write("latin.csv", text)) == [
        'Error: Nothing imported from latin.csv: it is not UTF-8 text (save it as "CSV UTF-8"); line 3 is not.'
    ]
    far = ("sku,name\n" + "".join(f"S{n},Caf\u00e9 {n}\n" for n in range(9000))).encode() + "Z,Caf\xe9\n".encode("latin-1")
    assert refused(ecom_cli, "items", write("far.csv", far))[0].endswith("line 9002 is not.")
    assert items(ecom_db) == []


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_every_kind_of_line_ending_is_read(ecom_db, ecom_cli, write, newline) -> None:
    text = newline.join(["sku,name,description", "A,Alpha,", 'B,Beta,"two', 'lines"', ""])
    assert ecom_cli("import", "items", write("endings.csv", text)).exit_code == 0
    assert items(ecom_db) == [("A", "Alpha"), ("B", "Beta")]


def test_many_bad_rows_print_the_first_errors_and_count_the_rest(ecom_db, ecom_cli, write) -> None:
    bad = 3 * SHOWN_ERRORS
    text = "sku,name,price\n" + "".join(f"S{n},Item {n},x{n}\n" for n in range(bad))
    lines = refused(ecom_cli, "items", write("bad.csv", text))
    assert lines[0] == f"Error: Nothing imported from bad.csv: {bad} bad rows."
    assert lines[1:-1] == [f'  row {n + 2}, column price: "x{n}" is not a number' for n in range(SHOWN_ERRORS)]
    assert lines[-1] == f"  ... and {bad - SHOWN_ERRORS} more problems (the first {SHOWN_ERRORS} are shown)"


def test_a_header_of_thousands_of_unknown_columns_gives_a_short_error(ecom_db, ecom_cli, write) -> None:
    lines = refused(ecom_cli, "items", write("wide.csv", "sku,name," + ",".join(f"c{n}" for n in range(5000)) + "\n"))
    assert lines[1:3] == ['  unknown column "c0" (column 3)', '  unknown column "c1" (column 4)']
    assert lines[-2:] == [f"  ... and {5000 - SHOWN_ERRORS:,} more problems with the header", "  items columns: " + ", ".join(c.name for c in importer.SPECS["items"].columns)]
    assert len(lines) == SHOWN_ERRORS + 3


def rows_text(count: int, price: str = "1") -> str:
    return "sku,name,price\n" + "".join(f"S{n:05d},Item {n},{price}\n" for n in range(count))


def test_a_bad_row_after_several_written_batches_still_imports_nothing(ecom_db, ecom_cli, write) -> None:
    text = rows_text(2 * BATCH + 10) + "LAST,Last,abc\n"
    assert refused(ecom_cli, "items", write("late.csv", text))[1:] == [f'  row {2 * BATCH + 12}, column price: "abc" is not a number']
    assert items(ecom_db) == []
    duplicate = rows_text(BATCH + 5) + "S00003,Again,1\n"
    assert refused(ecom_cli, "items", write("dup.csv", duplicate))[1:] == [f'  row {BATCH + 7}, column sku: sku "S00003" is already on row 5']
    assert items(ecom_db) == []


def test_a_long_file_creates_then_updates_across_batches(ecom_db, ecom_cli, write) -> None:
    count = 2 * BATCH + 7
    first = ecom_cli("import", "items", write("items.csv", rows_text(count)), "--json")
    assert first.exit_code == 0, first.output
    assert '"created": %d' % count in first.stdout
    changed = rows_text(count).replace(",Item 1,1\n", ",Item 1,2\n").replace(f",Item {count - 1},1\n", f",Item {count - 1},3\n")
    again = importer.import_file("items", write("items2.csv", changed + "NEW,New,4\n"), ecom_db.url)
    assert (again.created, again.updated, again.unchanged) == (1, 2, count - 2)
    with ecom_db.session() as session:
        assert session.exec(select(func.count()).select_from(Item)).one() == count + 1
        prices = {i.sku: i.price for i in session.exec(select(Item).where(Item.sku.in_(["S00001", f"S{count - 1:05d}", "S00002"])))}
    assert prices == {"S00001": Decimal(2), f"S{count - 1:05d}": Decimal(3), "S00002": Decimal(1)}


def test_an_import_into_a_callers_session_leaves_its_other_work_alone_when_refused(ecom_db) -> None:
    with ecom_db.session() as session:
        session.add(Item(sku="KEEP", name="Kept"))
        session.flush()
        with pytest.raises(ConfigError):
            import_csv(session, "items", io.StringIO(rows_text(BATCH + 1) + "BAD,Bad,x\n"), name="f.csv")
        import_csv(session, "items", io.StringIO("sku,name\nA,Alpha\n"), name="g.csv")
    assert items(ecom_db) == [("A", "Alpha"), ("KEEP", "Kept")]


def test_the_bench_file_is_what_the_import_reads(tmp_path: Path, ecom_db) -> None:
    """bench/csv_import.py writes a valid items file (its numbers are within range)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("csv_bench", Path(__file__).resolve().parents[1] / "bench" / "csv_import.py")
    bench = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(bench)  # type: ignore[union-attr]
    bench.write_file(tmp_path / "b.csv", 50, bad=False)
    with ecom_db.session() as session:
        assert import_csv(session, "items", tmp_path / "b.csv").created == 50
