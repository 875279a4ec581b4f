#!/usr/bin/env bash
# The README's two set-up commands, for a fresh Debian machine:
#   bash scripts/dev.sh demo   # the platform with the demo competitions, on embedded defaults
#   bash scripts/dev.sh test   # the whole test suite against real services
# Both install what they need (Debian packages when root, a project venv), start the
# project-local services, and are safe to run again.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
cd "$ROOT"

log() { echo "[dev] $*" >&2; }

ensure_debian_packages() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    log "please install: sudo apt-get install ${missing[*]}"; exit 1
  fi
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_venv() {
  # Re-installs only when pyproject.toml changed since the last successful install.
  local stamp="$VENV/.stylearena-installed" want
  want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  log "installing Python dependencies into $VENV (torch comes from this machine's disk)"
  "$VENV/bin/pip" install -q --upgrade pip >/dev/null 2>&1 || true
  "$VENV/bin/pip" install -q "torch==2.14.1" "torchvision==0.29.1"
  "$VENV/bin/pip" install -q -e ".[test]"
  # ArtFID's reference implementation, for the agreement test: --no-deps because it pins
  # numpy<2 (its code runs on numpy 2; its other imports are in the test extra).
  "$VENV/bin/pip" install -q --no-deps "art-fid==0.0.2"
  echo "$want" > "$stamp"
}

cmd="${1:-}"; shift || true
case "$cmd" in
  demo)
    ensure_debian_packages redis-server docker.io debootstrap
    ensure_venv
    exec "$VENV/bin/stylearena" demo "$@"
    ;;
  test)
    ensure_debian_packages redis-server postgresql docker.io debootstrap chromium wrk docker-compose
    ensure_venv
    bash scripts/services.sh start all
    log "building (or reusing) the sandbox image"
    "$VENV/bin/stylearena" sandbox build-image
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  *)
    echo "usage: bash scripts/dev.sh demo|test [args...]" >&2; exit 2 ;;
esac
