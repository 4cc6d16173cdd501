"""Headless Chromium for the player's tests and benchmark: Debian's ``chromium`` driven by
Debian's ``chromium-driver`` through Selenium, as root (``--no-sandbox``), offline.

Selenium is told where the driver and the browser are, so Selenium Manager never runs (it
would try to download a driver). Every network event of the page is in the performance log;
console messages are in the browser log.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

CHROMIUM = os.environ.get("SGD_ANIM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("SGD_ANIM_CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio")


# A hash of each view canvas's pixels (the player's fit, loss and parameter views): a frame
# that changes what is drawn changes it.
CANVAS_SUM = """
return ['sgd-fit', 'sgd-loss', 'sgd-params'].map(function (id) {
  var c = document.getElementById(id), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, h = 0;
  for (var i = 0; i < d.length; i += 4) h = (h * 31 + d[i] * 7 + d[i + 1] * 3 + d[i + 2]) % 2147483647;
  return h;
});"""


def missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import selenium  # noqa: F401  (only: is it installed?)
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    for name, path in (("chromium", CHROMIUM), ("chromium-driver", CHROMEDRIVER)):
        if not Path(path).is_file():
            return f"{name} is not installed (apt-get install chromium chromium-driver; .ci/setup.sh does)"
    return None


@contextlib.contextmanager
def chrome(width: int = 1280, height: int = 900, scale: float = 1.0) -> Iterator:
    """A headless Chromium of this window size and device-pixel ratio, closed at the end."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="sgd-anim-chromium-")
    opts = Options()
    opts.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                 f"--force-device-scale-factor={scale}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    try:
        driver.set_page_load_timeout(60)
        driver.set_script_timeout(120)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_page(driver, path: Path, fragment: str = "") -> None:
    """Load a page from file:// and wait until the player says it is ready (or has failed)."""
    url = Path(path).resolve().as_uri() + (f"#{fragment}" if fragment else "")
    driver.get("about:blank")
    driver.get_log("performance")  # the browser's own start-up requests: not the page's
    driver.get_log("browser")
    driver.get(url)
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(driver, 60).until(lambda d: d.execute_script(
        "return document.documentElement.getAttribute('data-ready') === '1' || "
        "!document.getElementById('sgd-error').hidden"))


def requests(driver) -> list[str]:
    """Every URL the page asked for (the performance log's Network.requestWillBeSent)."""
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def console(driver) -> list[dict]:
    """The console's messages since the last call (level, message)."""
    return driver.get_log("browser")
