"""Where the browser is and how it is started: the same as for the site check in tools/."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "screenshots"
sys.path.insert(0, str(REPO / "tools"))

from site_check import CHROMIUM_FLAGS, chromium_path, open_browser  # noqa: E402

__all__ = ["CHROMIUM_FLAGS", "REPO", "SCREENSHOTS", "chromium_path", "open_browser"]

INSTALL_HINT = "install it with: apt-get install -y chromium (Debian), or set CHROMIUM=/path"


def skip_without_browser(pytest) -> None:
    """Skip the calling test module, saying why, if Chromium or Playwright is missing."""
    if chromium_path() is None:
        pytest.skip(
            f"browser test skipped: Chromium not found; {INSTALL_HINT}", allow_module_level=True
        )
    pytest.importorskip(
        "playwright.sync_api",
        reason="browser test skipped: playwright is not installed (pip install -r requirements.txt)",
    )
