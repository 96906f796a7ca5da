"""``ecom integration``: through the CLI as an admin uses it, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging

import pytest
import tomllib

from ecom import integrations, secrets

from .integration_seed import PASSWORD, SETTINGS, ShopDriver, all_rows, order_json, seed, settings

SHOP = ("integration", "add", "shop", "--cart", "testshop", "--website-name", "Dana's", "--api-url", "https://dana.example")


@pytest.fixture(autouse=True)
def key_file(monkeypatch, tmp_path):
    monkeypatch.delenv(secrets.KEY_ENV, raising=False)
    monkeypatch.setenv(secrets.KEY_FILE_ENV, str(tmp_path / "secret.key"))
    monkeypatch.setenv("SHOP_TOKEN", PASSWORD)


@pytest.fixture
def driver(ecom_plugins) -> ShopDriver:
    return ecom_plugins.register(ShopDriver(), name="testshop")


@pytest.fixture
def office(ecom_db, driver):
    with ecom_db.session() as session:
        seed(session)
    return ecom_db


@pytest.fixture
def shop(office, ecom_cli):
    """The integration 'shop' with the full sample settings, inactive."""
    assert ecom_cli(*SHOP, "--password-env", "SHOP_TOKEN").exit_code == 0
    with office.session() as session:
        integrations.save_settings(session, integrations.get(session, "shop"), settings())
    return office


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def test_add_takes_the_password_hidden_from_env_or_stdin_never_from_a_flag(office, ecom_cli):
    prompted = ok(ecom_cli(*SHOP, input=PASSWORD + "\n"))
    assert prompted.stdout.startswith("Password: \nAdded integration 'shop' (Test Shop), inactive.\n")
    ok(ecom_cli("integration", "add", "env", "--cart", "testshop", "--password-env", "SHOP_TOKEN"))
    ok(ecom_cli("integration", "add", "piped", "--cart", "testshop", "--password-stdin", input=PASSWORD + "\n"))
    ok(ecom_cli("integration", "add", "open", "--cart", "testshop", "--no-password"))
    refused = ecom_cli("integration", "add", "flag", "--cart", "testshop", "--password", PASSWORD)
    assert refused.exit_code == 2 and "No such option '--password'" in refused.stderr
    missing = ecom_cli("integration", "add", "nope", "--cart", "testshop", "--password-env", "NO_SUCH_VAR")
    assert (missing.exit_code, missing.stderr) == (3, "Error: The environment variable NO_SUCH_VAR is not set, so there is no password to read.\n")
    empty = ecom_cli("integration", "add", "empty", "--cart", "testshop", "--password-stdin", input="\n")
    assert empty.exit_code == 3 and "The first line of stdin is empty" in empty.stderr
    ok(ecom_cli("integration", "set", "open", "--ask-password", input=PASSWORD + "\n"))
    with office.session() as session:
        found = {i.name: i for i in integrations.list_integrations(session)}
        assert sorted(found) == ["env", "open", "piped", "shop"]
        for name in ("env", "open", "piped", "shop"):
            assert integrations.connection(found[name]).password.get_secret_value() == PASSWORD
        assert sorted(n for n, i in found.items() if i.password_encrypted) == ["env", "open", "piped", "shop"]
    assert PASSWORD not in prompted.output


def test_list_and_show_every_tab(shop, ecom_cli):
    listed = ok(ecom_cli("integration", "list"))
    assert listed.stdout.splitlines() == [
        "NAME  CART      ACTIVE  API URL               TESTED",
        "shop  testshop  no      https://dana.example  never",
    ]
    shown = ok(ecom_cli("integration", "show", "shop")).stdout
    assert shown.startswith("shop: Test Shop (testshop), inactive\n  website_name  Dana's  (shop name)\n")
    assert "  password      set (encrypted)  (access token)\n" in shown
    for title in ("General", "Preferences", "Sales Tax Mapping", "Ship Method Mapping", "Payment Method Mapping", "Discount Mapping", "Schedule"):
        assert f"\n{title}\n" in shown
    assert "  states                   NY → NY 8.875%\n                           CA → CA 7.25%\n" in shown
    assert "  methods          'Priority Mail' (USPS) → USPS Priority\n" in shown
    assert "  time       06:30\n" in shown
    data = json.loads(ok(ecom_cli("integration", "show", "shop", "--json")).stdout)
    assert data["connection"] == {"api_url": "https://dana.example", "password_set": True, "username": "", "website_name": "Dana's"}
    assert data["settings"] == settings().model_dump(mode="json", by_alias=True)
    assert json.loads(ok(ecom_cli("integration", "list", "--json")).stdout)[0]["tested_at"] is None


def test_set_changes_dotted_settings_and_connection_fields(shop, ecom_cli):
    result = ok(ecom_cli(
        "integration", "set", "shop", 'shipping.default_method="USPS Priority"', "general.locations=Main",
        "preferences.hold_if_total_over=250.50", "sales_tax.states.CA=", "sales_tax.states.tx=Default 6%",
        "preferences.statuses=processing,closed", "schedule.enabled=false", "general.driver_options.page_size=100",
        "api_url=https://new.example", "preferences.class=",
    ))  # fmt: skip
    assert result.stdout.startswith("Saved integration 'shop': shipping.default_method, general.locations,")
    assert "run `ecom integration test shop`" in result.stdout
    with shop.session() as session:
        item = integrations.get(session, "shop")
        saved = integrations.load_settings(session, item)
    assert item.api_url == "https://new.example"
    assert saved.shipping.default_method == "USPS Priority"
    assert saved.general.locations == ["Main"]
    assert str(saved.preferences.hold_if_total_over) == "250.50"
    assert saved.sales_tax.states == {"NY": "NY 8.875%", "TX": "Default 6%"}
    assert [s.value for s in saved.preferences.statuses] == ["processing", "closed"]
    assert saved.general.driver_options == {"api_version": "2025-01", "page_size": 100}
    assert saved.preferences.class_ is None and not saved.schedule.enabled


def test_a_bad_set_names_every_problem_and_changes_nothing(shop, ecom_cli):
    before = all_rows(shop.engine)
    result = ecom_cli(
        "integration", "set", "shop", "shipping.default_method=UPS Groundd", "preferences.customer_matching=email",
        "schedule.interval=often", "sales_tax.taxable_code=Non", "active=true", "password=x", "website_name=New name",
    )  # fmt: skip
    assert result.exit_code == 3
    assert result.stderr == (
        "Error: Integration 'shop' was not changed: 6 problems, nothing was saved:\n"
        "  active: cannot be set here: use ecom integration activate / deactivate\n"
        "  password: set the password with --ask-password, --password-env VAR or --password-stdin\n"
        "  preferences.customer_matching: unknown setting (did you mean customer_match?)\n"
        "  sales_tax.taxable_code: sales tax code 'Non' is not taxable; use a taxable code\n"
        "  shipping.default_method: no ship method named 'UPS Groundd' (did you mean 'UPS Ground'?)\n"
        "  schedule.interval: Input should be a valid integer, unable to parse string as an integer (got 'often')\n"
    )
    assert all_rows(shop.engine) == before


def test_apply_then_export_then_apply_changes_nothing(office, ecom_cli, tmp_path):
    document = {"name": "shop", "cart": "testshop", "active": True,
                "connection": {"website_name": "Dana's", "api_url": "https://dana.example", "password_env": "SHOP_TOKEN"}}
    first = tmp_path / "first.toml"
    import tomli_w

    first.write_text(tomli_w.dumps({**document, **_plain(SETTINGS)}))
    created = ok(ecom_cli("integration", "apply", str(first)))
    assert created.stdout == "Created integration 'shop' (testshop), active.\n"
    exported = ok(ecom_cli("integration", "export", "shop")).stdout
    before = all_rows(office.engine)
    again = tmp_path / "again.toml"
    ok(ecom_cli("integration", "export", "shop", "-o", str(again)))
    assert again.read_text() == exported
    assert ok(ecom_cli("integration", "apply", str(again))).stdout == "Integration 'shop' is unchanged.\n"
    assert all_rows(office.engine) == before
    assert ok(ecom_cli("integration", "export", "shop")).stdout == exported
    parsed = tomllib.loads(exported)
    assert parsed["connection"]["password"] == "<keep current password>"
    with office.session() as session:
        item = integrations.get(session, "shop")
        assert integrations.load_settings(session, item) == settings()
        assert integrations.connection(item).password.get_secret_value() == PASSWORD


def _plain(data):
    """SETTINGS as TOML can hold them (the schedule's time as a TOML time)."""
    import datetime as dt

    out = json.loads(json.dumps(data))
    out["schedule"]["time"] = dt.time(6, 30)
    return out


def test_an_edited_export_applies_its_changes(shop, ecom_cli, tmp_path):
    text = ok(ecom_cli("integration", "export", "shop")).stdout
    edited = text.replace('default_method = "UPS Ground"', 'default_method = "USPS Priority"').replace("active = false", "active = true")
    path = tmp_path / "shop.toml"
    path.write_text(edited)
    assert ok(ecom_cli("integration", "apply", str(path))).stdout == "Updated integration 'shop', active.\n"
    with shop.session() as session:
        item = integrations.get(session, "shop")
        assert item.active
        assert integrations.load_settings(session, item).shipping.default_method == "USPS Priority"


def test_a_bad_file_changes_nothing_and_names_every_problem(shop, ecom_cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        'name = "shop"\ncart = "woocommerce"\nactiv = true\n\n[connection]\npasword = "x"\n\n'
        '[preferences]\ncustomer_match = "phone"\nclass = "Webb"\n\n'
        '[shipping]\ndefault_method = "UPS Groundd"\nmethods = [{ method = "Nope", cart_method = "x" }, { cart_method = "y" }]\n\n'
        '[schedule]\ninterval = "daily"\n\n[payment]\nx = 1\n'
    )
    before = all_rows(shop.engine)
    result = ecom_cli("integration", "apply", str(path))
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: {path} was not applied: 10 problems, nothing was saved:\n"
        "  cart: integration 'shop' is a testshop integration; to change its cart, remove it and add it again\n"
        "  connection.pasword: unknown key (did you mean password?)\n"
        "  preferences.class: no class named 'Webb' (did you mean 'Web'?)\n"
        "  preferences.customer_match: Input should be 'email', 'cart_id', 'company' or 'name_postal' (got 'phone')\n"
        "  shipping.default_method: no ship method named 'UPS Groundd' (did you mean 'UPS Ground'?)\n"
        "  shipping.methods[0].method: no ship method named 'Nope'\n"
        "  shipping.methods[1].method: required\n"
        "  schedule.interval: Input should be a valid integer, unable to parse string as an integer (got 'daily')\n"
        "  activ: unknown key (did you mean active?)\n"
        "  payment: unknown key (did you mean payments?)\n"
    )
    assert all_rows(shop.engine) == before


