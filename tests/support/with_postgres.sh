#!/usr/bin/env bash
# with_postgres.sh CMD ARGS...: runs a test binary with a private PostgreSQL 15 server (postgres.sh), its socket
# directory in CARDCTL_TEST_POSTGRES_SOCKET; the server is stopped afterwards. Exit 77 (skipped) without PostgreSQL.
set -u
. "$(dirname "$0")/postgres.sh"
trap pg_stop EXIT
pg_start
CARDCTL_TEST_POSTGRES_SOCKET=$PG_SOCKET "$@"
