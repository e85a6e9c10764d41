"""The browser suite: headless Chromium from the distribution, driven by Playwright.

One Chromium is launched for the whole run (package scope: it is closed, and
the event loop Playwright runs in this thread stops, before the other tests
run); every test gets fresh browser
contexts (no cookies, no storage) against pytest-django's ``live_server``,
which this suite puts behind Byline's page cache, as in production
(``byline.wsgi``): anonymous article pages are stored and replayed, and must be
invalidated when an editor approves a comment.

Skips with the reason when Chromium, Playwright or axe-core is missing, so
``make test`` passes on a laptop without them. Screenshots go to ``artifacts/``;
with ``BYLINE_SCREENSHOTS=docs`` the ones the documentation shows are also
written to ``docs/screenshots/`` (``save_screenshot``).

Settings relaxed for the suite (``browser_settings``): the comment rate limit
(2 a minute by default) is raised so one test can post a comment and a reply,
and the time-to-submit minimum is 0 s for forms that a script fills in
milliseconds; tests that exercise the minimum set it back themselves.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("BYLINE_TEST_CHROMIUM") or shutil.which("chromium") or ""
# Flags for a machine without network or display; no browser download ever.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# WCAG 2.0, 2.1 and 2.2, levels A and AA (axe-core's tags).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 900}

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None
    expect = None
else:
    expect.set_options(timeout=TIMEOUT_MS)


def skip_reason() -> str | None:
    if sync_playwright is None:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    if not CHROMIUM:
        return "Chromium is not installed (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = skip_reason()
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.django_db(transaction=True))
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="package")
def browser():
    """The one Chromium of the run, closed when this package's last test is done."""
    # Playwright's sync API keeps an event loop running in this thread, so Django's
    # async-safety check would refuse the ORM calls the tests make between browser
    # steps (safe here: one thread, one connection). Allowed only while the browser
    # is open: servers that later tests start must not inherit it (async.E001).
    allowed = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield instance
            instance.close()
    finally:
        if allowed is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = allowed


class InFlight:
    """A WSGI wrapper that knows when no request is being answered.

    A closed page's last requests (a view beacon sent with ``keepalive``, a
    refresh of the figures) can still be running in the live server when the
    test ends; the database flush that follows would deadlock with their
    writes, so teardown waits for them (``wait_until_idle``).
    """

    def __init__(self, app) -> None:
        self.app = app
        self.running = 0
        self.changed = threading.Condition()

    def __call__(self, environ, start_response):
        with self.changed:
            self.running += 1
        try:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                if hasattr(result, "close"):
                    result.close()  # Django's request_finished: connections are released
        finally:
            with self.changed:
                self.running -= 1
                self.changed.notify_all()

    def wait_until_idle(self, timeout: float = 10) -> None:
        with self.changed:
            self.changed.wait_for(lambda: self.running == 0, timeout)


@pytest.fixture(scope="session")
def _page_cached_server(live_server):
    """The live server with Byline's page cache in front of Django, as ``byline.wsgi``."""
    from byline.pagecache.page_layer import PageCacheApp

    httpd = live_server.thread.httpd
    httpd.set_app(InFlight(PageCacheApp(httpd.get_app())))
    return live_server


@pytest.fixture
def browser_settings(settings, tmp_path):
    """Settings for a browser test (see the module docstring), and a fresh page store."""
    from byline.pagecache import rules, store

    settings.DATA_DIR = tmp_path  # the page cache's generation file
    settings.BYLINE_COMMENT_RATE_LIMIT = 50
    settings.BYLINE_COMMENT_MIN_SECONDS = 0
    # The journeys follow a first comment through the moderation queue.
    settings.BYLINE_SPAM_FIRST_COMMENT = "hold"
    store.reset_page_store()
    rules.rules.cache_clear()
    yield settings
    store.reset_page_store()
    rules.rules.cache_clear()


@pytest.fixture
def site(_page_cached_server, browser_settings):
    """The address of the live Byline, page cache included."""
    yield _page_cached_server.url
    _page_cached_server.thread.httpd.get_app().wait_until_idle()
    # ORM calls made between Playwright calls may have opened connections of
    # their own; PostgreSQL cannot flush or drop the test database past them.
    from django.db import connections

    connections.close_all()


