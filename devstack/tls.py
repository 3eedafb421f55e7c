"""A fresh self-signed certificate for the local stack, made with the openssl command line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

DEFAULT_NAMES = ("IP:127.0.0.1", "DNS:localhost")


def generate_self_signed(
    cert_path: Path,
    key_path: Path,
    *,
    names: tuple[str, ...] = DEFAULT_NAMES,
    days: int = 30,
    common_name: str = "facesim local stack",
) -> None:
    """Write a P-256 key and a self-signed server certificate valid for `names` (subjectAltName).

    CA:FALSE with serverAuth makes it a leaf that browsers accept once trusted, and that curl and
    Python verify when given as --cacert / cafile.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is not installed (scripts/install_system_deps.sh installs it)")
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            openssl, "req", "-x509", "-new", "-nodes",
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-sha256", "-days", str(days),
            "-subj", f"/CN={common_name}",
            "-addext", f"subjectAltName={','.join(names)}",
            "-addext", "basicConstraints=critical,CA:FALSE",
            "-addext", "keyUsage=critical,digitalSignature",
            "-addext", "extendedKeyUsage=serverAuth",
            "-keyout", str(key_path), "-out", str(cert_path),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    key_path.chmod(0o600)


def fingerprint_sha256(cert_path: Path) -> str:
    """The certificate's SHA-256 fingerprint as openssl prints it (AB:CD:...)."""
    result = subprocess.run(
        ["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", str(cert_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip().split("=", 1)[1]
