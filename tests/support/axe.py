"""axe-core (the npm package) in the test browser: every page a browser test visits is
checked for serious and critical accessibility violations."""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

HOME = Path(__file__).resolve().parents[1] / ".axe"
SCRIPT = HOME / "node_modules" / "axe-core" / "axe.min.js"
VERSION = "axe-core@4"


def axe_script() -> Path:
    """The path of ``axe.min.js``, installed from the npm registry on first use (by one
    test process at a time: the others wait on a lock file and find it installed)."""
    if SCRIPT.exists():
        return SCRIPT
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("axe-core needs npm (Debian: apt-get install npm)")
    HOME.mkdir(parents=True, exist_ok=True)
    with (HOME / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not SCRIPT.exists():
            quiet = ["--no-save", "--no-audit", "--no-fund"]
            subprocess.run(
                [npm, "install", *quiet, "--prefix", str(HOME), VERSION],
                check=True,
                capture_output=True,
                timeout=300,
            )
    return SCRIPT


async def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical findings on ``page`` (a Playwright page whose
    context bypasses the page's CSP), as "rule: target" lines."""
    await page.add_script_tag(path=str(axe_script()))
    result = await page.evaluate("async () => JSON.stringify(await axe.run(document))")
    found = json.loads(result)["violations"]
    return [
        f"{v['id']}: {node['target']}"
        for v in found
        if v.get("impact") in ("serious", "critical")
        for node in v["nodes"]
    ]
