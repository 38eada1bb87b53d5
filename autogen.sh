#!/bin/sh
# Generate configure and Makefile.in from configure.ac and Makefile.am.
set -e
cd "$(dirname "$0")"
mkdir -p build-aux m4
autoreconf --install --force --warnings=all
# Automake's TAP driver runs every test; it is only copied when asked for.
for dir in /usr/share/automake-*; do
	if [ -f "$dir/tap-driver.sh" ]; then
		cp "$dir/tap-driver.sh" build-aux/tap-driver.sh
		break
	fi
done
[ -f build-aux/tap-driver.sh ] || { echo "autogen.sh: automake's tap-driver.sh not found" >&2; exit 1; }
