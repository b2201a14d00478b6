#!/bin/sh
# The database server of docker-compose.yml on Debian's PostgreSQL 15 (the image
# deploy/offline-images.sh makes), doing what the compose file asks of the official image:
#   POSTGRES_USER            the administrator initdb creates (default postgres)
#   POSTGRES_PASSWORD_FILE   its password, read once, when the data directory is made
#   PGDATA                   the data directory, /var/lib/postgresql/data (a volume)
# and then the server on every address, password (SCRAM) authentication over TCP, trust on
# the container's own socket. The data directory is complete before the server starts, so a
# server that answers pg_isready is ready. Runs as the image's user, postgres.
set -eu

PGDATA=${PGDATA:-/var/lib/postgresql/data}

if [ "${1:-}" != postgres ]; then
    exec "$@"
fi
shift

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    password_file=${POSTGRES_PASSWORD_FILE:-}
    if [ -z "$password_file" ] || [ ! -r "$password_file" ]; then
        echo "swx-postgres: POSTGRES_PASSWORD_FILE ('$password_file') names no readable file: no administrator password" >&2
        exit 1
    fi
    echo "swx-postgres: a new data directory in $PGDATA, administrator ${POSTGRES_USER:-postgres}"
    initdb --pgdata="$PGDATA" --username="${POSTGRES_USER:-postgres}" --pwfile="$password_file" \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    printf '%s\n' '# any address, with the password (swx-postgres)' 'host all all all scram-sha-256' \
        >> "$PGDATA/pg_hba.conf"
fi

exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
