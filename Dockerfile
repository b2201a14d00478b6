# syntax=docker/dockerfile:1
# One image for every swx component: the hub, the agency services, the NSW endpoints, the
# hub's extra delivery workers and the one-shot init. docker-compose.yml picks the command.
#
# Two stages. The first builds wheels: swx's own, and one for each dependency. The second
# installs them and nothing else: no source tree, no compiler, no build backend; the code
# finds its schemas, samples, migrations and dashboard files inside the installed package
# (services/kernel/resources.py), as after `pip install` anywhere else.

FROM python:3.11-slim AS build

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /src

# The dependencies first, from pyproject.toml alone: a change to the code does not rebuild them.
# Pinned by requirements.lock: the image runs the versions make and CI test.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
 && pip wheel --wheel-dir /wheels -r /tmp/requirements.txt -c requirements.lock

# Then swx's own wheel, from exactly what it ships (.dockerignore keeps the rest out).
COPY README.md LICENSE NOTICE ./
COPY services ./services
COPY schemas ./schemas
COPY fixtures ./fixtures
RUN pip wheel --no-deps --wheel-dir /wheels .


FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

RUN groupadd --system --gid 10001 swx \
 && useradd --system --uid 10001 --gid swx --create-home --home-dir /home/swx --shell /usr/sbin/nologin swx

# The built wheels, mounted for this one step: installed offline, none of them left in a layer.
# Owned by root, so the services cannot change their own code.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels swx

RUN mkdir -p /network /var/lib/swx \
 && mkdir -p -m 0700 /var/lib/swx-network \
 && for component in hub customs immigration port nsw-jp nsw-kh nsw-la nsw-mm nsw-th nsw-vn init-databases; do \
        mkdir -p -m 0700 "/secrets/$component"; \
    done \
 && mkdir -p -m 0755 /secrets/postgres \
 && chown swx:swx /network /var/lib/swx /var/lib/swx-network /secrets/*

# The mount points of the volumes the init service fills (docker-compose.yml): an empty named
# volume takes the owner and mode of the directory it is first mounted on, so the init can
# write them as swx, and each keeps that owner and mode wherever it is mounted later.
# /network: the public network directory. /var/lib/swx-network: the whole directory, every
# key, token and password (the init's alone). /secrets/<component>: each component's own
# secrets, owner-only (postgres, which reads its password as its own user, may traverse its own).
# /var/lib/swx: each service's data directory (its databases are in PostgreSQL).
USER swx
WORKDIR /home/swx
EXPOSE 8000

# Every HTTP component listens on 8000 and answers /healthz (200 when its database is up);
# slim has no curl, so Python's urllib asks.
HEALTHCHECK --interval=5s --timeout=4s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"]

CMD ["python", "-m", "services.kernel.web.server", "services.hub.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]
