"""Fixtures of the evaluation tests."""

from __future__ import annotations

import tarfile
from typing import Any

import pytest


@pytest.fixture
def tarfile_of_python_3_11_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """tarfile as Python 3.11.0-3.11.3 has it (Debian 12: 3.11.2): no extraction filters (PEP 706)."""
    real = tarfile.TarFile.extractall

    def extractall(self: tarfile.TarFile, *args: Any, **kwargs: Any) -> None:
        if "filter" in kwargs:
            raise TypeError("extractall() got an unexpected keyword argument 'filter'")
        real(self, *args, **kwargs)

    monkeypatch.delattr(tarfile, "data_filter", raising=False)  # 3.11.2 itself has none
    monkeypatch.setattr(tarfile.TarFile, "extractall", extractall)
