#!/bin/sh
# Round trips of a large bundle (default 3 GiB) with the stock tools, both ways, with each
# side's peak RSS: logpack encrypts (OpenPGP, age, X.509) and gpg --decrypt, age -d and openssl
# cms -decrypt -content give a bundle that logpack verify reads from standard input as valid;
# gpg --encrypt (default settings) and age -e encrypt the plain bundle, and logpack decrypt
# gives it back with the same SHA-256. Run once per CI run (.ci/run), not in every build.
#
#   tests/big-roundtrip.sh LOGPACK [SIZE_MIB]        (default 3072)
#
# Disk: about three times the size at most (the plain bundle, one encrypted file, one
# decrypted file); the tree is one sparse file. Prints one "peak RSS" line per step (stderr).
# Memory: OpenSSL 3.0's CMS_decrypt of AuthEnvelopedData holds the content in memory (about
# twice the bundle's size for openssl cms -decrypt -content): that step needs that much RAM.
# logpack's own decrypt streams every kind; its peak RSS must stay under 64 MiB (checked).
set -eu
lp=$1
size=${2:-3072}
work=$(mktemp -d "${TMPDIR:-/tmp}/logpack-big.XXXXXX")
trap 'GNUPGHOME="$work/g" gpgconf --kill gpg-agent 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
export GNUPGHOME="$work/g"
mkdir -m 700 g
umask 077

# bounded WHAT: the step rss just ran stayed under 64 MiB of peak RSS.
bounded() {
	[ "$kb" -lt 65536 ] || fail "$1: peak RSS $kb KiB, over the 64 MiB bound"
}

# rss WHAT CMD...: run CMD, print its peak RSS (MiB) and wall time.
rss() {
	what=$1
	shift
	/usr/bin/time -f "%M %e" -o rss.out "$@" ||
		fail "$what failed: $(cat rss.out verify.out gpg.err 2>/dev/null)"
	read -r kb secs <rss.out
	printf "%-50s peak RSS %6.1f MiB  %7.1f s\n" "$what" "$(echo "$kb / 1024" | bc -l)" \
		"$secs" >&2
}
fail() {
	echo "big-roundtrip: $*" >&2
	exit 1
}

gpg --batch -q --passphrase "" --quick-gen-key "Big <big@example.org>" default default never 2>/dev/null
gpg --batch --export big@example.org >pgp.pub
gpg --batch --export-secret-keys big@example.org >pgp.key
age-keygen -o age.key 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout x.key -out x.crt \
	-subj /CN=big -days 1 -addext keyUsage=keyAgreement 2>/dev/null
mkdir -p root/var/log
printf "name big\nmatch id=linux\n\n[system]\n/var/log/*.log\n" >big.profile
truncate -s "${size}M" root/var/log/big.log
# OpenSSL 3.0 decrypts CMS AuthEnvelopedData into one memory buffer, whose size is an int:
# past 2 GiB neither stock openssl cms nor logpack decrypt (which calls the same function) can
# open it ("BUF_MEM_grow_clean: malloc failure"). The X.509 round trips use a tree of at most
# 1 GiB; docs/encryption.md sends larger bundles to OpenPGP or age.
xsize=$size
[ "$xsize" -le 1024 ] || xsize=1024
mkdir -p xroot/var/log
truncate -s "${xsize}M" xroot/var/log/big.log
# A little text, so that the sparse zeros are not all there is.
seq 1 100000 >root/var/log/syslog.log

# logpack encrypts; the stock tool decrypts into logpack verify -.
for kind in gpg age x509; do
	mkdir out
	case $kind in
	gpg) to=pgp.pub ;;
	age) to=$(age-keygen -y age.key) ;;
	x509) to=x.crt ;;
	esac
	from=root
	[ "$kind" != x509 ] || from=xroot
	rss "logpack collect --encrypt-to ($kind)" "$lp" -q collect --root "$from" --profile "$work/big.profile" -c none -o out \
		--encrypt-to "$to" >path
	f=$(cat path)
	case $kind in
	gpg) rss "gpg --decrypt | logpack verify -" sh -c \
		'gpg --batch -q -d "$1" 2>gpg.err | "$2" verify - >verify.out' - "$f" "$lp" ;;
	age) rss "age -d | logpack verify -" sh -c \
		'age -d -i age.key "$1" | "$2" verify - >verify.out' - "$f" "$lp" ;;
	x509) rss "openssl cms -decrypt -content | logpack verify -" sh -c \
		'openssl cms -decrypt -inform DER -binary -in "${1%.enc}.p7m" -content "$1" -inkey x.key -recip x.crt | "$2" verify - >verify.out' \
		- "$f" "$lp" ;;
	esac
	grep -q "^-: valid" verify.out || fail "$kind: $(cat verify.out)"
	rm -r out path verify.out
done

# The stock tools encrypt the plain bundle; logpack decrypts it back.
rss "logpack collect (plain)" "$lp" -q collect --root root --profile "$work/big.profile" -c none -o plain.tar >/dev/null
want=$(sha256sum <plain.tar | cut -c1-64)
rss "gpg --encrypt (default settings)" gpg --batch -q --trust-model always -r big@example.org \
	-o plain.tar.gpg --encrypt plain.tar
rss "logpack decrypt (gpg's file)" "$lp" -q decrypt -k pgp.key -o back plain.tar.gpg >/dev/null
bounded "logpack decrypt (gpg's file)"
[ "$(sha256sum <back | cut -c1-64)" = "$want" ] || fail "gpg: the SHA-256 differs"
rm back plain.tar.gpg
rss "age -e" age -e -r "$(age-keygen -y age.key)" -o plain.tar.age plain.tar
rss "logpack decrypt (age's file)" "$lp" -q decrypt -k age.key -o back plain.tar.age >/dev/null
bounded "logpack decrypt (age's file)"
[ "$(sha256sum <back | cut -c1-64)" = "$want" ] || fail "age: the SHA-256 differs"
rm back plain.tar.age
mkdir out
"$lp" -q collect --root xroot --profile "$work/big.profile" -c none -o out --encrypt-to x.crt >path
rss "logpack decrypt (its own X.509 pair)" "$lp" -q decrypt -k x.key -o back "$(cat path)" >/dev/null
bounded "logpack decrypt (its own X.509 pair)"
"$lp" verify back >verify.out || fail "x509: $(cat verify.out)"
rm -r back out path
# Past what OpenSSL can decrypt, an X.509 bundle is refused and nothing is kept.
mkdir -p over/var/log out
truncate -s 1600M over/var/log/big.log
if "$lp" -q collect --root over --profile "$work/big.profile" -c none -o out --encrypt-to x.crt \
	>path 2>err; then
	fail "x509: a 1600 MiB bundle was encrypted to a certificate"
fi
grep -q "larger than OpenSSL can decrypt as CMS (1.5 GiB)" err || fail "x509: $(cat err)"
[ -z "$(ls -A out)" ] || fail "x509: the refused bundle left $(ls -A out)"
rm -r over out path err
echo "big-roundtrip: ${size} MiB (X.509: ${xsize} MiB): all round trips give the same bundle"
