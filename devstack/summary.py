"""What `make stack` prints: the URLs, and how to trust the freshly generated certificate."""

from __future__ import annotations

import hashlib
import os
import ssl
from pathlib import Path

from devstack.stack import StackState


def _shown(path: str) -> str:
    """Paths relative to the current directory when under it (shorter to copy)."""
    return os.path.relpath(path) if Path(path).is_relative_to(Path.cwd()) else path


def describe(current: StackState) -> str:
    """The text printed after a successful `up`."""
    urls, cert = current.urls, _shown(current.cert)
    der = ssl.PEM_cert_to_DER_cert(Path(current.cert).read_text())
    fingerprint = ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())
    return f"""
facesim local stack is up (loopback only)

  page     {urls["page"]}
  API docs {urls["docs"]}
  redirect {urls["redirect"]} -> HTTPS
  service  {urls["service"]}   (direct, without nginx)
  S3       {urls["s3"]}   (moto)   model {current.model_uri}
  logs     {_shown(urls["logs"])}/ (moto, service), {_shown(urls["nginx_logs"])}/ (JSON access log)

The certificate is self-signed and new on every `make stack`:
  {cert}
  SHA-256 {fingerprint}
Trust it:
  curl     curl --cacert {cert} {urls["page"]}readyz
  Python   httpx.get(url, verify=ssl.create_default_context(cafile="{cert}"))
  Chromium (Linux)  certutil -d sql:$HOME/.pki/nssdb -A -t "P,," -n facesim-local -i {cert}
  macOS    security add-trusted-cert -r trustRoot -k ~/Library/Keychains/login.keychain-db {cert}
  or accept the browser's warning once (compare the fingerprint above).

Postman / ThunderClient: import docs/postman_collection.json (baseUrl {urls["page"].rstrip("/")});
turn off SSL certificate verification or add {cert} as a CA certificate.

Stop it with: make stack-down
"""