def test_a_toml_syntax_error_gives_its_line(shop, ecom_cli, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('name = "shop"\n[connection\napi_url = "x"\n')
    before = all_rows(shop.engine)
    result = ecom_cli("integration", "apply", str(path))
    assert result.exit_code == 3
    assert "TOML syntax: Expected ']' at the end of a table declaration (at line 2, column 12)" in result.stderr
    assert all_rows(shop.engine) == before


def test_the_password_never_shows_in_output_logs_files_or_the_database(office, ecom_cli, driver, caplog, tmp_path, monkeypatch):
    caplog.set_level(logging.DEBUG)
    outputs = [ok(ecom_cli(*SHOP, input=PASSWORD + "\n")).output]
    outputs.append(ok(ecom_cli("integration", "set", "shop", 'shipping.default_method=UPS Ground', "--password-stdin", input=PASSWORD + "\n")).output)
    outputs.append(ok(ecom_cli("integration", "test", "shop")).output)
    outputs += [ok(ecom_cli("integration", *args)).output for args in (("show", "shop"), ("show", "shop", "--json"), ("list",), ("list", "--json"))]
    export = tmp_path / "shop.toml"
    outputs.append(ok(ecom_cli("integration", "export", "shop", "-o", str(export))).output)
    outputs.append(ok(ecom_cli("integration", "apply", str(export))).output)
    outputs.append(ecom_cli("integration", "preview", "shop", "--order", _order_file(tmp_path)).output)
    monkeypatch.setenv("SHOP_TOKEN", "wrong-" + PASSWORD)
    ok(ecom_cli("integration", "set", "shop", "--password-env", "SHOP_TOKEN"))
    refused = ecom_cli("integration", "test", "shop")
    assert refused.exit_code == 4
    outputs.append(refused.output)  # the cart echoed the token it got: ecom hides it
    assert "access token **** (unrecognized" in refused.stderr
    for text in (*outputs, caplog.text, export.read_text()):
        assert PASSWORD not in text
    for table, rows in all_rows(office.engine).items():
        assert not any(PASSWORD in cell for row in rows for cell in row), table


def _order_file(tmp_path, **changes):
    path = tmp_path / "order.json"
    path.write_text(order_json(**changes))
    return str(path)


def test_preview_explains_the_draft_gives_the_same_answer_twice_and_writes_nothing(shop, ecom_cli, tmp_path):
    order = _order_file(tmp_path)
    before = all_rows(shop.engine)
    first = ok(ecom_cli("integration", "preview", "shop", "--order", order))
    second = ok(ecom_cli("integration", "preview", "shop", "--order", order))
    assert first.stdout == second.stdout
    assert all_rows(shop.engine) == before
    text = first.stdout
    assert text.startswith("Order #1042: would be imported as a sales order, status open, dated 2025-03-14.\n")
    assert "  customer       'Dana Keller', new customer: no customer matched by cart customer id ('7312345678901')\n" in text
    assert "  accounting     Web Taxable\n" in text
    assert "  ship method    UPS Ground\n" in text
    assert "  sales tax      taxable; code Tax; item sales tax NY 8.875%\n" in text
    assert "  custom fields  Web Order # = #1042\n" in text
    assert "  1  item      TEE-BLK-M  Logo Tee       2  25.00   50.00  NY 8.875%\n" in text
    assert "  3  discount  Welcome    WELCOME10      1  -6.25   -6.25  -\n" in text
    assert "  total     67.14 USD\n" in text
    assert "  payment  PayPal, term Prepaid: 67.14\n" in text
    as_json = json.loads(ok(ecom_cli("integration", "preview", "shop", "--order", order, "--json")).stdout)
    assert as_json["draft"]["total"] == "67.14" and as_json["errors"] == []
    assert all_rows(shop.engine) == before


def test_preview_lists_errors_and_exits_5(shop, ecom_cli, tmp_path):
    lines = [{"external_id": "1", "sku": "NO-SUCH", "name": "Ghost", "quantity": 1, "unit_price": "62.50"}]
    result = ecom_cli("integration", "preview", "shop", "--order", _order_file(tmp_path, lines=lines, discounts=[]))
    assert result.exit_code == 5
    assert result.stdout.startswith("Order #1042: would NOT be imported (")
    assert "  item: SKU 'NO-SUCH' (line 'Ghost') is not an item in the back office\n" in result.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"number": "1", "totl": "1"}))
    refused = ecom_cli("integration", "preview", "shop", "--order", str(bad))
    assert refused.exit_code == 3
    assert refused.stderr.startswith(f"Error: {bad} is not a canonical order (docs/records.md):\n  external_id: required\n")
    assert "  totl: unknown field (did you mean total?)\n" in refused.stderr


