"""/readyz says 200 only after a forward pass of the loaded model ran and returned finite numbers."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from service.errors import ModelError
from service.model import SiameseModel, load_siamese
from tests.conftest import ClientFactory


def test_warm_up_runs_a_forward_pass_and_refuses_non_finite_distances(tiny_model: Path) -> None:
    model = load_siamese(tiny_model)
    calls: list[int] = []
    forward = model.distances

    def counted(*arrays: Any) -> Any:
        calls.append(arrays[0].shape[0])
        return forward(*arrays)

    model.distances = counted  # type: ignore[method-assign,assignment]
    model.warm_up()
    assert calls == [1]
    model.distances = lambda *arrays: np.array([[0.1, np.nan]])  # type: ignore[method-assign]
    with pytest.raises(ModelError, match="non-finite"):
        model.warm_up()


def test_readyz_says_200_only_after_a_forward_pass_returned_finite_distances(
    make_client: ClientFactory, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results: list[np.ndarray] = []
    forward = SiameseModel.distances

    def recorded(self: SiameseModel, *arrays: Any) -> Any:
        out = forward(self, *arrays)
        results.append(out)
        return out

    monkeypatch.setattr(SiameseModel, "distances", recorded)
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
    def nan_distances(self: SiameseModel, anchor: Any, *rest: Any) -> Any:
        return np.full((anchor.shape[0], 2), np.nan)

    monkeypatch.setattr(SiameseModel, "distances", nan_distances)
    with make_client(ready=False, model_uri=str(tiny_model)) as client:
        deadline = time.monotonic() + 60
        while not client.fatal:
            assert client.get("/readyz").status_code == 503
            assert time.monotonic() < deadline, "start-up neither failed nor finished"
            time.sleep(0.02)
        assert "non-finite" in client.fatal[0]
        assert client.get("/readyz").status_code == 503
