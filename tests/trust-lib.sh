# Helpers for the trust tests (t04xx): a small root to collect, keys, bundles, repacking.
# Source after test-lib.sh. The tests of a file share one fixture directory, $FX: each test
# starts with cd "$FX", so that the keys and bundles made once are at hand.

FX=$TRASH/fx
mkdir -p "$FX"

# make_root DIR: a tiny Debian-like system with a few logs.
make_root() {
	mkdir -p "$1/etc" "$1/var/log/nginx"
	printf 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$1/etc/os-release"
	printf 'Jan  1 00:00:01 host sshd[1]: Accepted password for root\n' >"$1/var/log/auth.log"
	seq 1 3000 | sed 's/^/syslog line /' >"$1/var/log/syslog"
	echo 'GET / HTTP/1.1 200' >"$1/var/log/nginx/access.log"
}

# make_key PREFIX SUBJECT: PREFIX.key and PREFIX.crt from logpack keygen.
make_key() {
	"$LOGPACK" -q keygen --out "$1" --subject "$2" >/dev/null
}

# collect_signed OUT KEYPREFIX [collect options...]: a signed bundle of ./root.
collect_signed() {
	_out=$1
	_key=$2
	shift 2
	"$LOGPACK" -q collect --root root -o "$_out" --sign-key "$_key.key" --sign-cert "$_key.crt" \
		"$@" >/dev/null
}

# unpack BUNDLE DIR: extract with stock tar; prints the bag directory.
unpack() {
	rm -rf "$2"
	mkdir -p "$2"
	tar -C "$2" -xf "$1"
	echo "$2"/logpack-*
}

# pyrepack SRC_DIR OUT.tar [EXTRA...]: tar the one directory in SRC_DIR (pax, sorted), then
# append hostile members. EXTRA is KIND:NAME:ARG with KIND file, symlink, hardlink, chr or
# dir; "TOP" in NAME or ARG stands for the bag's directory name.
pyrepack() {
	python3 - "$@" <<'PYEOF'
import io, os, sys, tarfile
src, out, extras = sys.argv[1], sys.argv[2], sys.argv[3:]
top = sorted(os.listdir(src))[0]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
    for dirpath, dirs, files in os.walk(os.path.join(src, top)):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(dirpath, f)
            tf.add(p, arcname=os.path.relpath(p, src), recursive=False)
    for extra in extras:
        kind, name, arg = extra.split(":", 2)
        ti = tarfile.TarInfo(name.replace("TOP", top))
        if kind == "file":
            data = arg.encode()
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
            continue
        if kind == "symlink":
            ti.type, ti.linkname = tarfile.SYMTYPE, arg
        elif kind == "hardlink":
            ti.type, ti.linkname = tarfile.LNKTYPE, arg.replace("TOP", top)
        elif kind == "chr":
            ti.type, ti.devmajor, ti.devminor = tarfile.CHRTYPE, 1, 3
        elif kind == "dir":
            ti.type = tarfile.DIRTYPE
        tf.addfile(ti)
PYEOF
}

# sha256_of FILE: just the hex.
sha256_of() {
	sha256sum "$1" | cut -d' ' -f1
}

# rehash_line MANIFEST NAME DIR: put NAME's current SHA-256 into MANIFEST (in DIR).
rehash_line() {
	_new=$(sha256_of "$3/$2")
	_tmp=$(mktemp)
	awk -v n="$2" -v h="$_new" '{ if ($2 == n) print h "  " n; else print }' "$3/$1" >"$_tmp"
	cat "$_tmp" >"$3/$1"
	rm -f "$_tmp"
}

# make_expired_cert PREFIX SUBJECT: a self-signed certificate valid only in January 2020.
make_expired_cert() {
	mkdir -p ca.$1
	: >ca.$1/index.txt
	echo 01 >ca.$1/serial
	cat >ca.$1/ca.cnf <<CNF
[ca]
default_ca = d
[d]
database = ca.$1/index.txt
serial = ca.$1/serial
new_certs_dir = ca.$1
default_md = sha256
policy = p
x509_extensions = ext
[p]
commonName = supplied
organizationName = optional
[ext]
keyUsage = critical,digitalSignature
extendedKeyUsage = emailProtection
CNF
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
		-subj "$2" -out "$1.csr" 2>/dev/null
	chmod 600 "$1.key"
	openssl ca -batch -notext -config ca.$1/ca.cnf -selfsign -keyfile "$1.key" -in "$1.csr" \
		-out "$1.crt" -startdate 20200101000000Z -enddate 20200201000000Z 2>/dev/null
}
