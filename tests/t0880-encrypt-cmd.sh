#!/bin/sh
# logpack encrypt: an existing bundle, verified first, encrypted in one pass to recipients of
# every kind; the stock tools open what it writes and give the bundle back byte for byte.
. "$TEST_SRCDIR/test-lib.sh"

FX=$TRASH/fx
mkdir -p "$FX"
GNUPGHOME=$FX/gnupg
export GNUPGHOME

t "setup: an OpenPGP key, an age identity, an X.509 certificate, a signed bundle" '
	mkdir -p -m 700 "$GNUPGHOME"
	cd "$FX"
	gpg --batch -q --passphrase "" --quick-gen-key "Cert <c@example.org>" default default never 2>/dev/null
	gpg --batch --export "Cert <c@example.org>" >pgp.pub
	age-keygen -o age.id 2>/dev/null
	grep -o "age1.*" age.id >age.pub
	(umask 077; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout x.key -out x.crt -subj /CN=x -days 30 -addext keyUsage=keyAgreement 2>/dev/null)
	lp -q keygen --out sig --subject /CN=Sender >/dev/null
	make_debian_tree root
	head -c 200000 /dev/urandom >root/var/log/syslog.3
	mkdir out
	lp -q collect --root root -o out --sign-key sig.key --sign-cert sig.crt >path
	test -s "$(cat path)"
'

t "encrypt to all three kinds: neutral names; gpg, age and openssl give the bundle back" '
	B=$FX/$(cat "$FX/path")
	mkdir enc
	lp encrypt -o enc --encrypt-to "$FX/pgp.pub" --encrypt-to "$(cat "$FX/age.pub")" \
		--encrypt-to "$FX/x.crt" "$B" >o 2>e
	cat o e
	f=$(sed -n "s/^encrypted: //p" o | head -n 1)
	case "$f" in enc/logpack-????????????????.gpg) ;; *) echo "$f"; exit 1 ;; esac
	stem=${f%.gpg}
	test "$(grep -c "^encrypted: " o)" = 4
	contains o "encrypted: $stem.age"
	contains o "encrypted: $stem.p7m"
	# signed: bag-info cannot take the recipients, and the output says so
	contains o "is signed; its bag-info.txt cannot name the recipients"
	(cd enc && sha256sum --strict -c --quiet ./*.sha256)
	for x in enc/*; do test "$(stat -c %a "$x")" = 600; done
	want=$(sha256sum <"$B" | cut -d" " -f1)
	gpg --batch -q -d -o by-gpg "$f" 2>/dev/null
	age -d -i "$FX/age.id" -o by-age "$stem.age"
	openssl cms -decrypt -inform DER -binary -in "$stem.p7m" -content "$stem.enc" \
		-inkey "$FX/x.key" -recip "$FX/x.crt" -out by-x509
	for x in by-gpg by-age by-x509; do
		test "$(sha256sum <$x | cut -d" " -f1)" = "$want"
	done
	lp verify --trust "$FX/sig.crt" by-gpg >v
	contains v "trusted"
	# the bundle itself is left as it was
	(cd "$FX/out" && sha256sum --strict -c --quiet ./*.sha256)
'

t "--keep-name keeps the bundle name; -o FILE; logpack decrypt gives the bundle back" '
	B=$FX/$(cat "$FX/path")
	mkdir enc
	lp encrypt -o enc --keep-name --encrypt-to "$(cat "$FX/age.pub")" "$B" >o
	test -s "enc/$(basename "$B").age"
	lp encrypt -o enc/mine.age --encrypt-to "$(cat "$FX/age.pub")" "$B" >o2
	contains o2 "encrypted: enc/mine.age"
	lp -q decrypt -k "$FX/age.id" -o back.tar.zst enc/mine.age
	cmp back.tar.zst "$B"
'

t "an INVALID bundle is refused (exit 4) and nothing is written" '
	cd "$FX"
	mkdir -p plain
	lp -q collect --root root -o plain/b.tar -c none >/dev/null
	cd "$TRASH/t$test_count"
	cp "$FX/plain/b.tar" b.tar
	# flip a byte of the collected syslog.3 inside the tar: the manifest no longer matches
	off=$(grep -abo "syslog.3" b.tar | head -n 1 | cut -d: -f1)
	off=$((off + 2048))
	flip_byte b.tar $off
	refute cmp -s b.tar "$FX/plain/b.tar"
	mkdir enc
	expect_code 4 lp encrypt -o enc --encrypt-to "$(cat "$FX/age.pub")" b.tar >o 2>e
	contains e "b.tar is not valid, not encrypted"
	test -z "$(ls -A enc)"
'

t "usage: no recipient, label options without --label, --label without a key" '
	B=$FX/$(cat "$FX/path")
	expect_code 2 lp encrypt "$B" 2>e1
	contains e1 "--encrypt-to R is needed"
	expect_code 2 lp encrypt --encrypt-to "$(cat "$FX/age.pub")" --label-tlp amber "$B" 2>e2
	contains e2 "add --label"
	expect_code 2 lp encrypt --encrypt-to "$(cat "$FX/age.pub")" --label-tlp purple --label "$B" 2>e3
	contains e3 "--label-tlp: '"'"'purple'"'"'"
	: >empty.conf
	expect_code 2 lp encrypt --config empty.conf --encrypt-to "$(cat "$FX/age.pub")" --label "$B" 2>e4
	contains e4 "--label needs a signing key"
	expect_code 2 lp encrypt --encrypt-to nosuchfile "$B" 2>e5
	contains e5 "nosuchfile"
	test -z "$(ls -A "$FX/out" | grep -v "^logpack-.*\.tar\.zst")"
'

t "config file: encrypt-to (repeatable) and keep-name; the command line wins" '
	B=$FX/$(cat "$FX/path")
	printf "# receivers\nencrypt-to = %s\nencrypt-to = %s\nkeep-name = yes\n" \
		"$FX/x.crt" "$(cat "$FX/age.pub")" >lp.conf
	mkdir a b
	lp encrypt --config lp.conf -o a "$B" >o
	n=$(basename "$B")
	test -s "a/$n.age"
	test -s "a/$n.enc"
	test -s "a/$n.p7m"
	age -d -i "$FX/age.id" "a/$n.age" | cmp - "$B"
	# an --encrypt-to on the command line replaces the file'"'"'s recipients
	lp encrypt --config lp.conf -o b --encrypt-to "$FX/pgp.pub" "$B" >o2
	test "$(ls b | grep -c -v "\.sha256$")" = 1
	test -s "b/$n.gpg"
	printf "keep-name = perhaps\n" >bad.conf
	expect_code 3 lp encrypt --config bad.conf --encrypt-to "$FX/pgp.pub" "$B" 2>e
	contains e "keep-name: '"'"'perhaps'"'"' is not yes or no"
	printf "encrypt-to = %s\n" "$PWD/nope.asc" >bad2.conf
	expect_code 3 lp encrypt --config bad2.conf "$B" 2>e2
	contains e2 "line 1: encrypt-to"
'

test_done
