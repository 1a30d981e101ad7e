"""The API docs (/docs: Swagger UI, /redoc: ReDoc) render with every request beyond this machine blocked.

Offline means offline: the pages' scripts and styles come from the server itself (the
fastapi-offline package ships them), so headless Chromium, refused any other host, still shows
the list of operations. Same browser set-up as test_web_e2e.py (`scripts/install-browser.sh`).
"""
from __future__ import annotations

from typing import Iterator
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

RENDER_TIMEOUT_MS = 60_000
OPERATIONS = ["/api/search", "/api/ask", "/api/documents", "/api/upload"]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, chromium, serve_in_thread) -> Iterator[str]:
    """The product's own server (`ui.server.build_app`: API + UI) on a free loopback port."""
    from khabar.settings import Settings
    from ui.server import build_app

    app = build_app(Settings(data_dir=str(tmp_path_factory.mktemp("docs-offline")), api_key=None))
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
def offline_page(base_url: str, chromium):
    """A page whose requests to any host but this server are aborted; yields (page, blocked requests
    as (resource type, URL))."""
    from playwright.sync_api import sync_playwright

    blocked: list[tuple[str, str]] = []
    errors: list[str] = []
    ours = urlsplit(base_url).netloc

    def only_ours(route) -> None:
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
        else:
            blocked.append((route.request.resource_type, route.request.url))
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(**chromium)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.route("**/*", only_ours)
        page = context.new_page()
        page.set_default_timeout(RENDER_TIMEOUT_MS)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page, blocked
        browser.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def test_swagger_ui_renders_the_operations_offline(offline_page, base_url: str):
    page, blocked = offline_page
    page.goto(base_url + "/docs", wait_until="load")
    page.wait_for_selector(".swagger-ui .opblock", state="visible")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert all(op in {p.replace("\u200b", "") for p in paths} for op in OPERATIONS), paths
    assert blocked == [], f"/docs tried to reach beyond this server: {blocked}"


def _needed(blocked: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Blocked requests a page needs to work (code, styles, data, fonts), as opposed to decoration."""
    return [(kind, url) for kind, url in blocked if kind not in ("image", "media")]


def test_redoc_renders_the_operations_offline(offline_page, base_url: str):
    page, blocked = offline_page
    page.goto(base_url + "/redoc", wait_until="load")
    page.wait_for_selector(".api-content h2", state="visible")
    text = page.locator(".api-content").inner_text()
    assert all(op in text for op in OPERATIONS), text[:2000]
    # ReDoc's "API docs by Redocly" footer links its logo from redocly's CDN: an image, nothing else
    assert _needed(blocked) == [], f"/redoc needed files from beyond this server: {blocked}"
