#!/usr/bin/env bash
# Installs what building, the demo and the tests need on Debian 12: the C++ toolchain and
# libraries from Debian, Node.js when missing, and the demo provider's npm packages from
# idp/package-lock.json. Safe to run again: what is already there is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
    # Build
    g++ cmake ninja-build ccache pkg-config
    libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
    libssl-dev libspdlog-dev libcli11-dev libsdbus-c++-dev libsystemd-dev
    # Tests and the sanitizer build
    libgtest-dev libgmock-dev libclang-rt-14-dev
    # Tests and the demo
    curl python3
    # Token store tests: a real Secret Service, and the Windows path under Wine
    gnome-keyring libsecret-tools dbus-x11 g++-mingw-w64-x86-64-posix wine64
    # Browser login tests (tests/browser): the system browser, driven headless
    chromium
)

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
        missing+=("$package")
    fi
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    missing+=(nodejs npm)
fi
if ((${#missing[@]})); then
    echo "install-deps: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if ((node_major < 20)); then
    echo "install-deps: the demo provider needs Node.js 20 or newer; this is $(node --version)" >&2
    exit 1
fi

# The lock file pins every package; a stamp skips the install when nothing changed.
stamp=idp/node_modules/.vegha-lock-stamp
if [[ ! -f $stamp ]] || ! cmp -s idp/package-lock.json "$stamp"; then
    echo "install-deps: installing the demo provider's packages"
    (cd idp && npm ci --no-audit --no-fund --loglevel=error)
    cp idp/package-lock.json "$stamp"
fi
