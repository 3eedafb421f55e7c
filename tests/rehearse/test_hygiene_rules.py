"""The hygiene rules on their own: layer reasons, layer grouping, and reading /proc/net/tcp."""

from __future__ import annotations

from pathlib import Path

from rehearse.hygiene import Layer, _group, _measure
from rehearse.probes import Listener, _decode


def test_only_known_instructions_have_a_reason() -> None:
    venv = Layer("/bin/sh -c #(nop) COPY dir:0611c8661f2e in /opt/venv ", 10**9, ())
    base = Layer("/bin/sh -c #(nop) ADD file:5a55c1e53110e91a in / ", 8 * 10**7, ())
    model = Layer("/bin/sh -c #(nop) COPY dir:abc in models/ ", 3 * 10**8, ())
    assert venv.reason and base.reason
    assert model.reason is None


def test_layer_parts_group_python_packages(tmp_path: Path) -> None:
    site = tmp_path / "opt/venv/lib/python3.11/site-packages"
    (site / "tensorflow/include").mkdir(parents=True)
    (site / "tensorflow/include/a.h").write_bytes(b"x" * 300)
    (site / "numpy").mkdir()
    (site / "numpy/core.so").write_bytes(b"x" * 100)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_bytes(b"x" * 10)
    total, largest = _measure(tmp_path)
    assert total == 410
    assert largest[0] == ("/opt/venv/lib/python3.11/site-packages/tensorflow", 300)
    assert _group(Path("usr/lib/x86_64-linux-gnu/perl")) == "/usr/lib/x86_64-linux-gnu"


def test_proc_net_tcp_addresses_decode() -> None:
    assert _decode("0100007F:1F40") == ("127.0.0.1", 8000)
    assert _decode("00000000:20FB") == ("0.0.0.0", 8443)
    assert _decode("00000000000000000000000001000000:1F40") == ("::1", 8000)
    assert Listener("127.0.0.1", 8000).loopback_only
    assert not Listener("0.0.0.0", 8443).loopback_only
