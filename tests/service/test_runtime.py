"""The runtime's life cycle: what it does to the process once the model is ready, and undoes at stop."""

from __future__ import annotations

import gc
from pathlib import Path

from tests.conftest import ClientFactory


def test_what_is_loaded_is_frozen_out_of_the_collector_while_ready(
    make_client: ClientFactory, tiny_model: Path
) -> None:
    gc.unfreeze()
    with make_client(model_uri=str(tiny_model)) as client:
        assert client.get("/readyz").status_code == 200
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