def test_test_reports_success_in_words_and_records_it(shop, ecom_cli, driver):
    result = ok(ecom_cli("integration", "test", "shop"))
    assert result.stdout == (
        "Connection OK: Connected to Dana's Shop\n  plan: basic\nWarning: read_orders only\n"
        "Nothing else is missing: activate it with `ecom integration activate shop` (or test with --activate).\n"
    )
    assert driver.calls == [("https://dana.example", True, ["fetch_orders", "fetch_products", "push_inventory", "push_status"])]
    data = json.loads(ok(ecom_cli("integration", "show", "shop", "--json")).stdout)
    assert data["connection_test"]["message"] == "Connected to Dana's Shop"


def test_test_reports_a_refused_credential_in_words(shop, ecom_cli, monkeypatch):
    monkeypatch.setenv("SHOP_TOKEN", "expired")
    ok(ecom_cli("integration", "set", "shop", "--password-env", "SHOP_TOKEN"))
    result = ecom_cli("integration", "test", "shop")
    assert result.exit_code == 4
    assert result.stderr == (
        "Error: Test Connection of 'shop' failed: the cart refused the credentials (HTTP 401): "
        "[API] Invalid API key or access token **** (unrecognized login or wrong password)\n"
    )
    assert json.loads(ok(ecom_cli("integration", "show", "shop", "--json")).stdout)["connection_test"] is None