@pytest.fixture
def new_page(browser, site):
    """Open a page in a fresh browser context: ``new_page(javascript=False, width=390)``."""
    contexts = []

    def open_page(
        *,
        javascript: bool = True,
        width: int = 1280,
        height: int = 900,
        color_scheme: str = "light",
    ):
        context = browser.new_context(
            base_url=site,
            java_script_enabled=javascript,
            viewport={"width": width, "height": height},
            color_scheme=color_scheme,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A reader's page, JavaScript on, desktop width."""
    return new_page()


@pytest.fixture
def page_without_js(new_page):
    """A reader's page with JavaScript disabled."""
    return new_page(javascript=False)


@pytest.fixture
def editor_page(new_page, editor):
    """An editor logged in through the admin's own login form, in a browser context of
    their own (the reader's contexts stay anonymous)."""
    page = new_page()
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(editor.username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(
        page.get_by_role("link", name="Log out").or_(page.locator("#logout-form"))
    ).to_be_visible()
    return page


@pytest.fixture
def axe():
    """``run_axe``, or a skip at once (before any page is opened) without axe-core."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `npm ci` at the project root")
    return run_axe


def run_axe(page) -> list[dict]:
    """Run axe-core's WCAG 2.x A/AA rules; return the serious and critical violations."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `npm ci` at the project root")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def run_axe_without_js(page, new_page) -> list[dict]:
    """``run_axe`` for a page shown with JavaScript disabled (axe itself needs it): the
    same document, served again at the same address to a page that runs no script of
    the site's."""
    html, url = page.content(), page.url

    def serve(route):
        if route.request.url == url:
            route.fulfill(body=html, content_type="text/html; charset=utf-8")
        elif route.request.resource_type == "script":
            route.abort()
        else:
            route.continue_()

    copy = new_page()
    copy.route("**/*", serve)
    copy.goto(url)
    return run_axe(copy)


def save_screenshot(page, name: str, *, docs: bool = False) -> Path:
    """The whole page as ``artifacts/NAME.png`` (lazy images loaded first); with
    ``docs`` and ``BYLINE_SCREENSHOTS=docs`` also as ``docs/screenshots/NAME.png``."""
    page.evaluate(
        """async () => {
            const lazy = document.querySelectorAll('img[loading="lazy"]');
            for (const img of lazy) img.loading = 'eager';
            await Promise.all([...document.images].map((img) => img.complete ? null :
                new Promise((done) => { img.onload = img.onerror = done; })));
        }"""
    )
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if docs and os.environ.get("BYLINE_SCREENSHOTS") == "docs":
        from PIL import Image

        DOCS_SCREENSHOTS.mkdir(exist_ok=True)
        # 256 colours: a third of the size in the repository, no visible difference.
        with Image.open(path) as image:
            small = image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
            small.save(DOCS_SCREENSHOTS / path.name, optimize=True)
    return path


def focus_ring(page) -> dict:
    """The focused element's outline and box-shadow, as computed."""
    return page.evaluate(
        """() => {
            const focused = document.activeElement;
            const style = getComputedStyle(focused);
            return {outline: style.outlineStyle, width: parseFloat(style.outlineWidth) || 0,
                    shadow: style.boxShadow, focusVisible: focused.matches(':focus-visible')};
        }"""
    )


def has_visible_focus(page) -> bool:
    ring = focus_ring(page)
    outlined = ring["outline"] not in {"none", ""} and ring["width"] > 0
    return ring["focusVisible"] and (outlined or ring["shadow"] not in {"none", ""})


def post_a_refused_comment(page, url: str) -> None:
    """Open ``url`` and post a comment the server refuses (its website is an ftp: address)
    after filling every field, as a reader types them."""
    page.goto(url)
    page.get_by_role("textbox", name="Comment", exact=True).fill("Words worth keeping.")
    page.get_by_role("textbox", name="Name", exact=True).fill("Ada")
    page.get_by_role("textbox", name="E-mail", exact=True).fill("ada@example.org")
    page.get_by_role("textbox", name="Website", exact=True).fill("ftp://example.org/")
    page.get_by_role("button", name="Post Comment").click()
