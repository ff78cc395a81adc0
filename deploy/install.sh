#!/bin/sh
# Installs Facteur for a clinic, as docs/operations.md ("Deployment") describes: a system user
# owns the data, staff come in through sudo (the shipped rule) or SSH (their keys). Run as root
# from a checkout or an unpacked release; safe to run again (an upgrade runs it again).
#
#   sudo sh deploy/install.sh            # then: sudo facteur staff add LOGIN --name … --roles …
#
# Settings, from the environment (defaults in brackets):
#   PREFIX       where Facteur is installed [/opt/facteur]
#   OWNER        the system user that owns the data [facteur]
#   DATA         its home: settings, database, cache, slips [/var/lib/facteur]
#   STAFF_GROUP  who may run Facteur through sudo [facteur-staff]
#   ADMIN_GROUP  who may edit the clinic's wording [facteur-admins]
#   WORDING      the clinic's override catalogs [/etc/facteur/locales]
#   SUDOERS      the sudo rule [/etc/sudoers.d/facteur]
#   BIN          where the `facteur` command is linked [/usr/local/bin]
#   FIRST_ADMIN  the first admin's login [who ran sudo]
#   PYTHON       Python 3.11 or newer [python3]
#   UV           a uv binary to install with (faster); else python -m venv and pip
set -eu
PREFIX=${PREFIX:-/opt/facteur}
OWNER=${OWNER:-facteur}
DATA=${DATA:-/var/lib/facteur}
STAFF_GROUP=${STAFF_GROUP:-facteur-staff}
ADMIN_GROUP=${ADMIN_GROUP:-facteur-admins}
WORDING=${WORDING:-/etc/facteur/locales}
SUDOERS=${SUDOERS:-/etc/sudoers.d/facteur}
BIN=${BIN:-/usr/local/bin}
FIRST_ADMIN=${FIRST_ADMIN:-${SUDO_USER:-}}
PYTHON=${PYTHON:-python3}
SOURCE=$(cd "$(dirname "$0")/.." && pwd)

[ "$(id -u)" -eq 0 ] || { echo "install.sh: run it as root (sudo sh deploy/install.sh)" >&2; exit 1; }
command -v sudo >/dev/null || { echo "install.sh: install sudo first (apt-get install sudo)" >&2; exit 1; }

# The groups and the owner. "*" as its password: no password opens it, yet SSH keys may.
getent group "$STAFF_GROUP" >/dev/null || groupadd --system "$STAFF_GROUP"
getent group "$ADMIN_GROUP" >/dev/null || groupadd --system "$ADMIN_GROUP"
if ! getent passwd "$OWNER" >/dev/null; then
  useradd --system --user-group --home-dir "$DATA" --create-home --shell /bin/sh "$OWNER"
  usermod -p '*' "$OWNER"
fi
install -d -o "$OWNER" -g "$OWNER" -m 700 "$DATA"
chmod 700 "$DATA"  # whatever it was: the data is the owner's alone

# The program, from the lock: exactly the tested versions, each checked against its hash.
if [ -n "${UV:-}" ]; then
  [ -x "$PREFIX/bin/python" ] || "$UV" venv --quiet --python "$PYTHON" "$PREFIX"
  "$UV" pip sync --quiet --python "$PREFIX/bin/python" --require-hashes "$SOURCE/requirements.lock"
  install_project() { "$UV" pip install --quiet --python "$PREFIX/bin/python" --no-deps --no-build-isolation "$@"; }
else
  [ -x "$PREFIX/bin/python" ] || "$PYTHON" -m venv "$PREFIX"
  "$PREFIX/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$SOURCE/requirements.lock"
  install_project() { "$PREFIX/bin/pip" install --quiet --disable-pip-version-check --no-deps --no-build-isolation "$@"; }
fi
install_project "$SOURCE"
chown -R root:root "$PREFIX"
chmod -R go-w "$PREFIX"

# Who owns the data and where its settings are: read by `facteur` at every start, trusted
# because only root may write it.
cat > "$PREFIX/facteur-install.toml" <<TOML
# Written by deploy/install.sh. Staff who run facteur go through sudo as this owner.
owner = "$OWNER"
config = "$DATA/facteur.toml"
staff_group = "$STAFF_GROUP"
TOML
chmod 644 "$PREFIX/facteur-install.toml"

# The clinic's wording: admins edit it (it is no health data); Facteur checks every edit on load.
install -d -m 755 "$(dirname "$WORDING")"
install -d -o "$OWNER" -g "$ADMIN_GROUP" -m 2775 "$WORDING"
if [ ! -e "$DATA/facteur.toml" ]; then
  umask 077
  cat > "$DATA/facteur.toml" <<TOML
# Facteur's settings (docs/operations.md). Relative paths start in this folder.
[locales]
override_dir = "$WORDING"
TOML
  chown "$OWNER:$OWNER" "$DATA/facteur.toml"
fi

# The sudo door: exactly this program, as the owner, for the staff group.
rule=$(mktemp)
sed -e "s|/opt/facteur/bin/facteur|$PREFIX/bin/facteur|g" -e "s|%facteur-staff|%$STAFF_GROUP|" \
    -e "s|(facteur)|($OWNER)|" "$SOURCE/deploy/facteur.sudoers" > "$rule"
visudo -cqf "$rule"
install -o root -g root -m 440 "$rule" "$SUDOERS"
rm -f "$rule"
install -d -m 755 "$BIN"
ln -sf "$PREFIX/bin/facteur" "$BIN/facteur"

# The database, created or upgraded by the owner (root's `facteur` runs as the owner).
if [ -n "$FIRST_ADMIN" ]; then
  "$PREFIX/bin/facteur" db init --admin "$FIRST_ADMIN"
else
  "$PREFIX/bin/facteur" db init
fi
echo "Facteur is installed in $PREFIX; its data is $DATA, owned by $OWNER."
echo "Add staff: sudo usermod -aG $STAFF_GROUP LOGIN && sudo facteur staff add LOGIN --name 'Name' --roles billing"
