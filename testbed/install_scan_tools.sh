#!/bin/sh
# Installs Debian's zbar-tools (zbarimg) and poppler-utils (pdftoppm) for the tests that print an
# invoice to an image and read its QR codes back (tests/agent/test_paper_pay.py) when they are
# missing; `make test` runs this. This never fails the build: without root (or sudo) and apt-get it
# says why, and those tests skip with the same reason.
set -u
if command -v zbarimg >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1; then
  exit 0
fi
skip() {
  echo "zbarimg or pdftoppm is missing and $1: the QR code tests will be skipped." >&2
  exit 0
}
command -v apt-get >/dev/null 2>&1 || skip "there is no apt-get to install them"
if [ "$(id -u)" -eq 0 ]; then
  as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root="sudo -n"
else
  skip "installing them needs root (or sudo without a password)"
fi
echo "Installing zbar-tools and poppler-utils from Debian's packages for the tests (apt-get)..." >&2
$as_root sh -c '
  { apt-get update -qq || true; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends zbar-tools poppler-utils >/dev/null
' || skip "apt-get could not install them"
