"""The dashboard's look as the issue asks for it: it follows the system's
light or dark theme, and every control can be reached with the keyboard
alone. Each test starts its own app (the theme is the desktop's setting,
read by WebKitGTK from GTK at start) and saves screenshots of what it saw.
"""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from conftest import click, launched, wait, wait_text


def _luminance(css_color: str) -> float:
    """Relative luminance (0 black, 1 white) of a computed `rgb(...)`."""
    found = re.match(r"rgba?\((\d+),\s*(\d+),\s*(\d+)", css_color)
    assert found, css_color

    def channel(v: str) -> float:
        c = int(v) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in found.groups())
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _open_demo(app) -> None:
    click(app, "welcome-demo")
    wait(app).until(EC.visibility_of_element_located((By.ID, "dashboard")))
    wait_text(app, "server-state", lambda t: t == "running", timeout=60)


@pytest.mark.parametrize("gtk_theme, dark", [("Adwaita", False), ("Adwaita:dark", True)])
def test_the_dashboard_follows_the_systems_theme(sim, gtk_theme, dark):
    with launched(sim, env={"GTK_THEME": gtk_theme}) as app:
        _open_demo(app)
        seen = app.driver.execute_script(
            "const css = getComputedStyle(document.body);"
            "return {dark: matchMedia('(prefers-color-scheme: dark)').matches,"
            " background: css.backgroundColor, text: css.color};"
        )
        assert seen["dark"] is dark, seen
        background, text = _luminance(seen["background"]), _luminance(seen["text"])
        if dark:
            assert background < 0.05 and text > 0.6, seen
        else:
            assert background > 0.8 and text < 0.1, seen
        app.screenshot("theme-dark" if dark else "theme-light")


# Every control a person can use: what Tab must reach, once each lap.
CONTROLS = """
return [...document.querySelectorAll('button, input, select, textarea, a[href]')]
  .filter(e => !e.disabled && e.getClientRects().length > 0
               && getComputedStyle(e).visibility !== 'hidden')
  .map((e, i) => { e.dataset.k = String(i); return e.id || e.textContent.trim() || e.outerHTML.slice(0, 60); });
"""


def _tab_lap(app, count: int) -> list[str]:
    """Presses Tab `count` times from the top; the controls focused."""
    app.driver.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    reached = []
    for _ in range(count):
        ActionChains(app.driver).send_keys(Keys.TAB).perform()
        reached.append(app.driver.execute_script("return document.activeElement.dataset.k || ''"))
    return reached


def test_every_control_is_reachable_with_the_keyboard(sim):
    with launched(sim) as app:
        wait(app).until(EC.visibility_of_element_located((By.ID, "welcome")))
        for screen in ("first run", "dashboard"):
            if screen == "dashboard":
                _open_demo(app)
            names = app.driver.execute_script(CONTROLS)
            assert names, f"no controls on the {screen}"
            reached = _tab_lap(app, len(names))
            missed = [n for i, n in enumerate(names) if str(i) not in reached]
            assert not missed, f"Tab never reaches these on the {screen}: {missed}"
            # Where the focus is must be visible, too.
            outline = app.driver.execute_script("return getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"the focused control on the {screen} shows no focus ring"
        app.screenshot("keyboard-focus")
