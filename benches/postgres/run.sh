#!/bin/sh
# Side by side with PostgreSQL 15 + PostGIS 3 (see benches/postgres.rs).
#
#   benches/postgres/run.sh --listings 100000 --queries 300
#
# Installs postgresql-15 and postgresql-15-postgis-3 from Debian when absent (needs
# root), starts a private cluster in a temporary directory (Unix socket only, no TCP;
# shared_buffers 1GB, no parallel workers), runs the bench against it, then stops the
# cluster and deletes it. Arguments go to the bench. Not part of `cargo test`.
# PG_KEEP=DIR keeps (or reuses) the cluster in DIR instead; add --reuse to skip
# loading again when it already holds the same listings.
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$PGBIN/postgres" ] || [ ! -e /usr/share/postgresql/15/extension/postgis.control ]; then
    echo "Installing PostgreSQL 15 and PostGIS 3 from Debian..."
    apt-get install -y postgresql-15 postgresql-15-postgis-3
fi

if [ -n "${PG_KEEP:-}" ]; then
    DIR=$PG_KEEP
    mkdir -p "$DIR"
else
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/signpost-pg.XXXXXX")
fi
PORT=${PG_PORT:-55432}
# PostgreSQL will not run as root: run it as the postgres user when we are root.
if [ "$(id -u)" = 0 ]; then
    chown postgres "$DIR"
    AS="runuser -u postgres --"
else
    AS=""
fi

stop() {
    $AS "$PGBIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true
    if [ -z "${PG_KEEP:-}" ]; then rm -rf "$DIR"; fi
}
trap stop EXIT INT TERM

if [ ! -e "$DIR/data/PG_VERSION" ]; then
    $AS "$PGBIN/initdb" -D "$DIR/data" -U postgres -A trust --no-sync >/dev/null
fi
$AS "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w start -o "\
 -c listen_addresses='' -c unix_socket_directories='$DIR' -c port=$PORT \
 -c shared_buffers=1GB -c effective_cache_size=4GB -c work_mem=64MB \
 -c maintenance_work_mem=1GB -c max_parallel_workers_per_gather=0 \
 -c max_parallel_maintenance_workers=0 -c jit=off -c fsync=off \
 -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=8GB \
 -c random_page_cost=1.1" >/dev/null
"$PGBIN/psql" -h "$DIR" -p "$PORT" -U postgres -Atc 'SELECT version()'

cd "$(dirname "$0")/../.."
cargo bench --features bench --bench postgres -- \
    --conn "host=$DIR port=$PORT user=postgres dbname=postgres" "$@"
