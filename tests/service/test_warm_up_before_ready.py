"""/readyz says 200 only after a forward pass of the loaded model ran and returned finite numbers."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from service.model import KerasModel
from tests.conftest import ClientFactory


def test_readyz_says_200_only_after_a_forward_pass_returned_finite_distances(
    make_client: ClientFactory, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results: list[np.ndarray] = []
    forward = KerasModel.predict

    def recorded(self: KerasModel, inputs: Any) -> Any:
        out = forward(self, inputs)
        results.extend(out)
        return out

    monkeypatch.setattr(KerasModel, "predict", recorded)
    with make_client(ready=False, model_uri=str(tiny_model)) as client:
        deadline = time.monotonic() + 60
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "never ready"
            time.sleep(0.02)
        seen_when_ready = list(results)
    assert seen_when_ready, "a forward pass ran before /readyz said 200"
    assert all(np.isfinite(r).all() for r in seen_when_ready)


def test_a_model_answering_non_finite_numbers_never_becomes_ready(
    make_client: ClientFactory, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def nan_distances(self: KerasModel, inputs: Any) -> Any:
        return [np.full((inputs[0].shape[0], 1), np.nan)] * 2

    monkeypatch.setattr(KerasModel, "predict", nan_distances)
    with make_client(ready=False, model_uri=str(tiny_model)) as client:
        deadline = time.monotonic() + 60
        while not client.fatal:
            assert client.get("/readyz").status_code == 503
            assert time.monotonic() < deadline, "start-up neither failed nor finished"
            time.sleep(0.02)
        assert "non-finite" in client.fatal[0]
        assert client.get("/readyz").status_code == 503
