"""The web admin in a real browser (headless Chromium through Selenium), one session for the flow:
log in, create an integration in the editor (a problem shown, corrected), Test Connection against
the Test Cart fake, Sync now, the job's errors page from the URL the email carries, Retry.

``ECOM_SCREENSHOTS=1`` also writes a screenshot of each editor tab and of the job pages into
docs/screenshots/.
"""

from __future__ import annotations

import shutil

import pytest

from ecom import integration_file
from ecom.jobs.report import job_report
from ecom.sample import sample_settings
from ecom.web.editor import FIELDS, GRIDS, TABS, form_values
from tests.web.conftest import PASSWORD, USER, screenshots_dir

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER), reason="no browser installed: apt-get install chromium chromium-driver (.ci/run does)"
)
WAIT = 60  # seconds a page may take on a busy machine; a wait ends as soon as its condition holds


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--disable-gpu"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def show_tab(browser, tab: str) -> None:
    from selenium.webdriver.common.by import By

    browser.find_element(By.ID, f"tab-{tab}").click()


def fill_settings(browser, find, settings) -> None:
    """Type ``settings`` into the editor as a person would: tick, choose, type, add grid rows."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    fields, rows = form_values(integration_file._plain(settings.model_dump(mode="python", by_alias=True, exclude_none=True)))
    for tab, _title, sections in TABS:
        if not browser.find_element(By.ID, f"tab-{tab}").is_displayed():
            continue  # the Custom Cart items tab, for another cart
        show_tab(browser, tab)
        for section in sections:
            for field in FIELDS[section]:
                value, element = fields[field.path], browser.find_element(By.ID, field.id)
                if field.widget == "checkbox":
                    if value != element.is_selected():
                        element.click()
                elif field.widget == "multi" and element.tag_name == "fieldset":
                    for choice in value:
                        element.find_element(By.CSS_SELECTOR, f'input[value="{choice}"]').click()
                elif element.tag_name == "select":
                    if value:
                        Select(element).select_by_visible_text(value)
                elif value and value != element.get_attribute("value"):
                    element.clear()
                    element.send_keys(value)
        for grid in GRIDS.values():
            if grid.tab != tab:
                continue
            for index, row in enumerate(rows[grid.id]):
                if index:
                    find(f"#add-{grid.id}").click()
                for column in grid.columns:
                    cell = browser.find_element(By.NAME, f"grid.{grid.id}.{index}.{column.key}")
                    if cell.tag_name == "select":
                        Select(cell).select_by_visible_text(row[column.key] or ("(none)" if column.optional else "(choose)"))
                    elif row[column.key]:
                        cell.send_keys(row[column.key])


def test_admin_flow_in_a_browser(admin, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(browser, WAIT)
    shots = screenshots_dir()

    def shot(name: str) -> None:
        if shots is not None:  # the whole page: the window made as tall as it
            height = browser.execute_script("return document.documentElement.scrollHeight")
            browser.set_window_size(1280, min(max(height, 600), 3000) + 140)  # the window's own bars
            browser.save_screenshot(str(shots / f"{name}.png"))
            browser.set_window_size(1280, 1000)

    def find(css: str):
        return wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))

    # log in (the page asked for comes back after it)
    browser.get(admin.url + "/integrations")
    assert "/login" in browser.current_url
    shot("login")
    find("#username").send_keys(USER)
    find("#password").send_keys(PASSWORD)
    find("#login").click()
    find("#new-integration").click()

    # a new integration: a wrong API URL first, shown beside its field, nothing saved
    conn = admin.fake.connection(admin.cart_url)
    hostile_order = admin.fake.seed(orders=3, seed=5) or sorted(admin.fake.orders.values(), key=lambda o: o["updated_at"])[0]
    hostile_order["items"][0]["sku"] = "<b>BAD</b><script>document.title='pwned'</script>"
    find("#f-name").send_keys("web shop")
    Select(find("#f-cart")).select_by_value("testcart")
    find("#f-website_name").send_keys("Web Shop")
    find("#f-api_url").send_keys("ftp://" + admin.cart_url.split("://")[1])
    find("#f-password").send_keys(conn.password.get_secret_value())
    find("#f-active").click()
    expected = sample_settings()
    fill_settings(browser, find, expected)
    # a second row for the same cart ship method: refused beside that row
    show_tab(browser, "shipping")
    duplicate = len(expected.shipping.methods)
    find("#add-ship_methods").click()
    browser.find_element(By.NAME, f"grid.ship_methods.{duplicate}.cart_method").send_keys(expected.shipping.methods[0].cart_method)
    Select(browser.find_element(By.NAME, f"grid.ship_methods.{duplicate}.method")).select_by_visible_text("UPS 2nd Day")
    shot("editor-grid-filled")
    show_tab(browser, "general")
    find("#save").click()
    problem = find('.field-problem[data-field="api_url"]')
    assert "api_url" in problem.text and problem.is_displayed()
    assert "(1)" in find("#tab-shipping").text
    show_tab(browser, "shipping")
    assert "maps the same cart text as shipping.methods[0]" in find(f"#row-problems-ship_methods-{duplicate}").text
    assert find("#f-password").get_attribute("value") == ""  # write-only: not sent back
    assert find("#f-preferences-hold_if_total_over").get_attribute("value") == "500"  # what was typed stays
    with admin.session() as session:
        from ecom import integrations

        assert integrations.find(session, "web shop") is None
    shot("editor-problem-row")
    show_tab(browser, "general")
    shot("editor-problem")

    # corrected: the duplicate row deleted, the URL fixed; saved, and the password field stays empty
    field = find("#f-api_url")
    field.clear()
    field.send_keys(admin.cart_url)
    find("#f-password").send_keys(conn.password.get_secret_value())
    show_tab(browser, "shipping")
    browser.find_element(By.NAME, f"grid.ship_methods.{duplicate}.delete").click()
    find("#save").click()
    assert "Created integration 'web shop'" in find("#message").text
    assert conn.password.get_secret_value() not in browser.page_source
    with admin.session() as session:
        saved = integrations.load_settings(session, integrations.get(session, "web shop"))
    assert saved == expected  # every field and grid row typed came through, in order

    # each tab, and Test Connection against the fake on its loopback port
    find("#test-connection").click()
    assert "Connection OK" in find("#test-result").text
    for tab in ("general", "preferences", "sales_tax", "shipping", "payments", "discounts", "schedule", "preview"):
        find(f"#tab-{tab}").click()
        browser.execute_script("window.scrollTo(0, 0)")
        assert find(f"#panel-{tab}").is_displayed()
        shot(f"editor-{tab}")

    # Sync now: the job page follows it until it ends
    find("#tab-general").click()
    find("#sync-now").click()
    status = wait.until(lambda b: (t := b.find_element(By.ID, "job-status").text) not in ("queued", "running") and t)
    assert status == "succeeded with errors"
    job_id = int(browser.current_url.rstrip("/").rsplit("/", 1)[1])
    shot("job")

    # the errors page, from the URL the email carries; the hostile SKU is shown as text
    with admin.session() as session:
        from ecom import models as m

        url = job_report(session, session.get(m.Job, job_id))["errors_url"]
    browser.get(url)
    events = find("#events")
    assert "<script>document.title='pwned'</script>" in events.text
    assert browser.title != "pwned"
    shot("errors")

    # Retry: a new job runs the failed order again
    find("#retry").click()
    wait.until(lambda b: b.current_url.rstrip("/").endswith(f"/jobs/{job_id + 1}"))
    wait.until(lambda b: b.find_element(By.ID, "job-status").text not in ("queued", "running"))
    with admin.session() as session:
        retry = session.get(m.Job, job_id + 1)
        assert retry.options.get("retry_of") == job_id
    browser.get(admin.url + "/jobs")
    find("#jobs")
    shot("jobs")


def test_a_custom_cart_integration_gets_its_items_tab_in_a_browser(admin, browser):
    """The Custom Cart items tab (SPEC §2) appears when the cart chosen is one whose driver takes an
    item list, and the rows typed there are the integration's cart items once saved."""
    custom_cart = pytest.importorskip("ecom_custom_cart.driver", reason="the Custom Cart driver is not installed")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from ecom import integrations, plugins

    manager = plugins.get_manager()
    manager.pm.register(custom_cart, name="custom_cart")
    wait = WebDriverWait(browser, WAIT)

    def find(css: str):
        return wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))

    try:
        browser.get(admin.url + "/integrations/new")
        if "/login" in browser.current_url:
            find("#username").send_keys(USER)
            find("#password").send_keys(PASSWORD)
            find("#login").click()
        find("#f-name").send_keys("legacy shop")
        assert not find("#tab-items").is_displayed()  # no cart chosen yet
        Select(find("#f-cart")).select_by_value("custom_cart")
        wait.until(lambda b: b.find_element(By.ID, "tab-items").is_displayed())
        find("#f-website_name").send_keys("Legacy Shop")
        find("#f-api_url").send_keys("https://legacy.example.com/ecom")
        find("#f-password").send_keys("not-a-real-token")
        show_tab(browser, "items")
        skus = sorted(admin.fake.skus())[:2]
        for index, sku in enumerate(skus):
            if index:
                find("#add-cart_items").click()
            Select(browser.find_element(By.NAME, f"grid.cart_items.{index}.sku")).select_by_visible_text(sku)
            browser.find_element(By.NAME, f"grid.cart_items.{index}.cart_id").send_keys(f"L-{index + 1}")
        if (shots := screenshots_dir()) is not None:
            browser.save_screenshot(str(shots / "editor-items.png"))
        find("#save").click()
        assert "Created integration 'legacy shop'" in find("#message").text
        with admin.session() as session:
            saved = integrations.load_settings(session, integrations.get(session, "legacy shop"))
        assert [(i.sku, i.cart_id) for i in saved.general.cart_items] == [(skus[0], "L-1"), (skus[1], "L-2")]
    finally:
        manager.pm.unregister(custom_cart)
