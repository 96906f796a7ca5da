"""A cart's GraphQL API over the HTTP helper: errors by code, passing faults retried, Relay pages."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from pydantic import SecretStr

from ecom.errors import AuthError, RejectedError, RetryableError
from ecom.graphql import GraphQL, all_nodes, check_user_errors, describe, documents, error_codes, errors_by_position, user_errors, whole_nodes
from ecom.records import Connection

TOKEN = "gql-secret-token"
ORDERS = "query Orders($first: Int!, $after: String) { orders(first: $first, after: $after) { nodes { id } } }"


class TooCostly(RejectedError):
    pass


def api(handler, **kwargs) -> tuple[GraphQL, list[dict]]:
    """A GraphQL client on a MockTransport; the list collects each request's JSON body."""
    sent: list[dict] = []

    def transport(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return handler(sent[-1])

    connection = Connection(website_name="Cart", api_url="https://cart.example.test", password=SecretStr(TOKEN), transport=httpx.MockTransport(transport))
    kwargs.setdefault("sleep", lambda seconds: None)
    return GraphQL(connection, "/graphql", headers={"Authorization": f"Bearer {TOKEN}"}, **kwargs), sent


def error(code: str, message: str) -> dict:
    return {"message": message, "extensions": {"code": code}}


def test_a_query_returns_its_data_and_sends_the_document_with_its_variables():
    client, sent = api(lambda body: httpx.Response(200, json={"data": {"shop": {"name": "Acme"}}}))
    assert client.query("query Shop { shop { name } }", {"x": 1}) == {"shop": {"name": "Acme"}}
    assert sent == [{"query": "query Shop { shop { name } }", "variables": {"x": 1}}]


def test_errors_raise_the_class_their_code_names_in_the_carts_words_secrets_redacted():
    answers = {
        "DENIED": error("DENIED", f"token {TOKEN} may not read orders"),
        "BUSY": error("BUSY", "try later"),
        "OTHER": error("BAD_INPUT", "first must be positive"),
    }
    client, _ = api(lambda body: httpx.Response(200, json={"errors": [answers[body["variables"]["case"]]]}),
                    errors={"DENIED": AuthError, "BUSY": RetryableError})
    with pytest.raises(AuthError) as denied:
        client.query(ORDERS, {"case": "DENIED"})
    assert str(denied.value) == "token *** may not read orders"
    with pytest.raises(RetryableError, match=r"^try later \(query Orders\)$"):  # names the document: it is retried later
        client.query(ORDERS, {"case": "BUSY"})
    with pytest.raises(RejectedError) as other:
        client.query(ORDERS, {"case": "OTHER"})
    assert type(other.value) is RejectedError and str(other.value) == "first must be positive"


def test_a_passing_fault_inside_a_200_is_retried_and_a_lasting_one_is_retryable():
    answers = [{"errors": [error("INTERNAL", "oops")]}, {"no": "graphql"}, {"data": {"ok": True}}]
    client, sent = api(lambda body: httpx.Response(200, json=answers.pop(0)), transient_codes={"INTERNAL"})
    assert client.query("query Ok { ok }") == {"ok": True}
    assert len(sent) == 3
    lasting, _ = api(lambda body: httpx.Response(200, json={"errors": [error("INTERNAL", "oops")]}),
                     transient_codes={"INTERNAL"}, max_attempts=2)
    with pytest.raises(RetryableError, match="INTERNAL: oops"):
        lasting.query("query Ok { ok }")


def page(ids: list[int], more: bool) -> dict:
    return {"data": {"orders": {"nodes": [{"id": i} for i in ids], "pageInfo": {"hasNextPage": more, "endCursor": f"c{ids[-1]}"}}}}


def test_pages_follow_the_cursor_until_the_last_page():
    client, sent = api(lambda body: httpx.Response(200, json=page([1, 2], True) if body["variables"]["after"] is None else page([3], False)))
    assert [[n["id"] for n in p["nodes"]] for p in client.pages(ORDERS, "orders", {"q": "x"}, first=2)] == [[1, 2], [3]]
    assert [b["variables"] for b in sent] == [{"q": "x", "first": 2, "after": None}, {"q": "x", "first": 2, "after": "c2"}]


def test_a_page_too_big_is_asked_again_at_half_the_size_and_the_next_size_is_the_subclasss():
    class Costly(GraphQL):
        too_big = TooCostly

        def next_page_size(self, first: int) -> int:
            return first + 1

    def answer(body: dict) -> httpx.Response:
        first = body["variables"]["first"]
        if first > 3:
            return httpx.Response(200, json={"errors": [error("COST", "too costly")]})
        return httpx.Response(200, json=page([first], body["variables"]["after"] is None))

    connection = Connection(website_name="Cart", api_url="https://cart.example.test", transport=httpx.MockTransport(lambda r: answer(json.loads(r.content))))
    client = Costly(connection, "/graphql", errors={"COST": TooCostly})
    assert [p["nodes"][0]["id"] for p in client.pages(ORDERS, "orders", {}, first=10)] == [2, 3]  # 10 -> 5 -> 2, then 2 + 1
    one = Costly(Connection(website_name="Cart", api_url="https://cart.example.test", transport=httpx.MockTransport(
        lambda r: httpx.Response(200, json={"errors": [error("COST", "too costly")]}))), "/graphql", errors={"COST": TooCostly})
    with pytest.raises(TooCostly):  # one node a page is still too much: said, not looped on
        list(one.pages(ORDERS, "orders", {}, first=4))


def test_all_nodes_reads_a_nested_connection_past_its_first_page():
    asked = []

    def more(cursor: str) -> dict:
        asked.append(cursor)
        return {"nodes": [3, 4] if cursor == "b" else [5], "pageInfo": {"hasNextPage": cursor == "b", "endCursor": "d"}}

    assert all_nodes({"nodes": [1, 2], "pageInfo": {"hasNextPage": True, "endCursor": "b"}}, more) == [1, 2, 3, 4, 5]
    assert asked == ["b", "d"]
    assert all_nodes({"nodes": [1], "pageInfo": {"hasNextPage": False, "endCursor": None}}, more) == [1]


def test_nested_nodes_read_the_rest_of_a_records_connection_with_its_own_query():
    lines = "query Lines($id: ID!, $after: String) { order(id: $id) { lines(after: $after) { nodes { id } } } }"

    def answer(body: dict) -> httpx.Response:
        more = body["variables"]["after"] == "b"
        connection = {"nodes": [3, 4] if more else [5], "pageInfo": {"hasNextPage": more, "endCursor": "d"}}
        return httpx.Response(200, json={"data": {"order": {"lines": connection}}})

    client, sent = api(answer)
    first = {"nodes": [1, 2], "pageInfo": {"hasNextPage": True, "endCursor": "b"}}
    assert client.nested_nodes(first, lines, {"id": "o1"}, "order", "lines") == [1, 2, 3, 4, 5]
    assert [b["variables"] for b in sent] == [{"id": "o1", "after": "b"}, {"id": "o1", "after": "d"}]


def test_nodes_by_id_asks_each_id_once_in_chunks_and_leaves_out_the_ones_missing():
    document = "query Nodes($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    client, sent = api(lambda body: httpx.Response(200, json={"data": {"nodes": [
        None if i == "gone" else {"id": i, "n": 1} for i in body["variables"]["ids"]]}}))
    found = client.nodes_by_id(document, ["a", "b", "a", "gone", "c"], per_query=2)
    assert found == {"a": {"id": "a", "n": 1}, "b": {"id": "b", "n": 1}, "c": {"id": "c", "n": 1}}
    assert [b["variables"]["ids"] for b in sent] == [["a", "b"], ["gone", "c"]]
    assert client.nodes_by_id(document, [], per_query=2) == {} and len(sent) == 2  # nothing to ask: no request


