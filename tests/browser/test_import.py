"""Issue 16 item 4 in Chromium: an administrator imports a price list's tiers from a CSV —
the user menu's Import link, upload, the suggested columns, the preview (create / error with
the reason), confirm, the result with the failed rows to download — in English at 1280 px and
in Simplified Chinese at 375 px (no page wider than the phone). Screenshots go to
``test-artifacts/screenshots/import-*.png``."""

import re

import pytest

from ordercrm.catalog import services as catalog
from ordercrm.catalog.models import PriceListItem
from ordercrm.core.spreadsheets import write_csv
from ordercrm.imports.models import ImportJob, JobStatus
from tests.browser.conftest import WALK
from tests.browser.test_order_flow import login, shot

pytestmark = WALK

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
WORDS = {
    "en": {
        "nav": "Import",
        "create": "Create",
        "error": "Error",
        "missing": "SKU: Not found: NOPE",
    },
    "zh-hans": {
        "nav": "导入",
        "create": "新建",
        "error": "错误",
        "missing": "产品编码: 未找到：NOPE",
    },
}


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize(("language", "size"), [("en", "desktop"), ("zh-hans", "phone")])
def test_a_price_list_import_from_upload_to_result(
    browser, live_server, company, admin, products, tmp_path, language, size
):
    admin.language = language
    admin.save(update_fields=["language"])
    words = WORDS[language]
    catalog.price_list_create(company=company, actor=admin, name="Dealers", currency="CNY")
    path = tmp_path / "dealers.csv"
    path.write_bytes(
        write_csv(
            ["价目表", "产品编码", "起订量", "单价"],
            [
                ["Dealers", "P0", "0", "9.50"],
                ["Dealers", "P1", "10", "8"],
                ["Dealers", "NOPE", "", "1"],
            ],
        )
    )
    context = browser.new_context(viewport=SIZES[size], is_mobile=size == "phone")
    page = login(context, live_server, admin.username)
    width = SIZES[size]["width"]

    # 1. from the user's menu (the administrator's tools) to the upload form
    page.goto(f"{live_server.url}/")
    page.click("details.menu > summary")
    page.click(f".menu-items a[href='/imports/']:text-is('{words['nav']}')")
    page.click("#new-import")
    page.select_option("#id_kind", "price_list_items")
    page.set_input_files("#id_file", str(path))
    shot(page, f"import-upload-{language}-{size}")
    _fits(page, width)
    page.click("#upload")

    # 2. the suggested columns, then the check of every row
    page.wait_for_url(re.compile(r"/imports/[0-9a-f-]{36}/$"))
    assert page.input_value("#map-0") == "price_list"
    assert page.input_value("#map-3") == "unit_price"
    shot(page, f"import-columns-{language}-{size}")
    _fits(page, width)
    page.click("#check-rows")

    # 3. the preview: nothing written yet
    page.locator("#confirm").wait_for()
    table = page.inner_text("#import-rows")
    assert words["create"] in table
    assert words["error"] in table
    assert words["missing"] in table
    assert not PriceListItem.objects.for_company(company).exists()
    shot(page, f"import-preview-{language}-{size}")
    _fits(page, width)

    # 4. confirm: the tiers are written through price_list_item_set, the failed row offered
    page.click("#confirm")
    page.locator("#job-result").wait_for()
    job = ImportJob.objects.for_company(company).get()
    assert job.status == JobStatus.APPLIED
    assert job.counts == {"create": 2, "error": 1}
    assert PriceListItem.objects.for_company(company).count() == 2
    with page.expect_download() as download:
        page.click("#failed-downloads a:text-is('CSV')")
    assert download.value.suggested_filename == "dealers-failed.csv"
    shot(page, f"import-result-{language}-{size}")
    _fits(page, width)

    # 5. the job list says who imported what
    page.goto(f"{live_server.url}/imports/")
    assert "dealers.csv" in page.inner_text("#imports")
    _fits(page, width)
    context.close()
