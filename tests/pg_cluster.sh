#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster under a temporary folder, loopback only, run the
# given command with DATABASE_URL pointing at it, then stop and remove the cluster.
# Used by `make test-postgres`. Installs Debian's postgresql when missing and root.
set -euo pipefail

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

if [ -z "$(pg_bin)" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's postgresql for the PostgreSQL test run..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "!!! PostgreSQL is not installed and this is not root: cannot run the PostgreSQL suite" >&2
    exit 1
  fi
fi
BIN=$(pg_bin)
DIR=$(mktemp -d /tmp/kb-pg.XXXXXX)
PORT=${KB_PG_PORT:-$((20000 + RANDOM % 20000))}
RUNAS=()
if [ "$(id -u)" = "0" ]; then
  # PostgreSQL refuses to run as root: give the cluster to the postgres user.
  chown postgres "$DIR"
  RUNAS=(runuser -u postgres --)
fi
cleanup() {
  "${RUNAS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT
"${RUNAS[@]}" "$BIN/initdb" -D "$DIR/data" -U kb --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${RUNAS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
"${RUNAS[@]}" "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U kb kb
export DATABASE_URL="postgres://kb@127.0.0.1:$PORT/kb"
echo "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on port $PORT"
"$@"
