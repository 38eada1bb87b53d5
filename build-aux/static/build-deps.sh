#!/bin/sh
# Build the libraries of the static logpack binary from Debian's own source packages, with musl.
#
# Sources come only from the Debian archive, through `apt-get source` with a private apt
# configuration (the host's sources.list is not touched): apt checks the archive's Release
# signature against Debian's keyring, and the hashes of every file it fetches. Versions are not
# pinned, since the archive keeps only the current one: whatever was built is recorded in
# $PREFIX/versions.txt and compiled into the binary (`logpack --version --verbose`).
#
# Everything goes into a cache outside the tree (LOGPACK_STATIC_CACHE, default
# /var/cache/logpack-static), so that a second run only checks that the stamp is there.
#
# Usage: build-deps.sh            build what is missing, print the prefix on the last line
#        build-deps.sh --clean    forget the cache first
set -eu

cache=${LOGPACK_STATIC_CACHE:-/var/cache/logpack-static}
arch=${LOGPACK_STATIC_ARCH:-x86_64}
suite=${LOGPACK_STATIC_SUITE:-bookworm}
jobs=${LOGPACK_STATIC_JOBS:-2}
prefix=$cache/root-$arch
src=$cache/src
aptdir=$cache/apt

# The source packages, in build order (each needs only those before it). Two chains that
# share nothing: the compression libraries and libarchive (with jansson, libyaml and ISA-L);
# OpenSSL, libssh2 and curl.
# LOGPACK_STATIC_PACKAGES builds a subset (two runs with the two chains may run at once).
all_packages="zlib libzstd xz-utils bzip2 libarchive jansson libyaml libisal openssl libssh2 curl"
packages=${LOGPACK_STATIC_PACKAGES:-$all_packages}

if [ "${1:-}" = --clean ]; then
	rm -rf "$prefix" "$src" "$aptdir"
fi

# A cache completed before a library joined the list lacks that library: build what is missing.
if [ -f "$prefix/.complete" ]; then
	missing=
	for p in $all_packages; do
		[ -f "$prefix/.built-$p" ] || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		echo "static deps: $prefix lacks$missing; building what is missing"
		rm -f "$prefix/.complete"
	fi
fi
if [ -f "$prefix/.complete" ]; then
	echo "static deps: reusing $prefix (remove it or run with --clean to rebuild)"
	cat "$prefix/versions.txt"
	echo "$prefix"
	exit 0
fi

case $arch in
x86_64)
	cc=${LOGPACK_STATIC_CC:-musl-gcc}
	host=x86_64-linux-musl
	openssl_target=linux-x86_64
	kernel_triplet=x86_64-linux-gnu
	;;
*)
	echo "static deps: architecture $arch is not supported by this script" >&2
	exit 1
	;;
esac
command -v "$cc" >/dev/null || {
	echo "static deps: $cc not found: apt-get install musl-tools" >&2
	exit 1
}
command -v dpkg-source >/dev/null || {
	echo "static deps: dpkg-source not found: apt-get install dpkg-dev" >&2
	exit 1
}

mkdir -p "$prefix/lib" "$prefix/include" "$src" "$aptdir/lists/partial" "$aptdir/archives/partial"

# musl's compiler wrapper sees only musl's headers; OpenSSL and libarchive also want a few
# Linux UAPI headers (asm/unistd.h for the raw getrandom call). Those are the kernel's, not
# glibc's, so they are safe to share; they come after musl's own in the search order.
kh=$cache/kernel-headers-$arch
if [ ! -d "$kh" ]; then
	mkdir -p "$kh"
	for d in linux asm-generic mtd; do
		ln -s "/usr/include/$d" "$kh/$d"
	done
	ln -s "/usr/include/$kernel_triplet/asm" "$kh/asm"
fi

# A private apt configuration that knows only deb-src lines of the Debian archive.
cat >"$aptdir/sources.list" <<SRC
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite-updates main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security $suite-security main
SRC
apt_private() {
	apt-get -q -o Dir::Etc::SourceList="$aptdir/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$aptdir/lists" \
		-o Dir::Cache="$aptdir" \
		-o APT::Get::Only-Source=true "$@"
}
# Once an hour at most: a second run right after the first (or beside it) reuses the lists.
if [ -z "$(find "$aptdir/lists" -name '*Sources*' -mmin -60 2>/dev/null | head -n 1)" ]; then
	echo "static deps: apt-get update (deb-src, $suite)"
	apt_private update >"$cache/apt-update.log" 2>&1 || {
		cat "$cache/apt-update.log" >&2
		exit 1
	}
fi

export CC="$cc"
export CFLAGS="-Os -fPIC -ffunction-sections -fdata-sections -idirafter $kh"
export CPPFLAGS="-I$prefix/include"
export LDFLAGS="-L$prefix/lib -static"
export PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig"
export PKG_CONFIG_PATH=

