#!/usr/bin/env bash
# Starts the Socket.IO 4.8 broadcast peer in the foreground (npm ci first if needed). PORT (default 18082).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
if [[ ! -d node_modules/socket.io ]]; then
  npm ci --no-audit --no-fund >&2
fi
exec node server.js
