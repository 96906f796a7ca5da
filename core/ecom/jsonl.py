"""A cart's JSON Lines result file, downloaded and indexed by parent as it arrives: :class:`JsonLinesIndex`.

A bulk export often comes as one JSON object a line, where a record's children (an order's line
items) are lines of their own that name their parent, in no promised order: no record is whole
before the last line has arrived. Holding the file in memory to put it together grows with the
shop. Instead, each line is parsed once on its way to a spool file and noted in an index in a
temporary SQLite file (a parent with its sort key, id and place; a child with its parent and
place), so memory stays the same for a thousand records or a million; then each parent is read
back from the spool with its children, in the parent's sort order::

    with JsonLinesIndex.download(connection, url, what="the export", parent_of=lambda row: row.get("parent")) as index:
        for parent, children in index.parents():
            ...

The index is written the way :func:`ecom.http.download` writes a file (``write``, ``seek``,
``tell``, ``truncate``), so a download tried again from the start forgets its first attempt. A
line that is not a JSON object (a file cut off, an error page) is the file's fault
(:meth:`JsonLinesIndex.finish`, the download's ``check``): the file is downloaded again.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any, TypeVar

from ecom import http as ecom_http
from ecom.records import Connection

Row = dict[str, Any]
I = TypeVar("I", bound="JsonLinesIndex")  # noqa: E741


def _id(row: Row) -> str:
    return str(row.get("id") or "")


class JsonLinesIndex:
    """A JSON Lines file spooled to ``spool`` and indexed line by line as the bytes are written.

    :param parent_of: a line's parent id, or None when the line is a parent.
    :param id_of: a parent line's id, which its children name (default: its ``id``).
    :param sort_of: a parent line's sort key, text (default: none, the file's order); parents
        with the same key come by id, then in the file's order.
    """

    FLUSH = 2000  # index rows written to SQLite at a time

    def __init__(
        self,
        spool: IO[bytes],
        *,
        parent_of: Callable[[Row], str | None],
        id_of: Callable[[Row], str] = _id,
        sort_of: Callable[[Row], str] = lambda row: "",
    ) -> None:
        self.spool = spool
        self._parent_of, self._id_of, self._sort_of = parent_of, id_of, sort_of
        # "": a temporary file SQLite removes itself; one reader at a time, whichever thread it is
        self._db = sqlite3.connect("", check_same_thread=False)
        self._db.execute("CREATE TABLE parent (sort TEXT, id TEXT, at INTEGER)")
        self._db.execute("CREATE TABLE child (parent TEXT, at INTEGER)")
        self._forget()

    @classmethod
    @contextlib.contextmanager
    def download(cls: type[I], connection: Connection, url: str, *, what: str, **options: Any) -> Iterator[I]:
        """The file at ``url`` (a signed URL: none of the API's auth is sent) downloaded into a
        temporary spool and indexed, with :func:`ecom.http.download`'s retries (a file cut off is
        downloaded again); ``options`` are the class's. Both files are removed on leaving.

        :raises RetryableError: the file could not be downloaded whole (``what`` names it).
        """
        with tempfile.TemporaryFile() as spool, cls(spool, **options) as index:
            ecom_http.download(connection, url, index, what=what, check=lambda _: index.finish())
            yield index

    def __enter__(self: I) -> I:
        return self

    def __exit__(self, *exc: object) -> None:
        self._db.close()

    def _forget(self) -> None:
        self._db.execute("DELETE FROM parent")
        self._db.execute("DELETE FROM child")
        self._parents: list[tuple[str, str, int]] = []
        self._children: list[tuple[str, int]] = []
        self._pending, self._at, self._number = b"", 0, 0
        self.fault: str | None = None

    # -- the file, as the download writes it

    def tell(self) -> int:
        return self.spool.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.spool.seek(offset, whence)

    def truncate(self, size: int | None = None) -> int:
        if (size if size is not None else self.spool.tell()) == 0:
            self._forget()  # a new attempt: the download starts again from the first byte
        return self.spool.truncate(size)

    def write(self, chunk: bytes) -> int:
        written = self.spool.write(chunk)
        data, start = self._pending + chunk, 0
        while (end := data.find(b"\n", start)) >= 0:
            self._line(data[start : end + 1], self._at + start)
            start = end + 1
        self._at += start
        self._pending = data[start:]
        return written

    def finish(self) -> str | None:
        """The last line (if the file does not end with a newline) indexed; what is wrong with
        the file (the first line that is not a JSON object, by its number), or None."""
        if self._pending:
            self._line(self._pending, self._at)
            self._at, self._pending = self._at + len(self._pending), b""
        self._flush()
        return self.fault

    # -- the index

    def _line(self, text: bytes, at: int) -> None:
        self._number += 1
        if self.fault is not None or not text.strip():
            return
        try:
            row = json.loads(text)
        except ValueError as exc:
            self.fault = f"line {self._number} is not JSON, the file may be cut off ({exc})"
            return
        if not isinstance(row, dict):
            self.fault = f"line {self._number} is not a JSON object"
            return
        parent = self._parent_of(row)
        if parent:
            self._children.append((parent, at))
        else:
            self._parents.append((self._sort_of(row), self._id_of(row), at))
        if len(self._parents) + len(self._children) >= self.FLUSH:
            self._flush()

    def _flush(self) -> None:
        self._db.executemany("INSERT INTO parent VALUES (?, ?, ?)", self._parents)
        self._db.executemany("INSERT INTO child VALUES (?, ?)", self._children)
        self._parents, self._children = [], []

    def parents(self) -> Iterator[tuple[Row, list[Row]]]:
        """Each parent line in sort order, with its children in the order the file has them
        (children whose parent is not in the file are left out). Call :meth:`finish` first."""
        self._db.execute("CREATE INDEX IF NOT EXISTS child_parent ON child (parent)")
        children = self._db.cursor()
        for parent_id, at in self._db.execute("SELECT id, at FROM parent ORDER BY sort, id, at"):
            rows = children.execute("SELECT at FROM child WHERE parent = ? ORDER BY rowid", (parent_id,))
            yield self._read(at), [self._read(child_at) for (child_at,) in rows]

    def _read(self, at: int) -> Row:
        self.spool.seek(at)
        row: Row = json.loads(self.spool.readline())
        return row
