"""The Integration Editor's Save is ``ecom integration apply``: the same problems, row-by-row grids."""

from __future__ import annotations

import html
import re

import tomli_w

from ecom import integration_file, integrations
from ecom.errors import ConfigError
from tests.web.test_security import csrf, logged_in, sections


def test_save_reports_the_same_problems_as_integration_apply_and_saves_nothing(admin, ecom_cli, tmp_path):
    client = logged_in(admin)
    try:
        page = client.get("/integrations/new").text
        form = {"csrf": csrf(page), "name": "twin", "cart": "testcart", "website_name": "Twin", "api_url": "https://",
                **sections(page), "grid.ship_methods.0.cart_method": "Ground", "grid.ship_methods.0.method": "No Such Method"}  # fmt: skip
        answer = client.post("/integrations/new", data=form)
    finally:
        client.close()
    assert answer.status_code == 422
    shown = [html.unescape(p) for p in re.findall(r'class="problem[^"]*"[^>]*>([^<]+)<', answer.text)]
    document = {"name": "twin", "cart": "testcart", "active": False,
                "connection": {"website_name": "Twin", "api_url": "https://", "username": ""},
                "shipping": {"methods": [{"cart_method": "Ground", "method": "No Such Method"}]}}  # fmt: skip
    with admin.session() as session:
        try:
            integration_file.apply_text(session, tomli_w.dumps(document))
        except integrations.SettingsError as exc:
            expected = exc.problems
        assert integrations.find(session, "twin") is None
    assert expected and set(expected) <= set(shown)
    assert any("shipping.methods[0].method" in p for p in shown)


def test_a_grid_row_ticked_for_deletion_is_removed_and_an_empty_row_ignored(admin):
    with admin.session() as session:
        item = integrations.create(session, "grids", "testcart", website_name="G", api_url=admin.cart_url, password="tok")
        settings = integrations.load_settings(session, item)
        session.commit()
    client = logged_in(admin)
    try:
        page = client.get("/integrations/grids").text
        form = {"csrf": csrf(page), "website_name": "G", "api_url": admin.cart_url, **sections(page),
                "grid.discount_codes.0.cart_code": "SPRING", "grid.discount_codes.0.discount": "Web Discount",
                "grid.discount_codes.1.cart_code": "GONE", "grid.discount_codes.1.discount": "Web Discount", "grid.discount_codes.1.delete": "on",
                "grid.discount_codes.2.cart_code": "", "grid.discount_codes.2.discount": ""}  # fmt: skip
        answer = client.post("/integrations/grids", data=form)
        assert answer.status_code == 200, answer.text
    finally:
        client.close()
    with admin.session() as session:
        codes = integrations.load_settings(session, integrations.get(session, "grids")).discounts.codes
    assert [(c.cart_code, c.discount) for c in codes] == [("SPRING", "Web Discount")]
    assert settings.discounts.codes == []


def test_serve_refuses_a_network_address_without_tls(ecom_cli):
    answer = ecom_cli("serve", "--host", "0.0.0.0")
    assert answer.exit_code == 3 and "Refusing to listen on 0.0.0.0" in answer.stderr and "--behind-tls-proxy" in answer.stderr


def test_users_add_list_password_remove(ecom_db, ecom_cli):
    assert ecom_cli("users", "add", "ana", "--password-stdin", input="short\n").exit_code == 3
    assert ecom_cli("users", "add", "ana", "--password-stdin", input="a long password\n").exit_code == 0
    assert "already one" in ecom_cli("users", "add", "ana", "--password-stdin", input="a long password\n").stderr
    listed = ecom_cli("users", "list")
    assert "ana" in listed.stdout and "a long password" not in listed.stdout
    assert ecom_cli("users", "password", "ana", "--password-stdin", input="another long one\n").exit_code == 0
    from ecom import users

    with ecom_db.session() as session:
        assert users.authenticate(session, "ana", "a long password") is None
        user = users.authenticate(session, "ana", "another long one")
        assert user is not None and "another long one" not in user.password_hash
    assert ecom_cli("users", "remove", "ana").exit_code == 0
    assert "No users yet" in ecom_cli("users", "list").stdout
    try:
        with ecom_db.session() as session:
            users.get(session, "ana")
    except ConfigError as exc:
        assert "There is no user 'ana'" in str(exc)