# Fetch and unpack one source package; print its directory.
fetch() {
	name=$1
	rm -rf "$src/$name"
	mkdir -p "$src/$name"
	# The newest version first; when a mirror does not serve that one's files (some
	# mirrors carry the security suite's indexes but not its source pool), the
	# newest of the point releases, then the release itself. Whichever is used is recorded.
	for target in "$name" "$name/$suite-updates" "$name/$suite"; do
		rm -rf "${src:?}/$name"/*
		if (cd "$src/$name" && apt_private source "$target" >fetch.log 2>&1); then
			break
		fi
		echo "static deps: apt-get source $target failed, trying an older suite" >&2
		target=
	done
	[ -n "$target" ] || {
		cat "$src/$name/fetch.log" >&2
		return 1
	}
	version=$(sed -n 's/^Version: //p' "$src/$name"/*.dsc | head -n 1)
	echo "$name $version" >"$prefix/.version-$name"
	for d in "$src/$name"/*/; do
		echo "${d%/}"
		return 0
	done
}

step() {
	printf 'static deps: %s\n' "$*"
}

# Debian's patches touch configure.ac or Makefile.am of some packages, which makes make want to
# rerun autoconf and automake (and libtool's macros, not installed). The shipped generated
# files are used as they are: given one time stamp, none looks older than its sources.
keep_generated() {
	find . \( -name configure -o -name Makefile.in -o -name aclocal.m4 -o -name config.h.in \
		-o -name configure.ac -o -name Makefile.am -o -name '*.m4' \) -type f \
		-exec touch -d '2000-01-01 00:00:00' {} +
}

build_zlib() {
	cd "$1"
	./configure --static --prefix="$prefix" >build.log 2>&1
	make -j"$jobs" libz.a >>build.log 2>&1
	make install >>build.log 2>&1
}

build_libzstd() {
	cd "$1"
	make -C lib -j"$jobs" libzstd.a ZSTD_LEGACY_SUPPORT=0 ZSTD_LIB_DEPRECATED=0 \
		ZSTD_LIB_DICTBUILDER=0 >build.log 2>&1
	make -C lib install-static install-includes install-pc PREFIX="$prefix" \
		ZSTD_LEGACY_SUPPORT=0 >>build.log 2>&1
}

build_xz_utils() {
	cd "$1"
	keep_generated
	./configure --host="$host" --prefix="$prefix" --disable-shared --enable-static \
		--disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo \
		--disable-lzma-links --disable-scripts --disable-doc --disable-nls >build.log 2>&1
	make -j"$jobs" -C src/liblzma >>build.log 2>&1
	make -C src/liblzma install >>build.log 2>&1
}

build_bzip2() {
	cd "$1"
	make -j"$jobs" libbz2.a CC="$CC" CFLAGS="$CFLAGS -D_FILE_OFFSET_BITS=64" >build.log 2>&1
	cp libbz2.a "$prefix/lib/"
	cp bzlib.h "$prefix/include/"
}

build_openssl() {
	cd "$1"
	# Only the libraries; no shared objects, no loadable modules or engines, so nothing
	# is ever loaded from the host. OPENSSLDIR names a directory that does not exist:
	# logpack never reads a configuration, and curl is built without default CA paths.
	./Configure "$openssl_target" no-shared no-module no-engine no-dso no-async \
		no-tests no-comp no-ssl3 no-dtls no-srp no-psk no-ui-console \
		no-afalgeng no-legacy --prefix="$prefix" --libdir=lib \
		--openssldir=/nonexistent/logpack-static-openssl $CFLAGS >build.log 2>&1
	make -j"$jobs" build_libs >>build.log 2>&1
	make install_dev >>build.log 2>&1
}

build_libssh2() {
	cd "$1"
	keep_generated
	./configure --host="$host" --prefix="$prefix" --disable-shared --enable-static \
		--with-crypto=openssl --with-libssl-prefix="$prefix" --without-libz \
		--disable-examples-build >build.log 2>&1
	make -j"$jobs" -C src >>build.log 2>&1
	make -C src install >>build.log 2>&1
	make install-pkgconfigDATA install-includeHEADERS >>build.log 2>&1 ||
		make install >>build.log 2>&1
}

build_curl() {
	cd "$1"
	keep_generated
	# https and sftp only; no CA path or bundle compiled in (see docs/static.md).
	./configure --host="$host" --prefix="$prefix" --disable-shared --enable-static \
		--with-openssl="$prefix" --with-libssh2="$prefix" --without-zlib \
		--without-ca-bundle --without-ca-path --without-ca-fallback \
		--disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp \
		--disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap \
		--disable-smtp --disable-gopher --disable-mqtt --disable-smb --disable-manual \
		--disable-ntlm --disable-docs --disable-alt-svc --disable-cookies \
		--without-libpsl --without-brotli --without-zstd --without-nghttp2 \
		--without-libidn2 --without-librtmp --without-libgsasl >build.log 2>&1
	make -j"$jobs" -C lib >>build.log 2>&1
	make -C lib install >>build.log 2>&1
	make -C include install >>build.log 2>&1
	make install-pkgconfigDATA >>build.log 2>&1
}

