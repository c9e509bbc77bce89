#!/usr/bin/env bash
# Installs everything, then lints, builds and runs the whole test suite. .ci/run runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
npx -y pnpm@10.34.9 run lint
npx -y pnpm@10.34.9 run test
