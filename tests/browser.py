"""Headless Chromium with the network off, for tests that open a page as a person would.

Uses Debian's ``chromium`` and ``chromium-driver`` (``make browser`` installs them; no
browser is downloaded). Without them the tests skip, except under ``CI=true``, where they
fail. "Network off" twice over: every request goes to a proxy on 127.0.0.1:9 (nothing
listens), host names resolve to nothing, and DevTools network emulation is offline. Each
:meth:`Browser.load` returns what the page asked for (from Chromium's performance log)
and what it printed to the console.

Use it with ``pytest_plugins = ["tests.browser"]`` and a ``browser`` argument.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
OPTIONS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--window-size=1400,1000",
)


@dataclass
class Loaded:
    """One page load: every URL the page requested (itself included), those that failed
    (with Chromium's error text), and the console messages of level SEVERE."""

    requested: list[str]
    failed: list[tuple[str, str]]
    console_errors: list[str]

    @property
    def network(self) -> list[str]:
        """Requests that would have needed the network (anything but file: and data:)."""
        return [u for u in self.requested if not u.startswith(("file:", "data:"))]


class Browser:
    def __init__(self, driver, screenshots: Path):
        self.driver = driver
        self.screenshots = screenshots

    def load(self, page: Path | str) -> Loaded:
        """Open a file (or a URL) and wait until it and everything it asked for settled."""
        url = page if isinstance(page, str) else page.resolve().as_uri()
        self._drain()
        self.driver.get(url)
        self.driver.execute_async_script(  # wait for every subresource to settle
            "const done = arguments[arguments.length - 1];"
            "if (document.readyState === 'complete') done(); "
            "else window.addEventListener('load', () => done());"
        )
        requested, failed, urls = [], [], {}
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if params.get("documentURL", url) != url:
                continue  # a request of another document (Chromium's own new-tab page)
            if message["method"] == "Network.requestWillBeSent":
                urls[params["requestId"]] = params["request"]["url"]
                requested.append(params["request"]["url"])
            elif message["method"] == "Network.loadingFailed" and params["requestId"] in urls:
                failed.append((urls[params["requestId"]], params.get("errorText", "")))
        console = [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
        return Loaded(requested, failed, console)

    def screenshot(self, name: str) -> Path:
        """A full-height PNG of the current page, in the test's tmp folder."""
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1400, min(max(height + 120, 600), 8000))
        path = self.screenshots / name
        self.driver.save_screenshot(str(path))
        print(f"screenshot: {path}")
        return path

    def _drain(self) -> None:
        self.driver.get_log("performance")
        self.driver.get_log("browser")


def _missing() -> str | None:
    absent = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    return f"{' and '.join(absent)} missing: run `make browser`" if absent else None


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[Browser]:
    """Headless Chromium, offline. Skips without Chromium, fails instead under CI=true."""
    missing = _missing()
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {missing}", pytrace=False)
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for option in OPTIONS:
        options.add_argument(option)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.set_network_conditions(
            offline=True, latency=0, download_throughput=0, upload_throughput=0
        )
        driver.get("about:blank")
        yield Browser(driver, tmp_path_factory.mktemp("screenshots"))
    finally:
        driver.quit()
