#!/bin/sh
# `make static`: build the libraries (cached, build-deps.sh), then logpack in a static build
# tree of its own (BUILDDIR/static), and copy logpack-VERSION-linux-ARCH into BUILDDIR.
# Usage: make-static.sh SRCDIR BUILDDIR
set -eu
srcdir=$1
builddir=$2
jobs=${LOGPACK_STATIC_JOBS:-2}

prefix=$("$srcdir/build-aux/static/build-deps.sh" | tail -n 1)
mkdir -p "$builddir/static"
cd "$builddir/static"
if [ ! -f Makefile ]; then
	echo "make static: configuring in $builddir/static"
	LOGPACK_STATIC_PREFIX=$prefix "$srcdir/configure" --enable-static-binary >configure.out ||
		{ tail -n 30 configure.out >&2; exit 1; }
fi
make -j"$jobs" >make.out 2>&1 || { tail -n 40 make.out >&2; exit 1; }
for f in logpack-*-linux-*; do
	case $f in *.sha256 | *.p7s) continue ;; esac
	cp "$f" "$builddir/$f"
	echo "make static: $builddir/$f ($(wc -c <"$f") bytes)"
done
