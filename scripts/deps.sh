#!/bin/sh
# Install the Debian packages picket needs to build and test, when missing.
# Runs apt-get as root, or through sudo when available; otherwise says what
# to install and fails.
set -eu

PKGS="build-essential cmake pkg-config gettext
libsqlite3-dev libiniparser-dev libncurses-dev libcurl4-openssl-dev
libjansson-dev libmicrohttpd-dev libgnutls28-dev libpq-dev postgresql uuid-dev libsodium-dev libcmocka-dev
sqlite3 openssl curl tmux valgrind locales tzdata clang-format clang libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "picket: missing build dependencies:$missing" >&2
	echo "picket: install them as root: apt-get install$missing" >&2
	exit 1
fi

echo "picket: installing build dependencies:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
