"""On a minimal Debian, scripts/install_system_deps.sh asks apt for what the suite would miss there."""

from __future__ import annotations

import subprocess
from pathlib import Path

from service.paths import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "install_system_deps.sh"
# A minimal Debian as the script sees it: Linux, root, apt with chromium, no shared libraries
# registered, and apt-get writing down what it was asked for instead of installing.
SHIMS = {
    "uname": "echo Linux",
    "id": "echo 0",
    "apt-cache": "exit 0",
    "apt-get": 'echo "$*" >> "$CALLS"',
    "ldconfig": "exit 0",
    "grep": 'exec /bin/grep "$@"',
}


def test_a_minimal_debian_gets_envsubst_and_playwrights_libatomic(tmp_path: Path) -> None:
    shims = tmp_path / "bin"
    shims.mkdir()
    for name, body in SHIMS.items():
        (shims / name).write_text(f"#!/bin/sh\n{body}\n")
        (shims / name).chmod(0o755)
    calls = tmp_path / "apt-get.log"
    done = subprocess.run(
        ["/bin/bash", str(SCRIPT)],
        env={"PATH": str(shims), "CALLS": str(calls)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    install = next(line for line in calls.read_text().splitlines() if " install " in line)
    assert {"gettext-base", "libatomic1"} <= set(install.split())