def test_grid_commands_add_list_and_remove_rows(shop, ecom_cli):
    ok(ecom_cli("integration", "grid", "add", "shop", "tax-states", "tx", "Default 6%"))
    replaced = ok(ecom_cli("integration", "grid", "add", "shop", "ship-methods", "priority mail", "UPS Ground", "--carrier", "usps"))
    assert replaced.stdout == "Replaced ship-methods row 'priority mail' → 'UPS Ground' on integration 'shop'.\n"
    ok(ecom_cli("integration", "grid", "add", "shop", "payment-methods", "venmo", "PayPal", "--term", "Prepaid"))
    ok(ecom_cli("integration", "grid", "remove", "shop", "discounts", "welcome10"))
    assert ok(ecom_cli("integration", "grid", "list", "shop", "tax-states")).stdout == (
        "tax-states:\n  STATE  ITEM SALES TAX\n  NY     NY 8.875%\n  CA     CA 7.25%\n  TX     Default 6%\n"
    )
    rows = json.loads(ok(ecom_cli("integration", "grid", "list", "shop", "--json")).stdout)
    assert rows["ship-methods"][-1] == {"cart_carrier": "usps", "cart_method": "priority mail", "method": "UPS Ground"}
    assert len(rows["ship-methods"]) == 2
    assert rows["payment-methods"][-1] == {"cart_method": "venmo", "method": "PayPal", "term": "Prepaid"}
    assert rows["discounts"] == []
    unknown = ecom_cli("integration", "grid", "add", "shop", "discounts", "HALF", "Half off")
    assert unknown.exit_code == 3 and "discounts.codes[0].discount: no discount named 'Half off'" in unknown.stderr
    missing = ecom_cli("integration", "grid", "remove", "shop", "tax-states", "ZZ")
    assert missing.exit_code == 3 and "has no tax-states row for 'ZZ'" in missing.stderr
    misuse = ecom_cli("integration", "grid", "add", "shop", "discounts", "X", "Welcome", "--term", "Prepaid")
    assert misuse.exit_code == 2


