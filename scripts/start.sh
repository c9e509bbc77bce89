#!/usr/bin/env bash
# Installs everything, builds the server and starts a single-member etcd with its data under ./default.etcd.
# Extra arguments go to etcd, e.g. scripts/start.sh --name node1
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
npx -y pnpm@10.34.9 exec turbo run build --filter=@kv/server...
exec node apps/server/bin/etcd "$@"
