"""Extract a tarball refusing what could write outside the target, on every Python 3.11.

`extractall(filter="data")` (PEP 706) arrived in 3.11.4; Debian 12 ships 3.11.2, where the keyword
is a TypeError (issue 22). There the same refusals are made by hand before extracting.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path


class UnsafeArchive(ValueError):
    """A member that would land outside the target, or is no regular file, folder or link."""


def extract_data(archive: tarfile.TarFile, target: Path) -> None:
    """extractall into `target` with the "data" filter, or its checks where Python lacks it."""
    if hasattr(tarfile, "data_filter"):
        archive.extractall(target, filter="data")
        return
    members = archive.getmembers()
    for member in members:
        check_member(member, target)
    archive.extractall(target, members=members)


def check_member(member: tarfile.TarInfo, target: Path) -> None:
    """Raise UnsafeArchive for what the "data" filter refuses: escapes, absolute links, devices."""
    root = os.path.realpath(target)
    if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
        raise UnsafeArchive(f"{member.name}: not a regular file, folder or link")
    if os.path.isabs(member.name) or not _inside(root, os.path.join(root, member.name)):
        raise UnsafeArchive(f"{member.name}: outside the target folder")
    if member.issym():
        if os.path.isabs(member.linkname):
            raise UnsafeArchive(f"{member.name}: an absolute link to {member.linkname}")
        pointed = os.path.join(root, os.path.dirname(member.name), member.linkname)
        if not _inside(root, pointed):
            raise UnsafeArchive(f"{member.name}: links outside the target ({member.linkname})")
    if member.islnk() and not _inside(root, os.path.join(root, member.linkname)):
        raise UnsafeArchive(f"{member.name}: a hard link outside the target ({member.linkname})")


def _inside(root: str, path: str) -> bool:
    return os.path.commonpath([root, os.path.realpath(path)]) == root
