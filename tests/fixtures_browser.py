"""A real headless Chromium (Debian's ``chromium`` + ``chromium-driver``) driven by Selenium.

The browser starts with a fresh profile and no network chatter of its own; WebGL
runs on SwiftShader (software), as on a machine without a GPU. Tests skip, saying
so, only where the browser or its driver is not installed (``make`` installs them).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-default-apps",
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader",  # WebGL in software, no GPU needed
    "--hide-scrollbars", "--force-device-scale-factor=1",
)
DESKTOP = (1280, 900)
PHONE = (390, 844)  # CSS pixels of a common phone in portrait


def browser_paths() -> tuple[str, str] | None:
    """(chromium, chromedriver) when both are installed, else None."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    return (chromium, driver) if chromium and driver else None


def start_chromium(size: tuple[int, int] = DESKTOP) -> Any:
    """A Selenium WebDriver on a fresh headless Chromium; the caller quits it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    paths = browser_paths()
    if paths is None:
        raise RuntimeError("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = paths[0]
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tempfile.mkdtemp(prefix='relic-twin-chromium-')}",
                 f"--window-size={size[0]},{size[1]}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(paths[1]), options=opts)
    driver.set_script_timeout(60)
    return driver


def set_viewport(driver: Any, size: tuple[int, int]) -> None:
    """Make the page's viewport ``size`` CSS pixels (the window's frame differs in headless mode)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": size[0] < 600})


def console_errors(driver: Any) -> list[str]:
    """Console messages at error level (uncaught exceptions, console.error, failed loads) since the last call."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def requested_urls(driver: Any) -> list[str]:
    """Every URL the browser asked for since the last call (DevTools Network events; file:// pages
    record no resource timing, so this is the way to see them)."""
    import json

    out = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            out.append(msg["params"]["request"]["url"])
    return out


def wait_for(driver: Any, script: str, timeout_s: float = 60.0) -> Any:
    """Poll ``script`` (a JS expression) until it is truthy; its value, or AssertionError on timeout."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        value = driver.execute_script(f"return ({script});")
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {script}")


def wait_rendered(driver: Any, timeout_s: float = 90.0) -> float:
    """Wait until the relic page's model has drawn its first frame; ms since navigation, or AssertionError
    with the viewer's error when the model failed to load."""
    value = wait_for(driver, "window.relicTwinFirstFrame || "
                     "(document.getElementById('viewer') && document.getElementById('viewer').getAttribute('data-error') "
                     "&& 'error: ' + document.getElementById('viewer').getAttribute('data-error'))", timeout_s)
    assert not isinstance(value, str), f"the model did not load: {value} {console_errors(driver)}"
    return float(value)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the session's browser tests."""
    if browser_paths() is None:
        pytest.skip("no browser: chromium and chromium-driver are not installed "
                    "(make installs them with apt-get; this machine could not)")
    driver = start_chromium()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def exhibit_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo hall published once for the session (``relic-twin publish``'s own function)."""
    from bridge.errors import ConfigError
    from bridge.exhibit import publish
    from simulation.paths import scenes_dir
    from simulation.scene import load_scene

    out = tmp_path_factory.mktemp("exhibit")
    try:
        publish([load_scene(scenes_dir() / "demo_hall")], out)
    except ConfigError as exc:
        pytest.skip(f"the viewer from npm is missing ({exc}); run `make web`")
    return out
