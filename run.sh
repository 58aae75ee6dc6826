#!/usr/bin/env bash
# Start the bot. With BOT_TOKEN (in .env or the environment) it serves Telegram; without one it
# starts the offline sandbox with a demo county and prints the address to open.
set -euo pipefail
cd "$(dirname "$0")"
source ./setup.sh
if [ -n "${BOT_TOKEN:-}" ] || grep -qsE '^\s*BOT_TOKEN\s*=\s*\S' .env; then
  exec .venv/bin/python -m bot run "$@"
fi
exec .venv/bin/python -m bot sandbox "$@"
