# A private PostgreSQL 15 server for a test (docs/architecture.md#tests): initdb in a temporary directory, a Unix
# socket there and no TCP port, stopped by PID. The server refuses to run as root, so as root it runs as the
# unprivileged user `postgres` (made by Debian's postgresql package) or `nobody`. Source it, then:
#
#   pg_start            # sets PG_DIR, PG_PID, PG_SOCKET; exits 77 (skipped) when PostgreSQL 15 is not installed
#   url=$(pg_new_database NAME)   # a new empty database, as a postgresql:// URL
#   pg_psql NAME "SQL"  # runs SQL in database NAME (for tests that tamper)
#   pg_stop             # also run by the EXIT trap the caller sets (pg_stop is idempotent)

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=
PG_PID=
PG_SOCKET=
PG_USER=

_pg_as() {  # _pg_as CMD...: runs CMD as the server's user
  if [[ $(id -u) == 0 ]]; then
    runuser -u "$PG_USER" -- "$@"
  else
    "$@"
  fi
}

pg_start() {
  [[ -x $PG_BIN/initdb && -x $PG_BIN/postgres ]] || { echo "postgres.sh: PostgreSQL 15 is not installed" >&2; exit 77; }
  if [[ $(id -u) == 0 ]]; then
    PG_USER=postgres
    id -u postgres >/dev/null 2>&1 || PG_USER=nobody
  else
    PG_USER=$(id -un)
  fi
  # Outside the caller's private temp directory, which the server's user cannot enter.
  PG_DIR=$(mktemp -d /tmp/cardctl-pg.XXXXXX)
  chmod 755 "$PG_DIR"
  [[ $(id -u) == 0 ]] && chown "$PG_USER" "$PG_DIR"
  PG_SOCKET=$PG_DIR
  _pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U cardctl --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 \
    >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; echo "postgres.sh: initdb failed" >&2; exit 1; }
  _pg_as "$PG_BIN/postgres" -D "$PG_DIR/data" -k "$PG_SOCKET" -c listen_addresses= -c fsync=off \
    -c synchronous_commit=off -c full_page_writes=off -c max_connections=50 >"$PG_DIR/server.log" 2>&1 &
  PG_PID=$!
  local i
  for i in $(seq 100); do
    [[ -S $PG_SOCKET/.s.PGSQL.5432 ]] && "$PG_BIN/pg_isready" -q -h "$PG_SOCKET" -U cardctl -d postgres && return 0
    kill -0 "$PG_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$PG_DIR/server.log" >&2
  echo "postgres.sh: the server did not start" >&2
  exit 1
}

pg_psql() {  # pg_psql DB SQL
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET" -U cardctl -d "$1" -At -c "$2"
}

pg_new_database() {  # pg_new_database NAME: prints its URL
  pg_psql postgres "CREATE DATABASE \"$1\"" >/dev/null || exit 1
  echo "postgresql:///$1?host=$PG_SOCKET&user=cardctl"
}

pg_stop() {
  if [[ -n $PG_PID ]]; then
    kill -INT "$PG_PID" 2>/dev/null  # fast shutdown
    local i
    for i in $(seq 100); do
      kill -0 "$PG_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$PG_PID" 2>/dev/null
    wait "$PG_PID" 2>/dev/null
    PG_PID=
  fi
  [[ -n $PG_DIR ]] && rm -rf "$PG_DIR"
  PG_DIR=
}