def test_activate_needs_a_ready_integration(office, ecom_cli):
    ok(ecom_cli(*SHOP, "--no-password"))
    refused = ecom_cli("integration", "activate", "shop")
    assert refused.exit_code == 3
    assert "shipping.default_method: required before the integration can be activated or synced" in refused.stderr
    ok(ecom_cli("integration", "set", "shop", "shipping.default_method=UPS Ground"))
    result = ok(ecom_cli("integration", "activate", "shop"))
    assert result.stdout == "Integration 'shop' is active.\nIts schedule starts after a successful test: ecom integration test shop\n"
    assert ok(ecom_cli("integration", "deactivate", "shop")).stdout == "Integration 'shop' is inactive.\n"


def test_remove_asks_first(shop, ecom_cli):
    kept = ecom_cli("integration", "remove", "shop", input="n\n")
    assert kept.exit_code == 1
    assert ok(ecom_cli("integration", "list", "--json")).stdout.count('"name": "shop"') == 1
    assert ok(ecom_cli("integration", "remove", "shop", "--yes")).stdout == "Removed integration 'shop'.\n"
    gone = ecom_cli("integration", "show", "shop")
    assert (gone.exit_code, gone.stderr) == (3, "Error: No integration named 'shop': there are none yet (ecom integration add).\n")


