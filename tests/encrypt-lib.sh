# Helpers for the tests of reading encrypted bundles with --key (t0870, t0871). Source after
# test-lib.sh.

FX=$TRASH/fx
mkdir -p "$FX"
GNUPGHOME=$FX/gnupg
export GNUPGHOME

# flip FILE OFFSET OUT: FILE with the byte at OFFSET (or "mid", "end") changed, into OUT.
flip() {
	size=$(stat -c %s "$1")
	case "$2" in mid) off=$((size / 2)) ;; end) off=$((size - 1)) ;; *) off=$2 ;; esac
	python3 -c 'import sys
d = bytearray(open(sys.argv[1], "rb").read()); d[int(sys.argv[2])] ^= 1
open(sys.argv[3], "wb").write(d)' "$1" "$off" "$3"
}

# receivers X509-KEYOPTS X509-USAGE: in the current directory, the receivers' keys: an OpenPGP
# key (pgp.key, pgp.pub), two age identities (a1, a2), an X.509 key and certificate (x.key,
# x.crt, made with openssl req -newkey X509-KEYOPTS, keyUsage X509-USAGE), a signing key
# (sig.key, sig.crt), and a Debian tree (root) with an incompressible log.
receivers() {
	mkdir -p -m 700 "$GNUPGHOME"
	gpg --batch -q --passphrase "" --quick-gen-key "Cert <c@example.org>" default default never 2>/dev/null
	(umask 077; gpg --batch --export-secret-keys "Cert <c@example.org>" >pgp.key)
	gpg --batch --export "Cert <c@example.org>" >pgp.pub
	age-keygen -o a1 2>/dev/null
	age-keygen -o a2 2>/dev/null
	# shellcheck disable=SC2086
	(umask 077; openssl req -x509 -newkey $1 -nodes -keyout x.key -out x.crt -subj /CN=x \
		-days 30 -addext keyUsage=$2 2>/dev/null)
	"$LOGPACK" -q keygen --out sig --subject /CN=Sender >/dev/null
	make_debian_tree root
	head -c 600000 /dev/urandom >root/var/log/syslog.3
}

# encrypted_bundle [COLLECT OPTIONS...]: one signed collect of root to a1, x.crt and pgp.pub
# (and what the options add), copied to b.gpg, b.age, b.p7m and b.enc.
encrypted_bundle() {
	mkdir out
	"$LOGPACK" -q collect --root root -o out --encrypt-to "$(grep -o "age1.*" a1)" \
		--encrypt-to x.crt --encrypt-to pgp.pub --sign-key sig.key --sign-cert sig.crt \
		"$@" >path
	f=$(cat path)
	stem=${f%.gpg}
	cp "$f" b.gpg
	cp "$stem.age" b.age
	cp "$stem.p7m" b.p7m
	cp "$stem.enc" b.enc
}
