#!/bin/sh
# Makes this machine able to build and run the project's images, idempotently (each step is skipped when
# its result is already there): Debian's docker.io and debootstrap, a running dockerd, and base images made
# locally, since no registry can be reached:
#   node:<NODE_VERSION>-bookworm-slim  the Dockerfile's FROM: Debian bookworm (minbase), this machine's node
#                                      and npm, a `node` user (uid 1000) as in the official image
#   audit-deploy/nats:bookworm         Debian's nats-server
#   audit-deploy/postgres:bookworm     Debian's postgresql
# Needs root. Usage: sh tools/deploy-checks/docker/setup.sh
set -eu

NODE_VERSION=$(sed -n 's/^ARG NODE_VERSION=//p' "$(dirname "$0")/../../../Dockerfile")
WORK=${DEPLOY_CHECKS_WORK:-/var/tmp/audit-deploy-checks}
mkdir -p "$WORK"

if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io debootstrap
fi

if ! docker info >/dev/null 2>&1; then
  nohup dockerd >"$WORK/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start: see $WORK/dockerd.log" >&2; exit 1; }
fi

# debootstrap's downloads are kept, so the three roots fetch the shared packages once.
mkdir -p "$WORK/debs"
rootfs() { # <dir> [packages]
  [ -f "$1/.done" ] && return 0
  rm -rf "$1"
  debootstrap --variant=minbase --cache-dir="$WORK/debs" ${2:+--include=$2} bookworm "$1" http://deb.debian.org/debian
  rm -rf "$1/var/cache/apt/archives/"*.deb "$1/var/lib/apt/lists/"*
  touch "$1/.done"
}
import_image() { # <dir> <tag> [docker import --change ...]
  dir=$1; tag=$2; shift 2
  docker image inspect "$tag" >/dev/null 2>&1 && return 0
  tar -C "$dir" --exclude=./.done -c . | docker import "$@" - "$tag"
}

NODE_ROOT="$WORK/node-rootfs"
if ! docker image inspect "node:$NODE_VERSION-bookworm-slim" >/dev/null 2>&1; then
  rootfs "$NODE_ROOT" ca-certificates
  install -m 755 "$(command -v node)" "$NODE_ROOT/usr/local/bin/node"
  rm -rf "$NODE_ROOT/usr/local/lib/node_modules/npm"
  mkdir -p "$NODE_ROOT/usr/local/lib/node_modules"
  cp -a "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$NODE_ROOT/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$NODE_ROOT/usr/local/bin/npm"
  # The machine's CA bundle: npm inside `docker build --network host` reaches the registry as npm here does.
  cp /etc/ssl/certs/ca-certificates.crt "$NODE_ROOT/etc/ssl/certs/ca-certificates.crt"
  chroot "$NODE_ROOT" sh -c 'getent passwd node >/dev/null || { groupadd -g 1000 node && useradd -u 1000 -g node -m -s /bin/sh node; }'
  import_image "$NODE_ROOT" "node:$NODE_VERSION-bookworm-slim" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' --change 'CMD ["node"]'
fi

if ! docker image inspect audit-deploy/nats:bookworm >/dev/null 2>&1; then
  rootfs "$WORK/nats-rootfs" nats-server
  import_image "$WORK/nats-rootfs" audit-deploy/nats:bookworm --change 'ENTRYPOINT ["/usr/sbin/nats-server"]'
fi

if ! docker image inspect audit-deploy/postgres:bookworm >/dev/null 2>&1; then
  rootfs "$WORK/postgres-rootfs" postgresql
  import_image "$WORK/postgres-rootfs" audit-deploy/postgres:bookworm --change 'USER postgres' \
    --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin'
fi

docker images --format '{{.Repository}}:{{.Tag}}' | grep -E "^(node:$NODE_VERSION-bookworm-slim|audit-deploy/)"