def test_reapplying_an_unchanged_file_keeps_the_last_test_only_a_connection_change_forgets_it(office, ecom_cli, tmp_path, monkeypatch):
    import tomli_w

    document = {"name": "shop", "cart": "testshop", "active": True,
                "connection": {"website_name": "Dana's", "api_url": "https://dana.example", "password_env": "SHOP_TOKEN"}}  # fmt: skip
    path = tmp_path / "shop.toml"
    path.write_text(tomli_w.dumps({**document, **_plain(SETTINGS)}))
    ok(ecom_cli("integration", "apply", str(path)))

    def tested():
        return json.loads(ok(ecom_cli("integration", "show", "shop", "--json")).stdout)["connection_test"]

    ok(ecom_cli("integration", "test", "shop"))
    first = tested()
    assert first is not None
    assert ok(ecom_cli("integration", "apply", str(path))).stdout == "Integration 'shop' is unchanged.\n"
    assert tested() == first
    ok(ecom_cli("integration", "set", "shop", "--password-env", "SHOP_TOKEN"))  # the same password again
    assert tested() == first
    edited = {**document, "connection": {**document["connection"], "website_name": "Dana's Shop"}}
    path.write_text(tomli_w.dumps({**edited, **_plain(SETTINGS)}))
    assert ok(ecom_cli("integration", "apply", str(path))).stdout == "Updated integration 'shop', active.\n"
    assert tested() == first  # the website name is a label, not how ecom reaches the cart

    moved = {**edited, "connection": {**edited["connection"], "api_url": "https://dana2.example"}}
    path.write_text(tomli_w.dumps({**moved, **_plain(SETTINGS)}))
    assert ok(ecom_cli("integration", "apply", str(path))).stdout == "Updated integration 'shop', active.\n"
    assert tested() is None
    ok(ecom_cli("integration", "test", "shop"))
    monkeypatch.setenv("SHOP_TOKEN", "a-new-token")
    assert ok(ecom_cli("integration", "apply", str(path))).stdout == "Updated integration 'shop', active.\n"
    assert tested() is None


