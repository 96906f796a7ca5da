"""Hostile files and numbers given to ``ecom integration apply / set / preview``: one error in words, exit 3.

Nesting deep enough to exhaust the TOML parser's recursion, a file that never ends, a file that is
not UTF-8, numbers the back office cannot keep: each is refused with its reason and nothing changes.
"""

from __future__ import annotations

import json

import pytest

from ecom.cli.files import MAX_INPUT_BYTES
from ecom.integration_file import MAX_NESTING

from .integration_seed import ORDER, all_rows, order_json
from .test_cli_integrations import driver, key_file, office, shop  # noqa: F401  (fixtures)

DEEP = 50_000


def refused(result) -> str:  # type: ignore[no-untyped-def]
    assert (result.exit_code, result.stdout) == (3, ""), result.output
    assert "Traceback" not in result.stderr
    return result.stderr


def nested(depth: int, kind: str) -> str:
    return "[" * depth + "]" * depth if kind == "arrays" else "{a = " * depth + "1" + "}" * depth


@pytest.mark.parametrize("depth", [DEEP, 300], ids=["50000 deep: the parser's recursion", "300 deep: the settings' dump"])
@pytest.mark.parametrize("kind", ["arrays", "inline tables"])
def test_deeply_nested_toml_is_refused_by_apply(shop, ecom_cli, tmp_path, depth, kind) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(f'name = "shop"\n[general]\ndriver_options = {{ x = {nested(depth, kind)} }}\n')
    before = all_rows(shop.engine)
    assert refused(ecom_cli("integration", "apply", str(path))) == (
        f"Error: {path} was not applied: 1 problem, nothing was saved:\n"
        f"  TOML: arrays or tables are nested more than {MAX_NESTING} deep\n"
    )
    assert all_rows(shop.engine) == before


@pytest.mark.parametrize("depth", [DEEP, 300])
@pytest.mark.parametrize("key", ["preferences.statuses", "general.driver_options.x"])
def test_a_deeply_nested_setting_is_refused_by_set(shop, ecom_cli, depth, key) -> None:
    before = all_rows(shop.engine)
    assert refused(ecom_cli("integration", "set", "shop", f"{key}={nested(depth, 'inline tables')}")) == (
        "Error: Integration 'shop' was not changed: 1 problem, nothing was saved:\n"
        f"  {key}: TOML: arrays or tables are nested more than {MAX_NESTING} deep\n"
    )
    assert all_rows(shop.engine) == before


def test_the_deepest_setting_set_accepts_exports_and_applies_again(shop, ecom_cli, tmp_path) -> None:
    deepest = nested(MAX_NESTING - 3, "inline tables")  # under [general] driver_options x
    assert ecom_cli("integration", "set", "shop", f"general.driver_options.x={deepest}").exit_code == 0
    assert refused(ecom_cli("integration", "set", "shop", f"general.driver_options.x=[{deepest}]")).endswith(f"nested more than {MAX_NESTING} deep\n")
    path = tmp_path / "shop.toml"
    assert ecom_cli("integration", "export", "shop", "-o", str(path)).exit_code == 0
    applied = ecom_cli("integration", "apply", str(path))
    assert (applied.exit_code, applied.stdout) == (0, "Integration 'shop' is unchanged.\n")


def test_a_schedule_interval_of_10_to_the_30_is_refused(shop, ecom_cli) -> None:
    stderr = refused(ecom_cli("integration", "set", "shop", f"schedule.interval={10**30}"))
    assert f"  schedule.interval: Input should be less than or equal to 100000 (got {10**30})\n" in stderr
    assert ecom_cli("integration", "set", "shop", "schedule.interval=1440").exit_code == 0


@pytest.mark.parametrize("command", ["apply", "preview"])
def test_a_file_that_never_ends_is_refused_after_a_bounded_read(shop, ecom_cli, command) -> None:
    args = ("integration", "apply", "/dev/zero") if command == "apply" else ("integration", "preview", "shop", "--order", "/dev/zero")
    what = "an integration file" if command == "apply" else "an order"
    assert refused(ecom_cli(*args)) == (
        f"Error: /dev/zero is larger than {MAX_INPUT_BYTES // 1024 // 1024} MiB, too large for {what}: is it the right file?\n"
    )


def test_a_latin1_order_given_to_preview_is_refused_naming_the_line(shop, ecom_cli, tmp_path) -> None:
    path = tmp_path / "order.json"
    text = json.dumps({**ORDER, "note": "x"}, indent=1).replace('"x"', '"Caf\u00e9"')
    path.write_bytes(text.encode("latin-1"))
    line = text[: text.index("Caf")].count("\n") + 1
    assert refused(ecom_cli("integration", "preview", "shop", "--order", str(path))) == (
        f"Error: {path} is not UTF-8 text (line {line} is not): save it as UTF-8 and try again.\n"
    )
    piped = ecom_cli("integration", "apply", "-", input="name = 'Caf\u00e9'\n".encode("latin-1"))  # type: ignore[arg-type]
    assert refused(piped) == "Error: stdin is not UTF-8 text (line 1 is not): save it as UTF-8 and try again.\n"


@pytest.mark.parametrize(
    ("line", "where", "shown"),
    [
        ({"quantity": 10**30}, "lines[0].quantity", str(10**30)),
        ({"unit_price": "1E+400"}, "lines[0].unit_price", "1E+400"),
        ({"unit_price": "0.0000000000000001"}, "lines[0].unit_price", "1E-16"),
    ],
    ids=["quantity 10^30", "price 1E+400", "price with 16 places"],
)
def test_numbers_the_back_office_cannot_keep_are_refused_by_preview(shop, ecom_cli, tmp_path, line, where, shown) -> None:
    path = tmp_path / "order.json"
    path.write_text(order_json(lines=[{**ORDER["lines"][0], **line}]))
    stderr = refused(ecom_cli("integration", "preview", "shop", "--order", str(path)))
    assert stderr.startswith(f"Error: {path} holds numbers beyond what the back office keeps:\n  {where}: {shown} ")
    assert len(stderr.splitlines()) == 2


def test_an_smtp_port_beyond_65535_is_a_usage_error_not_a_database_overflow(ecom_db, ecom_cli) -> None:
    result = ecom_cli("mail", "set", "--host", "127.0.0.1", "--port", str(10**20), "--from", "shop@example.com", "--no-password")
    assert result.exit_code == 2
    assert "Invalid value for '--port': 100000000000000000000 is not in the range 1<=x<=65535." in result.stderr
    assert "Traceback" not in result.output
