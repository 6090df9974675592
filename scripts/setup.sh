#!/usr/bin/env bash
# One-time (per machine) setup, then a no-op: node modules, and the Temporal CLI v1.5.1 built with Go into a cache
# shared by every clone. Nothing here downloads a Temporal server binary.
set -euo pipefail
cd "$(dirname "$0")/.."

quiet=0
[ "${1:-}" = "--quiet" ] && quiet=1
say() { [ "$quiet" = 1 ] || printf 'setup: %s\n' "$*"; }

if [ ! -d node_modules/@temporalio/worker ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing node modules (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# Headless Chromium (Debian's package) for the tests that look at the Temporal Web UI as ops see it
# (test/e2e/web-ui.test.ts); CHROMIUM_PATH names another build. Installed once per machine, where apt-get may run.
if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's chromium (once per machine)"
    apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null; }
  else
    echo "setup: chromium is not installed and apt-get cannot run here: install Debian's chromium package (or set CHROMIUM_PATH) for the Web UI tests" >&2
  fi
fi

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/dentrix-pipedrive/temporal-cli-v1.5.1"
cli="${TEMPORAL_CLI_PATH:-$cache_root/temporal}"
if [ -x "$cli" ]; then
  say "Temporal CLI ready at $cli"
  exit 0
fi
if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
  echo "setup: TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH does not exist or is not executable" >&2
  exit 1
fi
if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<'MSG'
setup: Go is not installed, so the Temporal CLI v1.5.1 cannot be built here.
  Install Go >= 1.25 and re-run, or set TEMPORAL_CLI_PATH to a Temporal CLI binary.
  (Without Go, @temporalio/testing can download its own dev server: see README, "Machines without Go".)
MSG
  exit 1
fi

mkdir -p "$cache_root"
lock="$cache_root/.build.lock"
exec 9>"$lock"
flock 9
if [ -x "$cli" ]; then exit 0; fi # another process built it while we waited

tmp_bin="$(mktemp -d)"
say "building Temporal CLI v1.5.1 with Go (once per machine; a few minutes)"
if GOBIN="$tmp_bin" GOFLAGS=-mod=mod go install github.com/temporalio/cli/cmd/temporal@v1.5.1; then
  mv "$tmp_bin/temporal" "$cli"
else
  say "go install was refused; building from tools/temporal-cli instead"
  (cd tools/temporal-cli && CGO_ENABLED=0 go build -o "$tmp_bin/temporal" .)
  mv "$tmp_bin/temporal" "$cli"
fi
rmdir "$tmp_bin" 2>/dev/null || true
say "Temporal CLI ready at $cli"
