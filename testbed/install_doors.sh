#!/bin/sh
# Installs Debian's sudo and OpenSSH server for the tests of the staff's doors (testbed/doors.py)
# when they are missing; `make test` runs this. The tests start an sshd of their own on loopback;
# the package's own is never started. This never fails the build: without root and apt-get it
# says why, and those tests skip with the same reason.
set -u
if [ -x /usr/sbin/sshd ] && command -v sudo >/dev/null 2>&1 && command -v ssh >/dev/null 2>&1; then
  exit 0
fi
skip() {
  echo "sudo or the OpenSSH server is missing and $1: the doors' tests will be skipped." >&2
  exit 0
}
[ "$(id -u)" -eq 0 ] || skip "installing them needs root"
command -v apt-get >/dev/null 2>&1 || skip "there is no apt-get to install them"
echo "Installing sudo and the OpenSSH server from Debian's packages for the tests (apt-get)..." >&2
# policy-rc.d keeps the package from starting its own sshd on port 22.
sh -c '
  made=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made=1
  fi
  { apt-get update -qq || true; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    sudo openssh-server openssh-client >/dev/null
  status=$?
  [ -z "$made" ] || rm -f /usr/sbin/policy-rc.d
  exit $status
' || skip "apt-get could not install them"