build_jansson() {
	cd "$1"
	keep_generated
	# Debian's jansson source is a snapshot without configure: autoreconf needs libtool.
	if [ ! -x configure ]; then
		command -v libtoolize >/dev/null || {
			echo "jansson needs autoreconf with libtool: apt-get install libtool" >build.log
			return 1
		}
		autoreconf -fi >build.log 2>&1
	fi
	./configure --host="$host" --prefix="$prefix" --disable-shared --enable-static >>build.log 2>&1
	make -j"$jobs" >>build.log 2>&1
	make install >>build.log 2>&1
}

build_libyaml() {
	cd "$1"
	keep_generated
	# Debian's libyaml source, like jansson's, has no configure: autoreconf needs libtool.
	# Only the library (src/): the event parser that reads ForensicArtifacts definitions.
	if [ ! -x configure ]; then
		command -v libtoolize >/dev/null || {
			echo "libyaml needs autoreconf with libtool: apt-get install libtool" >build.log
			return 1
		}
		autoreconf -fi >build.log 2>&1 || return 1
	fi
	./configure --host="$host" --prefix="$prefix" --disable-shared --enable-static \
		>>build.log 2>&1 || return 1
	make -j"$jobs" -C src >>build.log 2>&1 || return 1
	make -C src install >>build.log 2>&1 || return 1
	make -C include install >>build.log 2>&1 || return 1
	make install-pkgconfigDATA >>build.log 2>&1
}

# ISA-L's gzip inflater for the coverage report (its assembly needs nasm).
build_libisal() {
	cd "$1"
	keep_generated
	if [ ! -x configure ]; then
		autoreconf -fi >build.log 2>&1 || return 1
	fi
	# nasm is given the C compiler's flags too: none it does not know (-idirafter).
	CFLAGS="-Os -fPIC -ffunction-sections -fdata-sections" ./configure --host="$host" \
		--prefix="$prefix" --disable-shared --enable-static >>build.log 2>&1 || return 1
	make -j"$jobs" >>build.log 2>&1 || return 1
	make install >>build.log 2>&1
}

build_libarchive() {
	cd "$1"
	keep_generated
	# Read: zstd, gzip, xz, bzip2; write: what logpack writes. No crypto, XML, ACLs or
	# extended attributes: logpack reads sources itself and records only what it hashes.
	./configure --host="$host" --prefix="$prefix" --disable-shared --enable-static \
		--disable-bsdtar --disable-bsdcat --disable-bsdcpio --disable-bsdunzip \
		--disable-acl --disable-xattr --without-xml2 --without-expat --without-openssl \
		--without-nettle --without-mbedtls --without-libb2 --without-lz4 --without-lzo2 \
		--without-cng --with-zlib --with-bz2lib --with-lzma --with-zstd >build.log 2>&1
	make -j"$jobs" libarchive.la >>build.log 2>&1
	make install-libLTLIBRARIES install-includeHEADERS install-pkgconfigDATA >>build.log 2>&1
	# configure found iconv in musl's libc and made libarchive.pc require a package "iconv"
	# that does not exist; the functions are in libc, so nothing needs to be required.
	sed -i '/^Requires.private: *iconv *$/d' "$prefix/lib/pkgconfig/libarchive.pc"
}

for p in $packages; do
	if [ -f "$prefix/.built-$p" ]; then
		step "$p: built already ($(cat "$prefix/.version-$p"))"
		continue
	fi
	step "fetching $p"
	dir=$(fetch "$p")
	step "building $p ($dir)"
	fn=build_$(echo "$p" | tr - _)
	if ! ("$fn" "$dir"); then
		echo "static deps: building $p failed; the end of $dir/build.log:" >&2
		tail -n 40 "$dir/build.log" >&2
		exit 1
	fi
	touch "$prefix/.built-$p"
done

for p in $all_packages; do
	if [ ! -f "$prefix/.built-$p" ]; then
		echo "static deps: built $packages; still missing: $p (and maybe more)"
		exit 0
	fi
done
for p in $all_packages; do
	cat "$prefix/.version-$p"
done >"$prefix/versions.txt.new"
echo "musl $(dpkg-query -W -f '${Version}' musl-dev 2>/dev/null || echo unknown)" >>"$prefix/versions.txt.new"
mv "$prefix/versions.txt.new" "$prefix/versions.txt"
touch "$prefix/.complete"
echo "static deps: built into $prefix:"
cat "$prefix/versions.txt"
echo "$prefix"