def test_preview_shows_what_a_pasted_order_would_become_and_says_what_is_wrong_with_nonsense(admin):
    from ecom.preview import preview_lines
    from ecom.mapping import DbLookups, map_order
    from ecom.sample import sample_settings
    from ecom.testing.testcart import order_from_cart

    admin.fake.seed(orders=1, seed=3)
    order = order_from_cart(next(iter(admin.fake.orders.values())))
    with admin.session() as session:
        item = integrations.create(session, "preview", "testcart", website_name="P", api_url=admin.cart_url, password="tok", settings=sample_settings())
        session.commit()
        expected = preview_lines(map_order(order, integrations.load_settings(session, item), DbLookups(session, item.id)))
        session.rollback()
    client = logged_in(admin)
    try:
        token = csrf(client.get("/integrations/preview").text)
        shown = client.post("/integrations/preview/preview", data={"csrf": token, "order": order.model_dump_json()})
        nonsense = client.post("/integrations/preview/preview", data={"csrf": token, "order": '{"number": 5'})
    finally:
        client.close()
    result = html.unescape(re.search(r'<pre id="preview-result">(.*?)</pre>', shown.text, re.S)[1])
    assert result.splitlines() == expected and expected
    assert "The pasted order is not a canonical order" in html.unescape(nonsense.text)


def _rich_settings(admin):
    from ecom.sample import sample_settings

    settings = sample_settings(recipients=["ops@example.com", "dana@example.com"])
    data = settings.model_dump(mode="python", by_alias=True)
    sku = sorted(admin.fake.skus())[0]
    data["general"].update(locations=["Main"], location_map={"Main": "Warehouse 1"}, cart_items=[{"sku": sku, "cart_id": "c-1"}],
                           driver_options={"status_map": {"shipped": "closed"}, "flag": "true", "limit": 12, "items": {"A-1": sku}})  # fmt: skip
    data["preferences"].update(statuses=["processing", "approved"], sales_channels=["web", "pos"], initial_status="pending")
    data["schedule"].update(enabled=True, frequency="weekly", interval=2, time="06:30", weekday="friday")
    return type(settings).model_validate(data)


def test_the_form_shows_every_setting_and_saving_it_untouched_changes_nothing(admin):
    with admin.session() as session:
        item = integrations.create(session, "roundtrip", "testcart", website_name="R", api_url=admin.cart_url, password="tok",
                                   settings=_rich_settings(admin))  # fmt: skip
        session.commit()
        before = integrations.load_settings(session, item)
    client = logged_in(admin)
    try:
        page = client.get("/integrations/roundtrip").text
        posted = sections(page)
        assert posted["f.schedule.time"] == ["06:30"] and posted["f.schedule.weekday"] == ["friday"]
        assert posted["f.preferences.statuses"] == ["processing", "approved"]  # ticks
        assert posted["f.notify.recipients"] == ["ops@example.com\ndana@example.com"]  # one a line
        assert posted["f.shipping.default_method"] == ["UPS Ground"]  # chosen from the back office's menu
        assert '<option selected>UPS Ground</option>' in page
        form = {"csrf": csrf(page), "website_name": "R", "api_url": admin.cart_url, **posted}
        answer = client.post("/integrations/roundtrip", data=form)
    finally:
        client.close()
    assert "No change to integration &#39;roundtrip&#39;" in answer.text, answer.text[:3000]
    with admin.session() as session:
        assert integrations.load_settings(session, integrations.get(session, "roundtrip")) == before


