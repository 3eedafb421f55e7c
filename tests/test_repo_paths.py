"""No committed text names a path of the machine it was written on: it would be wrong on every other one.

The rule, over every git-tracked text file (binaries, i.e. files with a NUL byte or not UTF-8, and lock
files are skipped):

1. The checkout's own location, computed now: the repository root and its parent (where `../shared`
   lives), and, when this is a git worktree, the main checkout and its parent too. A path that starts
   with one of them, e.g. `<parent>/shared/data/lfw`, is a machine path; committed files say
   `../shared/data/lfw` or name a file relative to the repository.
2. Home directories: `/root/...`, `/home/<user>/...`, `/Users/<user>/...` (and `C:\\Users\\<user>\\`).
   `$HOME` and `~` are fine: they name every user's home, not the writer's.
3. Scratch folders: `/tmp/<name>`, `/var/tmp/...`, macOS's `/var/folders/...`. Prose says "a
   scratch directory" or uses a relative path (`.cache/...`). A bare `/tmp` is allowed: it is the
   mount point the images declare (Dockerfile `VOLUME`, compose `tmpfs`), and so are the paths *inside
   our containers* that the images and the task definition define, listed in CONTAINER_PATHS; those
   are the same on every machine.

System paths (`/usr/bin/chromium`, `/etc/nginx`, `/run/secrets`, `/app/...` in the image) are not
machine paths and are not checked.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from service.paths import REPO_ROOT

LOCK_FILES = ("package-lock.json", ".lock")
# This file: its docstring and examples are the patterns themselves.
THIS_FILE = Path(__file__).resolve().relative_to(REPO_ROOT).as_posix()
# Paths inside our own images, defined by them: nginx's RUN_DIR (nginx/Dockerfile, nginx/entrypoint,
# infra/contract.py) and the requirements file the app image's build step copies in (Dockerfile).
CONTAINER_PATHS = frozenset({"/tmp/nginx", "/tmp/requirements.txt"})
SHARED_FOLDERS = frozenset({"/", "/tmp", "/var/tmp", "/private/tmp", "/home", "/Users"})

# A path starts at the beginning of a token: not inside a word, a URL's host or a longer path.
START = r"(?<![\w.~$}-])"
NAME = r"[\w.-]+"
HOME = re.compile(START + rf"/(?:root|home/{NAME}|Users/{NAME})/|[A-Za-z]:\\Users\\{NAME}\\")
SCRATCH = re.compile(START + rf"(?:/private)?/(?:tmp/{NAME}|var/tmp/|var/folders/)")


def git_root(path: Path) -> Path | None:
    """The main checkout of the repository `path` belongs to (itself, unless it is a worktree)."""
    found = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "--path-format=absolute", "--git-common-dir"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return Path(found).parent if found else None


@cache
def checkout_locations() -> tuple[str, ...]:
    """Where this checkout (and its main checkout, for a worktree) and the folder beside it are."""
    roots = {REPO_ROOT, REPO_ROOT.resolve()}
    main = git_root(REPO_ROOT)
    if main is not None:
        roots |= {main, main.resolve()}
    places = {str(p) for root in roots for p in (root, root.parent)}
    # A checkout cloned straight into a shared folder (CI may use /tmp/<clone>) does not make that
    # whole folder a machine path: /tmp/<name> is caught by the scratch rule, homes by theirs.
    return tuple(sorted(places - SHARED_FOLDERS, key=len, reverse=True))


def checkout_pattern() -> re.Pattern[str]:
    """Any path starting at one of the checkout's locations."""
    alternatives = "|".join(re.escape(place) for place in checkout_locations())
    return re.compile(START + rf"(?:{alternatives})(?![\w-])(?!\.\w)")


def tracked_text_files() -> Iterator[tuple[str, str]]:
    """(path relative to the repository, text) of each tracked text file."""
    listed = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "ls-files", "-z"], capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        path = REPO_ROOT / name
        if name.endswith(LOCK_FILES) or name == THIS_FILE or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue
        try:
            yield name, data.decode("utf-8")
        except UnicodeDecodeError:
            continue


def machine_paths(text: str) -> list[str]:
    """Every machine path in `text`, by the rule in this module's docstring."""
    checkout = [m for m in checkout_pattern().finditer(text)]
    found = [m.group(0) for m in checkout]
    # A checkout under a home or scratch folder (CI may clone into /tmp) is reported once, as itself.
    inside = [range(m.start(), m.end()) for m in checkout]
    home = [m for m in HOME.finditer(text) if not any(m.start() in r for r in inside)]
    found += [m.group(0) for m in home]
    for match in SCRATCH.finditer(text):
        if any(match.start() in r for r in inside):
            continue
        whole = re.match(r"[^\s\"'`),;:\]}>]*", text[match.start() :])
        path = whole.group(0) if whole else match.group(0)
        if not any(path == c or path.startswith(c + "/") for c in CONTAINER_PATHS):
            found.append(path)
    return found


def test_no_tracked_file_names_a_path_of_the_machine_it_was_written_on() -> None:
    offenders = []
    for name, text in tracked_text_files():
        for number, line in enumerate(text.splitlines(), start=1):
            offenders += [f"{name}:{number}: {path}" for path in machine_paths(line)]
    assert offenders == [], "\n".join(offenders)


def test_the_rule_sees_each_kind_of_machine_path_and_spares_container_paths() -> None:
    """The patterns themselves, on made-up lines (the scan above passes vacuously if they are blind)."""
    assert machine_paths(f"data in {REPO_ROOT}/models/x.h5.") == [str(REPO_ROOT)]
    assert machine_paths(f'"path": "{REPO_ROOT.parent}/shared/data/lfw"') != []
    assert machine_paths("see /home/alice/notes and /root/.cache and /Users/bob/x") == [
        "/home/alice/",
        "/root/",
        "/Users/bob/",
    ]
    assert machine_paths("--out /tmp/b.json, then /var/tmp/x") == ["/tmp/b.json", "/var/tmp/x"]
    assert machine_paths("RUN_DIR=/tmp/nginx; VOLUME /tmp; -r /tmp/requirements.txt") == []
    assert machine_paths("/usr/bin/chromium /app/.cache ~/x $HOME/.pki https://x.org/home/a/") == []
