#!/usr/bin/env bash
# Runs etcd's own end-to-end suite (tests/e2e of etcd 3.4, from Debian's golang-etcd-server-dev, built
# offline with Debian's Go) against our server, or against Debian's etcd with --server etcd. The client
# is always Debian's etcdctl 3.4. Prints PASS/FAIL/SKIP per test and a summary; see README.md beside it.
#
#   bash tests/etcd-e2e/run.sh [--server ours|etcd] [--ci] [--all] [--run REGEX] [--jobs N] [--keep]
#
# --ci runs the curated subset in ci-tests.txt (known to pass against ours) and fails if any fails.
# Exit codes: 0 all selected tests passed, 1 some failed, 77 prerequisites missing and not installable.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
server=ours
ci=""
all=""
filter=""
jobs=1
keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --server) server="$2"; shift 2 ;;
    --server=*) server="${1#*=}"; shift ;;
    --ci) ci=1; jobs=2; shift ;;
    --all) all=1; shift ;;
    --run) filter="$2"; shift 2 ;;
    --run=*) filter="${1#*=}"; shift ;;
    --jobs) jobs="$2"; shift 2 ;;
    --jobs=*) jobs="${1#*=}"; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$server" in ours|etcd) ;; *) echo "run.sh: --server is ours or etcd" >&2; exit 2 ;; esac

gopath=/usr/share/gocode
src="$gopath/src/go.etcd.io/etcd"
skip() { echo "run.sh: SKIP: $*"; exit 77; }

# ------------------------------------------------------------------ prerequisites (apt when root)
need=()
command -v go >/dev/null 2>&1 || need+=(golang-go)
[ -d "$src/tests/e2e" ] || need+=(golang-etcd-server-dev)
[ -x /usr/bin/etcdctl ] || need+=(etcd-client)
if [ "$server" = etcd ] && [ ! -x /usr/bin/etcd ]; then need+=(etcd-server); fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "run.sh: installing ${need[*]} with apt-get"
    made_policy=""
    # As scripts/install.sh: the etcd-server package must not start a system etcd.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
    fi
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1
    rc=$?
    [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
    [ $rc = 0 ] || skip "apt-get install ${need[*]} failed (rc $rc)"
  else
    skip "missing ${need[*]} (Debian packages) and not root with apt-get to install them"
  fi
fi
command -v go >/dev/null 2>&1 || skip "go not found after install"
[ -d "$src/tests/e2e" ] || skip "$src/tests/e2e not found after install"
if [ "$server" = ours ] && [ ! -f "$repo/apps/server/dist/main.js" ]; then
  echo "run.sh: apps/server is not built (run: npx -y pnpm@10.34.9 run build)" >&2
  exit 1
fi

# ------------------------------------------------------------------ build (cached by source version)
cache="${KV_ETCD_E2E_CACHE:-${TMPDIR:-/tmp}/kv-etcd-e2e-cache}"
key="$({
  go version
  dpkg-query -W golang-etcd-server-dev 2>/dev/null
  find "$src/tests/e2e" "$src/pkg/expect" -type f -printf '%P %s %T@\n' | sort
} | sha256sum | cut -c1-16)"
bin="$cache/$key/e2e.test"
mkdir -p "$cache/$key"
(
  flock 9
  if [ ! -x "$bin" ]; then
    echo "run.sh: building etcd's e2e suite from $src (GOPATH mode, offline; ~1-2 min the first time)"
    t0=$(date +%s)
    # Debian ships the sources GOPATH-style with every dependency as a package: no modules, no network.
    if ! (cd "$src/tests/e2e" && GOPATH="$gopath" GO111MODULE=off GOPROXY=off GOFLAGS= \
      GOCACHE="$cache/gocache" go test -c -o "$bin.tmp" . >"$cache/$key/build.log" 2>&1); then
      cat "$cache/$key/build.log" >&2
      echo "run.sh: build failed (log $cache/$key/build.log)" >&2
      exit 1
    fi
    mv "$bin.tmp" "$bin"
    echo "run.sh: built in $(($(date +%s) - t0)) s: $bin"
  fi
) 9>"$cache/lock" || exit 1

# ------------------------------------------------------------------ the tests to run
mapfile -t listed < <("$bin" -test.list '.*' | grep '^Test')
if [ -n "$ci" ]; then
  mapfile -t tests < <(grep -v '^#' "$here/ci-tests.txt" | awk 'NF { print $1 }')
elif [ -n "$all" ]; then
  tests=("${listed[@]}")
else
  # The v3 set: everything but the v2 API tests (our server speaks v3 only).
  mapfile -t tests < <(printf '%s\n' "${listed[@]}" | grep -Ev '^Test(CtlV2|V2Curl)')
fi
if [ -n "$filter" ]; then
  mapfile -t tests < <(printf '%s\n' "${tests[@]}" | grep -E -- "$filter")
