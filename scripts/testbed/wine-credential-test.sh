#!/usr/bin/env bash
# Builds the token store's Windows path (Credential Manager key vault, CNG AES-256-GCM,
# atomic file replacement, the sealed format and grant records) with mingw-w64 and runs its
# test program under Wine in a throwaway prefix.
#
#   wine-credential-test.sh [BUILD_DIR]
#
# Installs g++-mingw-w64-x86-64-posix and wine64 from Debian when missing. Exits non-zero
# when the build or any check fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/build/wine-credential-test}
mkdir -p "$out"

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

cxx=x86_64-w64-mingw32-g++-posix
wine=/usr/lib/wine/wine64
if ! command -v "$cxx" >/dev/null || [[ ! -x $wine ]]; then
    echo "wine-credential-test: installing g++-mingw-w64-x86-64-posix wine64" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends g++-mingw-w64-x86-64-posix wine64 >/dev/null
fi

# Boost is header-only for what this needs; expose only it, never the host's libc headers.
mkdir -p "$out/include"
ln -sfn /usr/include/boost "$out/include/boost"

sources=(
    core/error.cpp
    core/secret.cpp
    store/grant_record.cpp
    store/sealed_box.cpp
    store/windows/atomic_file_windows.cpp
    store/windows/credential_vault.cpp
    store/windows/crypto_bcrypt.cpp
    tests/store/windows/credential_test_main.cpp
    tests/store/windows/secret_primitives_windows.cpp
)
exe=$out/credential_test.exe
needs_build=0
[[ -f $exe ]] || needs_build=1
for source in "${sources[@]}"; do
    [[ $root/$source -nt $exe ]] && needs_build=1
done
if ((needs_build)); then
    echo "wine-credential-test: building $exe" >&2
    (cd "$root" && "$cxx" -std=c++20 -O1 -Wall -Wextra -DWIN32_LEAN_AND_MEAN -DNOMINMAX \
        -DUNICODE -D_UNICODE -I"$root" -isystem "$out/include" "${sources[@]}" \
        -static -lbcrypt -ladvapi32 -o "$exe")
fi

prefix=$(mktemp -d "${TMPDIR:-/tmp}/vegha-wine.XXXXXX")
cleanup() {
    # wineserver lingers a few seconds after its last client and writes the registry on exit.
    WINEPREFIX=$prefix timeout 30 /usr/lib/wine/wineserver64 -w 2>/dev/null || true
    rm -rf "$prefix"
}
trap cleanup EXIT

export WINEPREFIX=$prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
status=0
timeout 240 "$wine" "$exe" 2> >(grep -v 'rundll32.exe\|has been updated' >&2) || status=$?
exit $status
