#!/usr/bin/env bash
# Run the tests. Set TEST_DATABASE_URL / TEST_REDIS_URL to include PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")"
EXTRAS=test source ./setup.sh
exec .venv/bin/python -m pytest "$@"
