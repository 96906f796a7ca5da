"""A JSON Lines result file indexed by parent as it downloads (ecom.jsonl)."""

from __future__ import annotations

import io
import json

import httpx
import pytest
from pydantic import SecretStr

from ecom.errors import RetryableError
from ecom.jsonl import JsonLinesIndex
from ecom.records import Connection

ROWS = [
    {"id": "c2", "parent": "p2"},
    {"id": "p2", "when": "2026-01-02", "note": "line\nbreak é"},
    {"id": "c1", "parent": "p1"},
    {"id": "c9", "parent": "nobody"},
    {"id": "c3", "parent": "p2"},
    {"id": "p1", "when": "2026-01-01"},
    {"id": "p0", "when": "2026-01-02"},
]
TEXT = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in ROWS).encode()


def index(spool: io.BytesIO | None = None) -> JsonLinesIndex:
    return JsonLinesIndex(spool or io.BytesIO(), parent_of=lambda row: row.get("parent"), sort_of=lambda row: row.get("when", ""))


def written(text: bytes, chunk: int) -> tuple[JsonLinesIndex, str | None]:
    """An index written as a download writes it, ``chunk`` bytes at a time."""
    result = index()
    for start in range(0, len(text), chunk):
        result.write(text[start : start + chunk])
    return result, result.finish()


@pytest.mark.parametrize("chunk", [1, 7, 10_000])
def test_parents_come_in_sort_order_with_their_children_however_the_bytes_arrive(chunk: int) -> None:
    result, fault = written(TEXT.rstrip(b"\n"), chunk)  # the last line may come without its newline
    assert fault is None
    got = [(parent["id"], [c["id"] for c in children]) for parent, children in result.parents()]
    assert got == [("p1", ["c1"]), ("p0", []), ("p2", ["c2", "c3"])]  # same key: by id; an orphan is left out
    assert next(p for p, _ in result.parents() if p["id"] == "p2")["note"] == "line\nbreak é"


def test_without_a_sort_key_parents_come_in_the_files_order_by_id() -> None:
    result = JsonLinesIndex(io.BytesIO(), parent_of=lambda row: row.get("parent"))
    result.write(b'{"id": "b"}\n{"id": "a"}\n{"id": "x", "parent": "b"}\n')
    assert result.finish() is None
    assert [(p["id"], len(c)) for p, c in result.parents()] == [("a", 0), ("b", 1)]


@pytest.mark.parametrize(("text", "fault"), [
    (b'{"id": "p1"}\n{"id": "p2", "wh', "line 2 is not JSON, the file may be cut off"),
    (b"<html><body>Service Unavailable</body></html>\n", "line 1 is not JSON"),
    (b'{"id": "p1"}\n\n[1, 2]\n', "line 3 is not a JSON object"),
])
def test_a_file_cut_off_or_not_json_lines_says_which_line(text: bytes, fault: str) -> None:
    found = written(text, 5)[1]
    assert found is not None and found.startswith(fault), found


def test_a_file_written_again_from_the_start_forgets_the_first_attempt() -> None:
    result = index()
    result.write(b'{"id": "p9", "when": "9"}\n{"id": "p1", "wh')  # a download cut off
    assert result.finish() is not None
    result.seek(0)
    result.truncate()
    result.write(b'{"id": "p1", "when": "1"}\n')
    assert result.finish() is None
    assert [p["id"] for p, _ in result.parents()] == ["p1"]


def test_rows_are_flushed_to_the_index_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(JsonLinesIndex, "FLUSH", 2)
    result, fault = written(TEXT, 10_000)
    assert fault is None and len([p for p, _ in result.parents()]) == 3


def connection(handler) -> Connection:
    return Connection(website_name="Cart", api_url="https://cart.example.test", password=SecretStr("secret-token"),
                      transport=httpx.MockTransport(handler))


def test_download_indexes_the_file_and_downloads_a_cut_off_one_again(ecom_http_sleeps: list[float]) -> None:
    answers = [TEXT[:40], TEXT]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=answers[len(seen) - 1])

    with JsonLinesIndex.download(connection(handler), "https://files.example.test/export.jsonl", what="the export",
                                 parent_of=lambda row: row.get("parent")) as result:
        assert [p["id"] for p, _ in result.parents()] == ["p0", "p1", "p2"]
    assert len(seen) == 2 and len(ecom_http_sleeps) == 1 and all("authorization" not in r.headers for r in seen)


def test_download_of_a_file_that_stays_broken_names_it(ecom_http_sleeps: list[float]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<html>oops</html>\n")

    with pytest.raises(RetryableError, match="Could not download the export: line 1 is not JSON"), \
            JsonLinesIndex.download(connection(handler), "https://files.example.test/x", what="the export",
                                    parent_of=lambda row: None):
        pass
