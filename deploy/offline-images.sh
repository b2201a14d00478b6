#!/usr/bin/env bash
# What `docker compose up --build` needs where no container registry can be reached, made
# from Debian's packages and the Python package index this machine is configured for:
#
#   swx-offline/python:3.11-bookworm    Debian 12's Python 3.11, the base of the swx image
#   swx-offline/postgres:15-bookworm    Debian 12's PostgreSQL 15, run as the compose file's
#                                       `postgres` service (deploy/postgres/entrypoint.sh)
#   deploy/wheelhouse/                  a wheel for every dependency of swx, built here from
#                                       requirements.lock, and the build backend's
#
# deploy/compose.offline.yml points compose at them: the image is built on the first image
# with the wheelhouse as its only package source, without a network. `make offline-images`
# runs this script; then
#   docker compose -f docker-compose.yml -f deploy/compose.offline.yml up -d --build
#
# The base images are made once with debootstrap and `docker import`, and kept in the local
# engine: a later run only builds the wheels again (`--rebuild` makes the images again too).
# debootstrap runs as root (through sudo otherwise). PYTHON names the Python 3.11 that builds
# the wheels (default: the project's .venv, else python3.11); DEBIAN_MIRROR the Debian mirror.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON_IMAGE=swx-offline/python:3.11-bookworm
POSTGRES_IMAGE=swx-offline/postgres:15-bookworm
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
WHEELHOUSE=deploy/wheelhouse
DEBOOTSTRAP=$(command -v debootstrap || echo /usr/sbin/debootstrap)
if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3.11; fi
fi

rebuild=no
for argument in "$@"; do
    case "$argument" in
        --rebuild) rebuild=yes ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "offline-images: unknown argument '$argument' (only --rebuild)" >&2; exit 2 ;;
    esac
done

fail() { echo "offline-images: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

command -v docker >/dev/null 2>&1 || fail "docker is not installed (Debian: apt-get install docker.io)"
docker info >/dev/null 2>&1 || fail "the Docker engine does not answer (is dockerd running, may this user use it?)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null \
    || fail "$PYTHON is not Python 3.11, the image's: set PYTHON to one"
"$PYTHON" -m pip --version >/dev/null 2>&1 \
    || fail "$PYTHON has no pip to build the wheels with: run make once (it makes .venv), or set PYTHON"

work=$(mktemp -d "${TMPDIR:-/tmp}/swx-offline-images.XXXXXX")
cleanup() { as_root rm -rf "$work"; }
trap cleanup EXIT

build_wheels() {
    echo "offline-images: the wheels, from requirements.lock, into $WHEELHOUSE/"
    "$PYTHON" -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > "$work/requirements.txt"
    # the build backend swx's own wheel is built with, in the image, from the wheelhouse alone
    "$PYTHON" -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['build-system']['requires']))" \
        >> "$work/requirements.txt"
    find "$WHEELHOUSE" -maxdepth 1 -name '*.whl' -delete
    "$PYTHON" -m pip wheel --quiet --disable-pip-version-check --wheel-dir "$WHEELHOUSE" \
        -r "$work/requirements.txt" -c requirements.lock
    echo "offline-images: $(find "$WHEELHOUSE" -maxdepth 1 -name '*.whl' | wc -l) wheels"
}

# A Debian root file system holding `packages` and what they depend on, without the package
# lists, caches, manuals and translations an image has no use for.
bootstrap() {
    local root=$1 packages=$2
    echo "offline-images: debootstrap $SUITE ($packages) from $MIRROR"
    [ -x "$DEBOOTSTRAP" ] || fail "debootstrap is not installed (Debian: apt-get install debootstrap)"
    mkdir -p "$root.debs"
    as_root "$DEBOOTSTRAP" --variant=minbase --cache-dir="$root.debs" --include="$packages" \
        "$SUITE" "$root" "$MIRROR" > "$root.log" 2>&1 \
        || { tail -n 30 "$root.log" >&2; fail "debootstrap of $packages failed (its log above)"; }
    # the folder goes to the inner shell as its argument, never pasted into its script
    as_root sh -c 'cd "${1:?}" && rm -rf var/lib/apt/lists/* var/cache/apt/*.bin var/cache/apt/archives/*.deb \
        var/log/* usr/share/doc/* usr/share/man/* usr/share/info/* usr/share/locale/* tmp/* root/.cache' \
        sh "$root"
}

# `docker import` of a root file system with the image settings in `changes` (one per line).
import_image() {
    local root=$1 image=$2 changes=$3 options=()
    while IFS= read -r change; do
        [ -n "$change" ] && options+=(--change "$change")
    done <<< "$changes"
    as_root tar --numeric-owner --xattrs -C "$root" -c . | docker import "${options[@]}" - "$image" >/dev/null
    echo "offline-images: $image ($(docker image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1 / 1e6}'))"
}

have_image() { [ "$rebuild" = no ] && docker image inspect "$1" >/dev/null 2>&1; }

python_image() {
    if have_image "$PYTHON_IMAGE"; then echo "offline-images: $PYTHON_IMAGE is there, kept"; return; fi
    local root="$work/python"
    # python-is-python3: `python`, as in python:3.11-slim; passwd: the image adds its user
    bootstrap "$root" python3,python3-venv,python-is-python3,passwd
    import_image "$root" "$PYTHON_IMAGE" "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV LANG=C.UTF-8
CMD [\"python3\"]"
}

postgres_image() {
    if have_image "$POSTGRES_IMAGE"; then echo "offline-images: $POSTGRES_IMAGE is there, kept"; return; fi
    local root="$work/postgres"
    bootstrap "$root" postgresql-15
    # the package's own cluster is not used: the entrypoint makes one in the data volume on
    # its first start; the data directory's owner and mode are what the empty volume takes
    as_root rm -rf "$root/var/lib/postgresql/15" "$root/etc/postgresql/15"
    as_root chroot "$root" install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data
    as_root chroot "$root" install -d -o postgres -g postgres -m 2775 /run/postgresql
    as_root install -m 0755 deploy/postgres/entrypoint.sh "$root/usr/local/bin/swx-postgres-entrypoint"
    import_image "$root" "$POSTGRES_IMAGE" "ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV LANG=C.UTF-8
ENV PGDATA=/var/lib/postgresql/data
USER postgres
EXPOSE 5432
ENTRYPOINT [\"swx-postgres-entrypoint\"]
CMD [\"postgres\"]"
}

build_wheels
# the two root file systems are made side by side: most of the time goes to downloads
python_image & python_job=$!
postgres_image & postgres_job=$!
failed=0
wait "$python_job" || failed=1
wait "$postgres_job" || failed=1
[ "$failed" -eq 0 ] || fail "a base image could not be made (see above)"
echo "offline-images: done; now: docker compose -f docker-compose.yml -f deploy/compose.offline.yml up -d --build"
