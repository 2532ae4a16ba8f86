#!/usr/bin/env bash
# Generates the perp_pool IDL from the program source with the Anchor 0.29 CLI (`anchor idl parse`,
# which needs no SBF toolchain) and writes it to client/perp_pool/idl/perp_pool.json.
#
#   scripts/gen-idl.sh           regenerate the committed IDL
#   scripts/gen-idl.sh --check   exit 1 with a diff if the committed IDL is stale
#
# The CLI comes from the npm package @coral-xyz/anchor-cli (it ships the x86-64 Linux binary) and
# is installed on first use into a cache outside the repo:
#   ${PERP_POOL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/perp_pool}/anchor-cli
set -euo pipefail

ANCHOR_CLI_VERSION="0.29.0"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${PERP_POOL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/perp_pool}/anchor-cli"
IDL_REL="client/perp_pool/idl/perp_pool.json"
SRC_REL="programs/perp_pool/src/lib.rs"

usage() {
    echo "usage: $0 [--check]" >&2
    exit 2
}

check=0
case "${1:-}" in
    "") ;;
    --check) check=1 ;;
    -h|--help) usage ;;
    *) usage ;;
esac

log() { echo "gen-idl: $*" >&2; }

anchor_bin() {
    local bin="$CACHE_DIR/node_modules/@coral-xyz/anchor-cli/anchor"
    if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -qx "anchor-cli $ANCHOR_CLI_VERSION"; then
        echo "$bin"
        return
    fi
    if ! command -v npm >/dev/null 2>&1; then
        log "npm is required to install @coral-xyz/anchor-cli@$ANCHOR_CLI_VERSION"
        exit 1
    fi
    if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
        log "the npm anchor-cli package only ships a Linux x86-64 binary; install anchor $ANCHOR_CLI_VERSION with avm and put it on PATH as ANCHOR_BIN"
        exit 1
    fi
    log "installing @coral-xyz/anchor-cli@$ANCHOR_CLI_VERSION into $CACHE_DIR"
    mkdir -p "$CACHE_DIR"
    npm install --prefix "$CACHE_DIR" --no-audit --no-fund --loglevel=error \
        "@coral-xyz/anchor-cli@$ANCHOR_CLI_VERSION" >&2
    if [[ ! -x "$bin" ]]; then
        log "anchor binary not found at $bin after install"
        exit 1
    fi
    echo "$bin"
}

ANCHOR="${ANCHOR_BIN:-$(anchor_bin)}"

cd "$REPO_ROOT"
if [[ ! -f Anchor.toml ]]; then
    log "Anchor.toml missing at the repo root (anchor idl parse needs it)"
    exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$ANCHOR" idl parse -f "$SRC_REL" -o "$tmp/perp_pool.json" >&2
# Stable formatting (2-space indent, trailing newline) so diffs stay readable.
python3 - "$tmp/perp_pool.json" <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as f:
    idl = json.load(f)
with open(path, "w") as f:
    json.dump(idl, f, indent=2)
    f.write("\n")
PY

if [[ "$check" == 1 ]]; then
    if [[ ! -f "$IDL_REL" ]]; then
        log "$IDL_REL does not exist; run scripts/gen-idl.sh"
        exit 1
    fi
    if ! diff -u "$IDL_REL" "$tmp/perp_pool.json"; then
        log "$IDL_REL is stale; run scripts/gen-idl.sh and commit the result"
        exit 1
    fi
    log "$IDL_REL is up to date"
    exit 0
fi

mkdir -p "$(dirname "$IDL_REL")"
cp "$tmp/perp_pool.json" "$IDL_REL"
log "wrote $IDL_REL"
