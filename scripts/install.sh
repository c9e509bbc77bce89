#!/usr/bin/env bash
# Installs everything the project builds and tests with, on a machine that has only node and npm.
# Debian's etcd 3.4 (server and etcdctl) is the reference our compatibility tests compare against.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v etcd >/dev/null 2>&1 || ! command -v etcdctl >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    # Keep the package from starting a system etcd on 2379: tests start their own servers.
    made_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
    fi
    apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server etcd-client >/dev/null || \
      echo "install.sh: warning: could not install Debian's etcd-server/etcd-client; comparison tests will skip"
    [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
  else
    echo "install.sh: warning: etcd/etcdctl not found and cannot apt-get; comparison tests will skip"
  fi
fi

# promtool (Debian's prometheus package) checks apps/server's etcd alert rules; the test skips without it.
if ! command -v promtool >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
  fi
  apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null || \
    echo "install.sh: warning: could not install Debian's prometheus (promtool); the alert rules test will skip"
  [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
fi

npx -y pnpm@10.34.9 install --frozen-lockfile
