#!/usr/bin/env bash
# The system programs the test suite drives for real: nginx (the TLS front), Chromium (the page,
# and libatomic1 for the node Playwright drives it with), openssl (certificates), gettext-base
# (envsubst, for nginx's entrypoint), and for the local container stack (compose.yaml under podman-compose,
# make rehearse, Linux only): podman with runc, netavark + iptables (the bridge network),
# aardvark-dns (compose's service names), catatonit (podman's init) and debootstrap (the
# registry-free base images); podman-compose itself is a Python package (requirements-dev.txt).
# Each comes from the system's package manager:
#   Debian/Ubuntu: apt-get (as root, or with sudo; it waits for other installs' lock)
#   macOS: Homebrew (nginx, openssl@3); the rehearsal needs Linux containers and is skipped
# Where a program cannot be installed, the tests that need it are skipped with the reason
# (tests/support/needs.py); under CI (CI=true) they fail instead.
set -euo pipefail

have() {
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/libexec/podman/$1" ] ||
    [ -x "/usr/lib/podman/$1" ]
}
have_shared_library() {
  local ldconfig
  ldconfig="$(command -v ldconfig || echo /sbin/ldconfig)"
  "$ldconfig" -p 2>/dev/null | grep -qE "^[[:space:]]+$1 "
}
have_nginx() { have nginx; }
have_chromium() {
  have chromium || have chromium-browser || [ -n "${CHROMIUM:-}" ] ||
    [ -x "/Applications/Chromium.app/Contents/MacOS/Chromium" ] ||
    [ -x "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" ]
}

need=()
have_nginx || need+=(nginx)
have_chromium || need+=(chromium)
have openssl || need+=(openssl)
have envsubst || need+=(gettext-base) # nginx/entrypoint renders the config with it
if [ "$(uname -s)" = Linux ]; then
  # Playwright's own node (it drives Chromium) links libatomic, which a minimal Debian lacks.
  have_shared_library libatomic.so.1 || need+=(libatomic1)
  for tool in podman runc netavark aardvark-dns iptables catatonit debootstrap; do
    have "$tool" || need+=("$tool")
  done
fi
if [ ${#need[@]} -eq 0 ]; then
  echo "system packages present: nginx chromium openssl gettext-base (and on Linux: libatomic1 podman runc netavark aardvark-dns iptables catatonit debootstrap)"
  exit 0
fi

case "$(uname -s)" in
  Linux)
    if ! have apt-get; then
      echo "missing: ${need[*]}. Install them with your distribution's package manager;" \
        "the tests that need them are skipped until then." >&2
      exit 0
    fi
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    # Debian calls the browser chromium; Ubuntu's chromium-browser is a snap (none in containers).
    packages=()
    for name in "${need[@]}"; do
      if [ "$name" = chromium ] && ! apt-cache show chromium >/dev/null 2>&1; then
        echo "no chromium package in apt here (Ubuntu ships it as a snap): the page tests are" \
          "skipped; set CHROMIUM=/path/to/chromium or chrome to run them" >&2
        continue
      fi
      packages+=("$name")
    done
    [ ${#packages[@]} -eq 0 ] && exit 0
    echo "installing with apt-get: ${packages[*]}"
    $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
      --no-install-recommends "${packages[@]}" >/dev/null
    # Debian starts nginx on port 80 after install; the tests start their own.
    $SUDO systemctl disable --now nginx >/dev/null 2>&1 || $SUDO service nginx stop >/dev/null 2>&1 ||
      $SUDO nginx -s quit >/dev/null 2>&1 || true
    ;;
  Darwin)
    if ! have brew; then
      echo "missing: ${need[*]}. Install Homebrew (https://brew.sh) and run make test again;" \
        "the tests that need them are skipped until then." >&2
      exit 0
    fi
    formulae=()
    for name in "${need[@]}"; do
      case "$name" in
        nginx) formulae+=(nginx) ;;
        openssl) formulae+=(openssl@3) ;;
        gettext-base) formulae+=(gettext) ;;
        chromium)
          echo "no Chromium or Google Chrome in /Applications: the page tests are skipped;" \
            "install Google Chrome or set CHROMIUM=/path/to/chrome" >&2 ;;
      esac
    done
    [ ${#formulae[@]} -eq 0 ] && exit 0
    echo "installing with Homebrew: ${formulae[*]}"
    brew install --quiet "${formulae[@]}"
    ;;
  *)
    echo "missing: ${need[*]} (no installer for $(uname -s)); the tests that need them are skipped" >&2
    ;;
esac
