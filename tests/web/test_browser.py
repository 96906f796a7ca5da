"""The web admin in a real browser (headless Chromium through Selenium), one session for the flow:
log in, create an integration in the editor (a problem shown, corrected), Test Connection against
the Test Cart fake, Sync now, the job's errors page from the URL the email carries, Retry.

``ECOM_SCREENSHOTS=1`` also writes a screenshot of each editor tab and of the job pages into
docs/screenshots/.
"""

from __future__ import annotations

import shutil

import pytest
import tomli_w

from ecom import integration_file
from ecom.jobs.report import job_report
from ecom.sample import sample_settings
from ecom.web.integrations import GRIDS
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


def test_admin_flow_in_a_browser(admin, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(browser, WAIT)
    shots = screenshots_dir()

    def shot(name: str) -> None:
        if shots is not None:
            browser.save_screenshot(str(shots / f"{name}.png"))

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
    settings = integration_file._plain(sample_settings().model_dump(mode="python", by_alias=True, exclude_none=True))
    for section, data in settings.items():  # the sample store's settings: the grids row by row, the rest in each tab's box
        grid = GRIDS.get(section)
        rows = data.pop(grid.key, None) if grid else None
        box = browser.find_element(By.ID, f"f-section-{section}")
        browser.execute_script("arguments[0].value = arguments[1];", box, tomli_w.dumps({section: data}))
        if grid and rows:
            browser.execute_script("arguments[0].click();", browser.find_element(By.ID, f"tab-{grid.section}"))
            if grid.table:
                rows = [dict(zip((c.key for c in grid.columns), pair)) for pair in rows.items()]
            for index, row in enumerate(rows):
                if index:
                    find(f"#add-{section}").click()
                for column in grid.columns:
                    cell = browser.find_element(By.NAME, f"grid.{section}.{index}.{column.key}")
                    if cell.tag_name == "select":
                        Select(cell).select_by_visible_text(row.get(column.key) or ("(none)" if column.optional else "(choose)"))
                    elif row.get(column.key):
                        cell.send_keys(row[column.key])
    shot("editor-grid-filled")
    browser.execute_script("arguments[0].click();", browser.find_element(By.ID, "tab-general"))
    find("#save").click()
    problem = find('.field-problem[data-field="api_url"]')
    assert "api_url" in problem.text
    assert find("#f-password").get_attribute("value") == ""  # write-only: not sent back
    with admin.session() as session:
        from ecom import integrations

        assert integrations.find(session, "web shop") is None
    shot("editor-problem")

    # corrected: saved, and the password field stays empty
    field = find("#f-api_url")
    field.clear()
    field.send_keys(admin.cart_url)
    find("#f-password").send_keys(conn.password.get_secret_value())
    find("#save").click()
    assert "Created integration 'web shop'" in find("#message").text
    assert conn.password.get_secret_value() not in browser.page_source
    with admin.session() as session:
        saved = integrations.load_settings(session, integrations.get(session, "web shop"))
    for section in GRIDS:  # every grid row typed came through, in order
        assert getattr(saved, section) == getattr(sample_settings(), section)

    # each tab, and Test Connection against the fake on its loopback port
    find("#test-connection").click()
    assert "Connection OK" in find("#test-result").text
    for tab in ("general", "preferences", "sales_tax", "shipping", "payments", "discounts", "schedule", "preview"):
        find(f"#tab-{tab}").click()
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