def test_a_bad_value_is_said_beside_its_field_and_a_bad_row_beside_its_row(admin):
    with admin.session() as session:
        integrations.create(session, "beside", "testcart", website_name="B", api_url=admin.cart_url, password="tok")
        session.commit()
    client = logged_in(admin)
    try:
        page = client.get("/integrations/beside").text
        form = {**sections(page), "csrf": csrf(page), "website_name": "B", "api_url": admin.cart_url,
                "f.schedule.interval": "often", "f.preferences.hold_if_total_over": "-5",
                "grid.ship_methods.0.cart_method": "Ground", "grid.ship_methods.0.method": "UPS Ground",
                "grid.ship_methods.1.cart_method": "Air", "grid.ship_methods.1.method": "No Such Method",
                "grid.driver_options.0.option": "mapping_file", "grid.driver_options.0.value": "/etc/passwd"}  # fmt: skip
        answer = client.post("/integrations/beside", data=form)
    finally:
        client.close()
    assert answer.status_code == 422
    text = html.unescape(answer.text)

    def beside(element_id: str) -> str:
        found = re.search(rf'id="{element_id}".*?(?=<div class="field|<tr|</fieldset>)', text, re.S)
        assert found, element_id
        return found[0]

    assert "schedule.interval: Input should be a valid integer" in beside("row-f-schedule-interval")
    assert "preferences.hold_if_total_over: Input should be greater than or equal to 0" in beside("row-f-preferences-hold_if_total_over")
    assert "shipping.methods[1].method: no ship method named 'No Such Method'" in beside("row-problems-ship_methods-1")
    assert "row-problems-ship_methods-0" not in text
    assert "is read only by `ecom integration apply`" in beside("row-problems-driver_options-0")
    assert 'id="tab-schedule" class=" has-problems">Schedule (1)' in text
    with admin.session() as session:
        assert integrations.load_settings(session, integrations.get(session, "beside")).schedule.interval == 1  # nothing saved


def test_a_driver_option_reads_back_as_it_was_shown():
    from ecom.integration_file import option_text, option_value

    for value in ("plain text", "true", "12", "", "line one\nfoo = [1", True, 12, {"shipped": "closed", "a b": {"c": 1}}, ["x", {"y": 2}]):
        assert option_value(option_text(value)) == value
    assert option_value("[" * 5000) == "[" * 5000  # too deep to read as TOML: kept as the text it is


class ItemListCart:
    """A driver that learns the cart's items from the integration's own list (CartInfo.item_list)."""

    @staticmethod
    def describe_cart():  # type: ignore[no-untyped-def]
        from ecom.testing import testcart

        return testcart.INFO.model_copy(update={"kind": "itemlist", "title": "Item List Cart", "item_list": True})


def test_the_items_tab_is_offered_for_a_cart_whose_driver_takes_an_item_list(admin):
    from ecom import hookspecs, plugins

    plugin = ItemListCart()
    plugin.describe_cart = hookspecs.hookimpl(plugin.describe_cart)  # type: ignore[method-assign]
    manager = plugins.get_manager()
    manager.pm.register(plugin, name="itemlist")
    client = logged_in(admin)
    try:
        page = client.get("/integrations/new").text
    finally:
        client.close()
        manager.pm.unregister(plugin)
    flags = dict(re.findall(r'<option value="(\w+)" data-item-list="(yes|no)"', page))
    assert flags == {"itemlist": "yes", "testcart": "no"}


def test_the_cart_status_after_import_is_a_menu_of_the_carts_statuses_and_its_own_mapped_ones(admin):
    from ecom.testing import testcart

    with admin.session() as session:
        integrations.create(session, "statuses", "testcart", website_name="S", api_url=admin.cart_url, password="tok")
        session.commit()
    client = logged_in(admin)
    try:
        page = client.get("/integrations/statuses").text
        form = {"csrf": csrf(page), "website_name": "S", "api_url": admin.cart_url, **sections(page),
                "grid.driver_options.0.option": "status_map", "grid.driver_options.0.value": '{ "on-hold-web" = "Processing" }'}  # fmt: skip
        form.pop("f.preferences.cart_status_after_import", None)
        mapped = client.post("/integrations/statuses", data=form).text
    finally:
        client.close()

    def menu(text: str) -> list[str]:
        found = re.search(r'<select name="f.preferences.cart_status_after_import"[^>]*>(.*?)</select>', text, re.S)
        assert found, "the cart status after import is not a menu"
        return [html.unescape(o) for o in re.findall(r"<option[^>]*>([^<]*)</option>", found[1])]

    assert menu(page) == ["(none)", *testcart.INFO.after_import_statuses]
    assert menu(mapped)[-1] == "on-hold-web"