fi
[ ${#tests[@]} -gt 0 ] || { echo "run.sh: no tests selected"; exit 1; }

# ------------------------------------------------------------------ layout the harness expects
# cwd is <work>/tests/e2e because a few tests use paths relative to etcd's tree (../../integration/fixtures
# for the JWT keys); bin/ holds etcd (ours or Debian's) and Debian's etcdctl.
work="$(mktemp -d "${TMPDIR:-/tmp}/kv-etcd-e2e.XXXXXX")"
mkdir -p "$work/tests/e2e" "$work/integration" "$work/bin" "$work/logs" "$work/tmp"
ln -s "$src/integration/fixtures" "$work/integration/fixtures"
if [ "$server" = ours ]; then
  ln -s "$repo/apps/server/bin/etcd" "$work/bin/etcd"
else
  ln -s /usr/bin/etcd "$work/bin/etcd"
fi
ln -s /usr/bin/etcdctl "$work/bin/etcdctl"
cleanup() { [ -n "$keep" ] && echo "run.sh: kept $work" || rm -rf "$work"; }
trap cleanup EXIT

# etcd's harness listens on fixed ports (20000 and up). As root each test gets its own network namespace
# (only loopback) and PID namespace, so those ports cannot clash with anything else on the machine and
# every process a test leaves behind dies with it.
isolate=""
if [ "$(id -u)" = 0 ] && unshare --net --pid --fork --kill-child true 2>/dev/null; then
  isolate=1
else
  echo "run.sh: warning: not root (or no unshare): tests use fixed ports 20000+ in the shared network namespace, one at a time"
  jobs=1
fi

# EXPECT_DEBUG=1 makes etcd's expect package copy every line the servers and etcdctl print into the log.
run_one() {
  local name="$1" log="$work/logs/$1.log" t0 rc
  t0=$(date +%s)
  local cmd=("$bin" -test.v -test.count 1 -test.timeout 150s -test.run "^${name}\$"
    -bin-dir "$work/bin" -cert-dir "$work/integration/fixtures")
  if [ -n "$isolate" ]; then
    (cd "$work/tests/e2e" && TMPDIR="$work/tmp" EXPECT_DEBUG=1 timeout -k 5 170 unshare --net --pid --fork --kill-child \
      sh -c 'ip link set lo up && exec "$@"' sh "${cmd[@]}") >"$log" 2>&1
  else
    (cd "$work/tests/e2e" && TMPDIR="$work/tmp" EXPECT_DEBUG=1 timeout -k 5 170 "${cmd[@]}") >"$log" 2>&1
  fi
  rc=$?
  local verdict=FAIL why=""
  # Not anchored: with EXPECT_DEBUG a child's last line may lack its newline and run into the verdict.
  if grep -q -- "--- SKIP: ${name} (" "$log"; then
    verdict=SKIP
  elif grep -q -- "--- PASS: ${name} (" "$log"; then
    verdict=PASS
    # TestMain's leaked-goroutine check can fail a process whose test passed: a pty reader still
    # draining a child's output. It happens against etcd too; the test counts as passed, marked.
    if [ $rc != 0 ] && grep -q '^Too many goroutines running after all test' "$log"; then
      why="(leaked-goroutine check failed after the pass)"
    elif [ $rc != 0 ]; then
      verdict=FAIL why="passed, then the process exited $rc"
    fi
  fi
  if [ $verdict = FAIL ] && [ -z "$why" ]; then
    # The first line the test itself reported (file.go:N: message), cut short; a timeout's stack dump
    # comes first, so that case reports the limit and the line after it.
    if grep -q 'test timed out after' "$log"; then
      why="$(grep -m1 -A1 'test timed out after' "$log" | sed -E 's/^\s+//' | paste -sd' ' | cut -c1-200)"
    else
      why="$(grep -m1 -E '^\s+[a-z0-9_]+\.go:[0-9]+: ' "$log" | sed -E 's/^\s+//' | cut -c1-200)"
    fi
    [ -n "$why" ] || why="rc $rc"
  fi
  printf '%s %s (%ss)%s\n' "$verdict" "$name" "$(($(date +%s) - t0))" "${why:+  $why}"
}

echo "run.sh: ${#tests[@]} tests of etcd $(dpkg-query -W -f='${Version}' golang-etcd-server-dev 2>/dev/null)" \
  "against $([ "$server" = ours ] && echo "ours ($repo/apps/server/bin/etcd)" || echo "Debian's /usr/bin/etcd")," \
  "client $(/usr/bin/etcdctl version 2>/dev/null | head -1), jobs $jobs"
results="$work/results.txt"
: >"$results"
running=0
for t in "${tests[@]}"; do
  run_one "$t" | tee -a "$results" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

pass=$(grep -c '^PASS ' "$results")
fail=$(grep -c '^FAIL ' "$results")
skipped=$(grep -c '^SKIP ' "$results")
echo
echo "run.sh: summary against $server: $pass passed, $fail failed, $skipped skipped of ${#tests[@]}"
if [ "$fail" -gt 0 ]; then
  echo "run.sh: failed:"
  grep '^FAIL ' "$results" | sed 's/^/  /'
  if [ -z "$keep" ]; then
    # Keep the logs of failures only: they are what one reads next.
    out="${TMPDIR:-/tmp}/kv-etcd-e2e-failures-$server"
    rm -rf "$out" && mkdir -p "$out"
    grep '^FAIL ' "$results" | awk '{ print $2 }' | while read -r n; do cp "$work/logs/$n.log" "$out/"; done
    echo "run.sh: logs of the failures in $out"
  fi
  exit 1
fi
exit 0