def test_add_says_what_is_missing_show_keeps_a_checklist_and_test_says_how_to_activate(office, ecom_cli):
    added = ok(ecom_cli("integration", "add", "shop", "--cart", "testshop", "--password-env", "SHOP_TOKEN")).stdout
    before, after = added.split("Then:\n")
    assert "Before it can be activated (2 missing):\n" in before
    assert "[ ] api_url" in before and "ecom integration set shop api_url=URL" in before
    assert "[ ] shipping.default_method" in before and 'ecom integration set shop shipping.default_method="SHIP METHOD"' in before
    assert "ecom integration test shop" in after and "ecom integration activate shop" in after

    def checklist():
        data = json.loads(ok(ecom_cli("integration", "show", "shop", "--json")).stdout)
        return data["ready_to_activate"], {s["step"]: (s["done"], s["command"]) for s in data["checklist"]}

    ready, steps = checklist()
    assert not ready and steps["api_url"] == (False, "ecom integration set shop api_url=URL")
    assert steps["tested"] == (False, "ecom integration test shop") and steps["active"][0] is False
    shown = ok(ecom_cli("integration", "show", "shop")).stdout
    assert "\nChecklist\n  [ ] api_url  " in shown

    ok(ecom_cli("integration", "set", "shop", "api_url=https://dana.example"))
    tested = ok(ecom_cli("integration", "test", "shop")).stdout
    assert "Connection OK" in tested
    assert "inactive; before it can be activated (1 missing):\n  [ ] shipping.default_method" in tested
    ok(ecom_cli("integration", "set", "shop", "shipping.default_method=UPS Ground"))
    ready, steps = checklist()
    assert ready and steps["api_url"] == (True, None) and steps["tested"][0] is True and steps["active"][0] is False
    tested = ok(ecom_cli("integration", "test", "shop")).stdout
    assert tested.endswith("Nothing else is missing: activate it with `ecom integration activate shop` (or test with --activate).\n")
    assert checklist()[1]["active"][0] is False  # not asked at a terminal: nothing done behind the admin's back
    activated = ok(ecom_cli("integration", "test", "shop", "--activate")).stdout
    assert activated.endswith("Integration 'shop' is active: it syncs by hand and on its schedule.\n")
    assert checklist() == (True, {k: (True, None) for k in ("api_url", "shipping.default_method", "tested", "active")})
    again = ok(ecom_cli("integration", "test", "shop")).stdout
    assert "activate" not in again


def test_test_asks_before_activating_at_a_terminal(shop, ecom_cli, monkeypatch):
    from ecom.cli import integrations as cli_integrations

    monkeypatch.setattr(cli_integrations, "_interactive", lambda: True)
    declined = ok(ecom_cli("integration", "test", "shop", input="n\n")).stdout
    assert "Nothing else is missing: activate 'shop' now? [y/N]: n\n" in declined
    assert json.loads(ok(ecom_cli("integration", "show", "shop", "--json")).stdout)["active"] is False
    accepted = ok(ecom_cli("integration", "test", "shop", input="y\n")).stdout
    assert accepted.endswith("Integration 'shop' is active: it syncs by hand and on its schedule.\n")
    assert json.loads(ok(ecom_cli("integration", "show", "shop", "--json")).stdout)["active"] is True


def test_the_retired_driver_locations_map_is_read_into_location_map_with_a_note(office, ecom_cli, tmp_path):
    import tomli_w

    old = _plain(SETTINGS)
    old["general"]["location_map"] = {"Main": "WH-1", "East": "gid://shopify/Location/2"}
    old["general"]["driver_options"] = {"locations": {"WH-1": "East Warehouse"}, "page_size": 5}
    path = tmp_path / "old.toml"
    path.write_text(tomli_w.dumps({"name": "shop", "cart": "testshop", **old}))
    applied = ok(ecom_cli("integration", "apply", str(path)))
    assert "Note: general.driver_options.locations is retired: it was read into general.location_map" in applied.stderr
    general = tomllib.loads(ok(ecom_cli("integration", "export", "shop")).stdout)["general"]
    assert general["location_map"] == {"Main": "East Warehouse", "East": "gid://shopify/Location/2"}
    assert general["driver_options"] == {"page_size": 5}

    with office.session() as session:  # an integration stored before: read the same way
        item = integrations.get(session, "shop")
        item.settings = {**item.settings, "general": {**item.settings["general"], "location_map": {"Main": "WH-2"},
                                                      "driver_options": {"locations": {"WH-2": "Back room"}}}}  # fmt: skip
    with office.session() as session:
        loaded = integrations.load_settings(session, integrations.get(session, "shop")).general
        assert (loaded.location_map, loaded.driver_options) == ({"Main": "Back room"}, {})
