"""The dashboard in a headless Chromium driven by Selenium, for the browser tests: the `browser`
fixture (one Chromium per test module), `page` (the dashboard with waits that fail with what it
shows) and screenshots in $NOTIFY_TEST_STATE/logs/dashboard/."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from notify_e2e import env

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 15.0


def screenshots() -> Path:
    folder = Path(env("NOTIFY_TEST_STATE")) / "logs" / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        assert shutil.which(path), f"{path} is missing (scripts/test installs chromium and chromium-driver)"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--metrics-recording-only",
        "--no-default-browser-check",
        "--lang=en-GB",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=CHROMEDRIVER, log_output=str(screenshots() / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


class Page:
    """The dashboard in the browser, with waits that fail with what the page shows."""

    def __init__(self, driver: Any, base_url: str):
        self.driver = driver
        self.base_url = base_url

    def open(self, hash_path: str = "#/") -> None:
        self.driver.get(f"{self.base_url}/dashboard/{hash_path}")

    def go(self, hash_path: str) -> None:
        self.driver.execute_script("location.hash = arguments[0]", hash_path)

    def wait(self, condition: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = condition()
            except Exception:  # noqa: BLE001 - elements come and go while the page renders
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the dashboard did not show {what} within {timeout}s; "
                    f"banner: {self.banner()!r}; page: {self.text()[:1500]!r}"
                )
            time.sleep(0.1)

    def css(self, selector: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def text(self) -> str:
        return self.driver.execute_script("return document.body.innerText")

    def banner(self) -> str:
        return self.driver.execute_script(
            "const b = document.getElementById('banner'); return b && !b.hidden ? b.textContent : ''"
        )

    def sign_in(self, merchant: str, token: str) -> None:
        self.open("#/")
        self.wait(lambda: self.css("#signin"), "the sign-in form")
        self.css("#signin input[name=merchant]")[0].send_keys(merchant)
        self.css("#signin input[name=token]")[0].send_keys(token)
        self.css("#signin button[type=submit]")[0].click()

    def sign_out(self) -> None:
        self.open("#/")
        self.driver.execute_script("sessionStorage.clear()")
        self.driver.refresh()

    def shot(self, name: str) -> Path:
        path = screenshots() / f"{name}.png"
        # Tall enough for the whole view: the screenshot is of the viewport.
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        width = self.driver.execute_script("return window.innerWidth")
        self.driver.set_window_size(max(width, 375) if width < 500 else 1280, min(max(height + 140, 700), 2400))
        self.driver.save_screenshot(str(path))
        assert path.stat().st_size > 5000, f"{path} looks empty"
        return path

    def console_errors(self) -> list[dict[str, Any]]:
        return [entry for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Page]:
    browser.set_window_size(1280, 900)
    browser.get_log("browser")  # start each test with an empty console
    yield Page(browser, base_url)
