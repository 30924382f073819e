"""The dashboard's size and place are remembered (tauri-plugin-window-state):
resized and moved (as a window manager would, with an X configure request),
then closed (which ends the app where there is no tray), the dashboard comes
back at that size and place on the next launch with the same home.
"""

from __future__ import annotations

import json

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conftest import AppHome, app_pids, launched, wait, wait_for
from test_tray import TITLE, XWindow

SIZE = (1004, 706)
PLACE = (37, 29)


def _geometry(window: XWindow) -> tuple[int, int, int, int]:
    g = window.window.get_geometry()
    return g.x, g.y, g.width, g.height


def test_the_dashboard_comes_back_at_its_size_and_place(sim):
    home = AppHome(sim)
    try:
        with launched(sim, home=home) as app:
            wait(app).until(EC.visibility_of_element_located((By.ID, "welcome")))
            with XWindow(TITLE) as window:
                assert (_geometry(window)[2], _geometry(window)[3]) != SIZE
                window.window.configure(x=PLACE[0], y=PLACE[1], width=SIZE[0], height=SIZE[1])
                window.display.flush()
                wait_for(lambda: _geometry(window) == (*PLACE, *SIZE), f"the window to be {SIZE} at {PLACE}")
                # The page knows its new size: the app saw the resize.
                wait_for(
                    lambda: app.driver.execute_script("return [window.innerWidth, window.innerHeight]") == list(SIZE),
                    "the page to have the new size",
                )
                # No tray here: closing the dashboard ends the app, on the
                # first close.
                window.close()
                wait_for(lambda: not window.viewable(), "the dashboard to close")
            wait_for(lambda: not app_pids(app), "the app to end")
        saved = json.loads((home.home / ".config" / "com.worksection.mcp" / ".window-state.json").read_text())
        assert (saved["main"]["width"], saved["main"]["height"]) == SIZE, saved
        assert "signin" not in saved, saved
        with launched(sim, home=home) as again:
            wait(again).until(EC.visibility_of_element_located((By.ID, "welcome")))
            with XWindow(TITLE) as window:
                wait_for(lambda: _geometry(window) == (*PLACE, *SIZE), f"the window to come back as {SIZE} at {PLACE}")
            again.screenshot("window-size-remembered")
    finally:
        home.remove()
