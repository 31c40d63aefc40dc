#!/usr/bin/env bash
# Installs what is needed, builds, and runs the whole test suite against the real demo
# provider. `scripts/test.sh asan` does the same with the sanitizer build.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-default}
scripts/install-deps.sh
scripts/build.sh "$preset"
ctest --preset "$preset" -j "$(nproc)"