def test_whole_nodes_refuse_a_connection_with_pages_left():
    assert whole_nodes({"nodes": [1], "pageInfo": {"hasNextPage": False}}, "line items") == [1]
    assert whole_nodes(None, "line items") == [] and whole_nodes({"edges": []}, "line items") == []
    with pytest.raises(ValueError, match="^there are more line items than were read$"):
        whole_nodes({"nodes": [1], "pageInfo": {"hasNextPage": True}}, "line items")


def test_user_errors_name_the_input_and_the_reason_and_are_raised_as_a_refusal():
    errors = [{"field": ["input", "items", 0, "sku"], "message": "SKU is taken"}, {"field": None, "message": "Try again"}]
    assert user_errors(errors) == "input.items.0.sku: SKU is taken; Try again"
    assert user_errors(None) == "" and user_errors([]) == ""
    check_user_errors({"userErrors": []}, {"other": 1})  # none: nothing raised
    with pytest.raises(RejectedError, match="^input.items.0.sku: SKU is taken; Try again; name: blank$"):
        check_user_errors({"userErrors": errors}, {"userErrors": [{"field": ["name"], "message": "blank"}]})
    with pytest.raises(RejectedError, match="^already cancelled$"):
        check_user_errors({"cancelErrors": [{"message": "already cancelled"}]}, key="cancelErrors")


def test_user_errors_that_say_the_work_was_done_are_not_a_refusal():
    done = re.compile("already been cancelled")
    assert check_user_errors({"e": [{"message": "The order has already been cancelled"}]}, key="e", done=done) is True
    assert check_user_errors({"e": []}, key="e", done=done) is False
    with pytest.raises(RejectedError, match="^Reason is invalid$"):
        check_user_errors({"e": [{"message": "Reason is invalid"}]}, key="e", done=done)


def test_describe_names_the_operation_the_cursor_and_the_ids():
    assert describe("mutation Tag($id: ID!) { x }", {"id": "gid://O/1"}) == "mutation Tag for gid://O/1"
    assert describe(ORDERS, {"after": "c9", "orderId": "7"}) == "query Orders after cursor c9 for 7"
    assert describe("{ shop { name } }", {"ids": ["a", "b"]}) == "query for 2 ids from a"


def test_error_codes_reads_each_errors_extension_code():
    assert error_codes({"errors": [error("A", "x"), {"message": "no code"}, "junk"]}) == {"A", "None"}
    assert error_codes({"data": {}}) == set() and error_codes([]) == set()


def test_errors_by_position_read_the_input_index_from_the_field_path():
    errors = [
        {"field": ["input", "quantities", "2", "locationId"], "message": "no such location"},
        {"field": ["input", "quantities", 0, "quantity"], "message": "too big"},
        {"field": ["input", "quantities", "7"], "message": "out of range"},
        {"field": None, "message": "the whole batch"},
    ]
    found = errors_by_position(errors, 3)
    assert {n: [e["message"] for e in found[n]] for n in found} == {
        0: ["too big", "out of range", "the whole batch"], 1: ["out of range", "the whole batch"],
        2: ["no such location", "out of range", "the whole batch"]}
    assert errors_by_position([], 3) == {} and errors_by_position(None, 3) == {}


def test_documents_are_a_modules_named_queries_and_mutations():
    namespace = {"ORDERS": ORDERS, "TAG": "\n  mutation Tag { x }", "FIELDS": "id name", "lower": "query Q { x }", "N": 3}
    assert documents(namespace) == {"ORDERS": ORDERS, "TAG": "\n  mutation Tag { x }"}
