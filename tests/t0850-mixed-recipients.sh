#!/bin/sh
# Recipients of several kinds on one bundle, in one pass: the compressed stream is teed into one
# encrypted file per kind (X.gpg, X.age, X.enc with X.p7m), each with its .sha256; every
# recipient opens its file with its own key alone, and all give the same bundle.
. "$TEST_SRCDIR/test-lib.sh"

FX=$TRASH/fx
mkdir -p "$FX"
GNUPGHOME=$FX/gnupg
export GNUPGHOME

t "setup: an OpenPGP key, two age identities, an X.509 certificate; one collect to all four" '
	mkdir -p -m 700 "$GNUPGHOME"
	cd "$FX"
	gpg --batch -q --passphrase "" --quick-gen-key "Cert <c@example.org>" default default never 2>/dev/null
	(umask 077; gpg --batch --export-secret-keys "Cert <c@example.org>" >pgp.key)
	gpg --batch --export "Cert <c@example.org>" >pgp.pub
	age-keygen -o a1 2>/dev/null
	age-keygen -o a2 2>/dev/null
	(umask 077; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout x.key -out x.crt -subj /CN=x -days 30 -addext keyUsage=keyAgreement 2>/dev/null)
	lp -q keygen --out sig --subject /CN=Sender >/dev/null
	make_debian_tree root
	head -c 300000 /dev/urandom >root/var/log/syslog.3
	mkdir out
	lp -q collect --root root -o out --encrypt-to "$(grep -o "age1.*" a1)" --encrypt-to x.crt \
		--encrypt-to pgp.pub --encrypt-to "$(grep -o "age1.*" a2)" \
		--sign-key sig.key --sign-cert sig.crt >path
'
t "the bundle file is the OpenPGP one; beside it the same stem as .age, .enc and .p7m" '
	cd "$FX"
	f=$(cat path)
	case "$f" in out/logpack-????????????????.gpg) ;; *) echo "$f"; exit 1 ;; esac
	stem=$(basename "${f%.gpg}")
	(cd out && ls -A) >names
	printf "%s\n" "$stem.age" "$stem.age.sha256" "$stem.enc" "$stem.enc.sha256" "$stem.gpg" \
		"$stem.gpg.sha256" "$stem.p7m" >want
	LC_ALL=C sort names >names.sorted
	LC_ALL=C sort want | cmp - names.sorted
	(cd out && sha256sum -c --quiet ./*.sha256)
	for x in out/*; do test "$(stat -c %a "$x")" = 600; done
'
t "each recipient opens its file with its own key alone (stock tools); the same signed bundle" '
	cd "$FX"
	f=$(cat path)
	stem=${f%.gpg}
	gpg --batch -q -d -o by-gpg "$f" 2>/dev/null
	age -d -i a1 -o by-a1 "$stem.age"
	age -d -i a2 -o by-a2 "$stem.age"
	openssl cms -decrypt -inform DER -binary -in "$stem.p7m" -content "$stem.enc" \
		-inkey x.key -recip x.crt -out by-x509
	cmp by-gpg by-a1
	cmp by-gpg by-a2
	cmp by-gpg by-x509
	lp verify --trust sig.crt by-gpg >out.txt
	contains out.txt "trusted"
	# a key opens no file but its own
	if age -d -i a1 -o /dev/null "$f" 2>/dev/null; then exit 1; fi
	age-keygen -o stranger 2>/dev/null
	expect_code 4 lp decrypt -k stranger -o nothing "$stem.age" 2>err
	contains err "not encrypted to this key"
	expect_code 3 lp decrypt -k pgp.key -o nothing "$stem.age" 2>err
	contains err "not an age secret key"
	expect_code 3 lp decrypt -k x.key -o nothing "$f" 2>err
	contains err "not an OpenPGP secret key"
	test ! -e nothing
'
t "logpack decrypt of each file with its key: the same bundle" '
	cd "$FX"
	f=$(cat path)
	stem=${f%.gpg}
	mkdir d
	lp -q decrypt -k pgp.key -o d/g "$f" >/dev/null
	lp -q decrypt -k a2 -o d/a "$stem.age" >/dev/null
	lp -q decrypt -k x.key -o d/x "$stem.p7m" >/dev/null
	cmp by-gpg d/g
	cmp by-gpg d/a
	cmp by-gpg d/x
'
t "bag-info.txt names every recipient (LogPack-Encrypted-To), signed with the bag" '
	cd "$FX"
	tar --zstd -xOf by-gpg --wildcards "*/bag-info.txt" >info
	grep "^LogPack-Encrypted-To: " info >got
	fpr=$(gpg --list-keys --with-colons "Cert <c@example.org>" | awk -F: "/^fpr/ { print \$10; exit }")
	x=$(openssl x509 -in x.crt -outform DER | sha256sum | cut -c1-64)
	printf "LogPack-Encrypted-To: %s\n" "openpgp:$fpr" "age:$(grep -o "age1.*" a1)" \
		"age:$(grep -o "age1.*" a2)" "x509-sha256:$x" >want
	cmp want got
	tar --zstd -xOf by-gpg --wildcards "*/tagmanifest-sha256.txt" >tm
	contains tm "bag-info.txt"
	lp verify --trust sig.crt by-gpg >v
	contains v "trusted"
'
t "collect --json lists every file it wrote: one per kind, the bundle first, then the label" '
	cd "$FX"
	mkdir json
	lp -q collect --root root -o json/ --encrypt-to pgp.pub --encrypt-to "$(grep -o "age1.*" a1)" \
		--encrypt-to x.crt --label --sign-key sig.key --sign-cert sig.crt --json >sum.json
	b=$(jq -r .bundle sum.json)
	stem=${b%.gpg}
	jq -r ".files[]" sum.json >got
	printf "%s\n" "$b" "$stem.age" "$stem.enc" "$stem.p7m" "$stem.label.json" \
		"$stem.label.json.p7s" >want
	cmp want got
	# Every file there is listed, or is the sidecar of one that is.
	for f in json/*; do
		grep -qxF "${f%.sha256}" got
	done
	test "$(ls json | wc -l)" = 9
	# Without recipients: the bundle alone.
	lp -q collect --root root -o json/plain.tar.zst --json >plain.json
	test "$(jq -c .files plain.json)" = "[\"json/plain.tar.zst\"]"
'
t "an unusable recipient among them stops collect before anything is written" '
	cd "$FX"
	mkdir none
	(umask 077; openssl req -x509 -newkey rsa:2048 -nodes -keyout s.key -out s.crt -subj /CN=s \
		-days 30 -addext keyUsage=digitalSignature 2>/dev/null)
	expect_code 2 lp collect --root root -o none --encrypt-to "$(grep -o "age1.*" a1)" \
		--encrypt-to s.crt 2>err
	contains err "keyEncipherment"
	test -z "$(ls -A none)"
'
test_done
