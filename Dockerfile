# One image for every swx component: the hub, the agency services, the NSW endpoints, the
# hub's extra delivery workers and the one-shot init. docker-compose.yml picks the command.
#
# Two stages on one base image, BASE_IMAGE (python:3.11-slim by default; any image with
# Python 3.11 and its venv module will do: deploy/offline-images.sh makes one from Debian's
# packages where no registry is reachable). The first builds wheels, swx's own and one for
# each dependency, and installs them into a virtual environment, /opt/swx. The second takes
# that environment and nothing else: no source tree, no wheel, no compiler, no pip; the code
# finds its schemas, samples, migrations and dashboard files inside the installed package
# (services/kernel/resources.py), as after `pip install` anywhere else. Both the classic
# builder and BuildKit build it.

ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS build
LABEL org.opencontainers.image.title="swx build stage"

# 1: take every wheel from deploy/wheelhouse alone and never ask an index (the offline path,
# deploy/compose.offline.yml); 0: the wheelhouse first, then the index pip is configured for.
ARG PIP_NO_INDEX=0

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PIP_FIND_LINKS=/wheelhouse

WORKDIR /src
RUN python -m venv /opt/swx

# The dependencies first, from pyproject.toml alone: a change to the code does not rebuild them.
# Pinned by requirements.lock: the image runs the versions make and CI test.
COPY pyproject.toml requirements.lock ./
COPY deploy/wheelhouse/ /wheelhouse/
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
 && /opt/swx/bin/pip wheel --wheel-dir /wheels -r /tmp/requirements.txt -c requirements.lock

# Then swx's own wheel, from exactly what it ships (.dockerignore keeps the rest out), and the
# install of them all: from the built wheels only, not editable. pip and setuptools leave the
# environment afterwards; the wheels stay in this stage.
COPY README.md LICENSE NOTICE ./
COPY services ./services
COPY schemas ./schemas
COPY fixtures ./fixtures
RUN /opt/swx/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/swx/bin/pip install --no-index --find-links /wheels swx \
 && /opt/swx/bin/pip uninstall --yes pip setuptools


FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="swx" \
      org.opencontainers.image.licenses="Apache-2.0"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/swx/bin:$PATH

RUN groupadd --system --gid 10001 swx \
 && useradd --system --uid 10001 --gid swx --create-home --home-dir /home/swx --shell /usr/sbin/nologin swx

# The installed environment alone. Owned by root, so the services cannot change their own code.
COPY --from=build /opt/swx /opt/swx

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
# the image has no curl, so Python's urllib asks. Two minutes to start: each container first
# migrates its database (swx migrate), and compose starts ten of them at once.
HEALTHCHECK --interval=5s --timeout=4s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"]

CMD ["python", "-m", "services.kernel.web.server", "services.hub.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]
