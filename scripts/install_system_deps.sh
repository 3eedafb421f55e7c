#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real: nginx (TLS front), chromium (the page),
# and for the container rehearsal (make rehearse): podman with runc, netavark + iptables (the pod's
# bridge network), catatonit (the pod's pause process) and debootstrap (the registry-free base image).
# apt waits for the lock: other engineers' installs may be running at the same time.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/libexec/podman/$1" ] || [ -x "/usr/lib/podman/$1" ]; }
have nginx || need+=(nginx)
have chromium || need+=(chromium)
have openssl || need+=(openssl)
have podman || need+=(podman)
have runc || need+=(runc)
have netavark || need+=(netavark)
have iptables || need+=(iptables)
have catatonit || need+=(catatonit)
have debootstrap || need+=(debootstrap)
if [ ${#need[@]} -eq 0 ]; then
  echo "system packages present: nginx chromium openssl podman runc netavark iptables catatonit debootstrap"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
APT=(apt-get -o DPkg::Lock::Timeout=900)
echo "installing Debian packages: ${need[*]}"
$SUDO "${APT[@]}" update -qq
DEBIAN_FRONTEND=noninteractive $SUDO "${APT[@]}" install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian starts nginx on port 80 after install; the tests start their own.
$SUDO systemctl disable --now nginx >/dev/null 2>&1 || $SUDO service nginx stop >/dev/null 2>&1 || $SUDO nginx -s quit >/dev/null 2>&1 || true
