"""The host's pip settings lent to a build: what is kept, remapped and mounted."""

from __future__ import annotations

from pathlib import Path

from rehearse.pipconf import IMAGE_CA_BUNDLE, pip_mounts


def test_local_indexes_certificates_and_constraints_are_mounted(tmp_path: Path) -> None:
    ca = tmp_path / "corp-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    mirror = tmp_path / "mirror" / "simple"
    mirror.mkdir(parents=True)
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("torch<3\n")
    mounts = pip_mounts({
        "cert": str(ca),
        "extra-index-url": f"file://{mirror} https://example.org/simple file:///absent/simple",
        "constraint": str(constraints),
        "no-color": "1",
    })  # fmt: skip
    assert dict(mounts.mounts) == {
        ca: IMAGE_CA_BUNDLE,
        mirror.parent: str(mirror.parent),  # the simple index links ../files/ in its mirror
        constraints: str(constraints),
    }
    assert f"cert = {IMAGE_CA_BUNDLE}" in mounts.conf_text
    assert f"extra-index-url = file://{mirror} https://example.org/simple\n" in mounts.conf_text
    assert "no-color" not in mounts.conf_text


def test_volume_args_are_read_only(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    args = pip_mounts({"cert": str(ca)}).volume_args(tmp_path / "pip.conf")
    volumes = args[1::2]
    assert args[0::2] == ["-v", "-v"]
    assert all(v.endswith(":ro") for v in volumes)
    assert volumes[0] == f"{tmp_path / 'pip.conf'}:/etc/pip.conf:ro"
