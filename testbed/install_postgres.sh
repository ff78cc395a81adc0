#!/bin/sh
# Installs Debian's PostgreSQL server for the tests when it is missing; `make test` runs this.
# The tests start a throwaway cluster of their own (testbed/postgres.py), so the package is told
# not to create its system cluster. This never fails the build: without root (or sudo) and
# apt-get it says why, and the PostgreSQL tests skip with the same reason.
set -u
if ls "${FACTEUR_PG_LIB:-/usr/lib/postgresql}"/*/bin/initdb >/dev/null 2>&1; then
  exit 0
fi
if [ "${FACTEUR_PG_TESTS:-auto}" = off ]; then
  exit 0
fi
skip() {
  echo "PostgreSQL is not installed and $1: the PostgreSQL tests will be skipped." >&2
  exit 0
}
command -v apt-get >/dev/null 2>&1 || skip "there is no apt-get to install it"
if [ "$(id -u)" -eq 0 ]; then
  as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root="sudo -n"
else
  skip "installing it needs root (or sudo without a password)"
fi
echo "Installing PostgreSQL from Debian's packages for the tests (apt-get)..." >&2
$as_root sh -c '
  mkdir -p /etc/postgresql-common/createcluster.d &&
  echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/facteur-tests.conf &&
  apt-get update -qq &&
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
' || skip "apt-get could not install it"
