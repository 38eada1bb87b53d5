#!/bin/sh
# X.509 recipients: collect --encrypt-to CERT writes CMS AuthEnvelopedData (AES-256-GCM, RSA-OAEP
# with SHA-256, ECDH with a SHA-256 KDF) with the ciphertext detached: X.p7m and X.enc, which
# stock openssl cms -decrypt -content opens, and logpack decrypt too; certificates that are not
# for encryption are refused; tampering and truncation leave nothing behind.
. "$TEST_SRCDIR/test-lib.sh"

FX=$TRASH/fx
mkdir -p "$FX"

# only FILE...: fail unless the current directory holds exactly these names (no temporaries).
only() {
	want=$(printf "%s\n" "$@" | LC_ALL=C sort)
	got=$(ls -A | LC_ALL=C sort)
	if [ "$got" != "$want" ]; then
		echo "directory holds: $got" >&2
		return 1
	fi
}

# cert NAME KEYOPTS USAGE: a self-signed certificate NAME.crt and its key NAME.key (0600).
cert() {
	(umask 077; openssl req -x509 $2 -nodes -keyout "$1.key" -out "$1.crt" -subj "/CN=$1" \
		-days 30 -addext "keyUsage=$3" 2>/dev/null)
}

# stock_decrypt ENC KEY CERT OUT: openssl cms -decrypt of the detached pair.
stock_decrypt() {
	openssl cms -decrypt -inform DER -binary -in "${1%.enc}.p7m" -content "$1" \
		-inkey "$2" -recip "$3" -out "$4"
}

t "setup: RSA and EC receivers, certificates that are not for encryption, a signing key" '
	cd "$FX"
	cert rsa "-newkey rsa:3072" keyEncipherment
	cert ec "-newkey ec -pkeyopt ec_paramgen_curve:P-256" keyAgreement
	cert other "-newkey rsa:2048" keyEncipherment
	cert signonly "-newkey rsa:2048" digitalSignature
	cert ecsign "-newkey ec -pkeyopt ec_paramgen_curve:P-256" digitalSignature
	lp -q keygen --out sig --subject /CN=Sender >/dev/null
	make_debian_tree root
	head -c 300000 /dev/urandom >root/var/log/syslog.3
	mkdir rsa-out ec-out
	lp -q collect --root root -o rsa-out --encrypt-to rsa.crt --sign-key sig.key \
		--sign-cert sig.crt >rsa.path
	lp -q collect --root root -o ec-out --encrypt-to ec.crt >ec.path
'
t "a neutral name: X.enc with its .sha256, and the header X.p7m; no plaintext in either" '
	cd "$FX"
	f=$(cat rsa.path)
	case "$f" in rsa-out/logpack-????????????????.enc) ;; *) echo "$f"; exit 1 ;; esac
	(cd rsa-out && sha256sum -c --quiet ./*.sha256)
	test -f "${f%.enc}.p7m"
	test "$(stat -c %a "${f%.enc}.p7m")" = 600
	cd rsa-out
	only "$(basename "$f")" "$(basename "$f").sha256" "$(basename "${f%.enc}.p7m")"
	if grep -aq "Failed password" ./*; then echo "plaintext in the files" >&2; exit 1; fi
'
t "the header: AES-256-GCM, RSA-OAEP with SHA-256, ECDH with the SHA-256 KDF, no content" '
	cd "$FX"
	f=$(cat rsa.path)
	openssl cms -cmsout -print -inform DER -in "${f%.enc}.p7m" >rsa.print
	contains rsa.print "aes-256-gcm"
	contains rsa.print "rsaesOaep"
	contains rsa.print ":sha256"
	f=$(cat ec.path)
	openssl cms -cmsout -print -inform DER -in "${f%.enc}.p7m" >ec.print
	contains ec.print "dhSinglePass-stdDH-sha256kdf-scheme"
	contains ec.print "aes-256-gcm"
	test "$(wc -c <"${f%.enc}.p7m")" -lt 2000
'
t "stock openssl cms -decrypt -content opens both; the bundles verify (signed inside)" '
	cd "$FX"
	stock_decrypt "$(cat rsa.path)" rsa.key rsa.crt rsa.tar.zst
	stock_decrypt "$(cat ec.path)" ec.key ec.crt ec.tar.zst
	lp verify --trust sig.crt rsa.tar.zst >out
	contains out "rsa.tar.zst: valid, signed by /CN=Sender, trusted"
	expect_code 0 lp verify ec.tar.zst >/dev/null
	tar --zstd -xf ec.tar.zst
	cmp logpack-testhost-*/data/var/log/syslog.3 root/var/log/syslog.3
'
t "logpack decrypt of the pair: by X.p7m or X.enc, with or without --cert; equal to openssl" '
	cd "$FX"
	mkdir d
	f=$(cat rsa.path)
	lp decrypt -k rsa.key --cert rsa.crt -o d/a "${f%.enc}.p7m" >/dev/null 2>err
	cmp rsa.tar.zst d/a
	test "$(stat -c %a d/a)" = 600
	lp -q decrypt -k ec.key -o d "$(cat ec.path)" >path
	cmp ec.tar.zst "$(cat path)"
	case "$(cat path)" in d/logpack-????????????????.tar.zst) ;; *) cat path; exit 1 ;; esac
'
t "a single-file CMS from stock openssl cms -encrypt (GCM): decrypted; CBC without a MAC: refused" '
	cd "$FX"
	mkdir single
	cd single
	openssl cms -encrypt -aes-256-gcm -binary -outform DER -in ../rsa.tar.zst -out one.p7m \
		-recip ../rsa.crt -keyopt rsa_padding_mode:oaep
	lp -q decrypt -k ../rsa.key -o one.out one.p7m >/dev/null
	cmp ../rsa.tar.zst one.out
	openssl cms -encrypt -aes-256-cbc -binary -outform DER -in ../rsa.tar.zst -out cbc.p7m ../rsa.crt
	expect_code 4 lp decrypt -k ../rsa.key -o cbc.out cbc.p7m 2>err
	contains err "EnvelopedData, which has no authentication"
	only one.p7m one.out cbc.p7m err
'
for where in start middle end; do
t "a byte of the .enc flipped at the $where: exit 4, the reason, nothing left behind" '
	f=$FX/$(cat "$FX/rsa.path")
	cp "$f" x.enc
	cp "${f%.enc}.p7m" x.p7m
	size=$(wc -c <x.enc)
	case '"$where"' in
	start) pos=0 ;;
	middle) pos=$((size / 2)) ;;
	end) pos=$((size - 1)) ;;
	esac
	b=$(od -An -tu1 -j $pos -N1 x.enc | tr -d " ")
	printf "$(printf "\\\\%03o" $((b ^ 1)))" | dd of=x.enc bs=1 seek=$pos conv=notrunc 2>/dev/null
	if cmp -s x.enc "$f"; then echo "not flipped" >&2; exit 1; fi
	expect_code 4 lp decrypt -k "$FX/rsa.key" -o out x.p7m 2>err
	contains err "does not authenticate (AES-GCM tag): the file was altered or truncated"
	contains err "nothing written"
	only x.enc x.p7m err
'
done
t "truncation, an altered header, a header from another bundle, a missing .enc: refused" '
	f=$FX/$(cat "$FX/rsa.path")
	cp "${f%.enc}.p7m" x.p7m
	size=$(wc -c <"$f")
	head -c $((size - 100)) "$f" >x.enc
	expect_code 4 lp decrypt -k "$FX/rsa.key" -o out x.p7m 2>err
	contains err "the file was altered or truncated"
	cp "$f" x.enc
	hsize=$(wc -c <x.p7m)
	flip_byte x.p7m $((hsize - 40))
	expect_code 4 lp decrypt -k "$FX/rsa.key" -o out x.p7m 2>err
	cp "${f%.enc}.p7m" x.p7m
	mkdir other
	lp -q collect --root "$FX/root" -o other --encrypt-to "$FX/rsa.crt" >other.path
	cp "$(cat other.path)" x.enc
	expect_code 4 lp decrypt -k "$FX/rsa.key" -o out x.p7m 2>err
	contains err "does not authenticate"
	rm -r other other.path x.enc
	expect_code 4 lp decrypt -k "$FX/rsa.key" -o out x.p7m 2>err
	contains err "the content file (.enc) of the CMS header is missing"
	only x.p7m err
'
t "a key that is not a recipient: refused before anything is written" '
	f=$FX/$(cat "$FX/rsa.path")
	cp "$f" x.enc
	cp "${f%.enc}.p7m" x.p7m
	expect_code 4 lp decrypt -k "$FX/other.key" -o out x.p7m 2>err
	contains err "the file is not encrypted to this key"
	expect_code 4 lp decrypt -k "$FX/ec.key" -o out x.enc 2>err
	contains err "the file is not encrypted to this key"
	only x.enc x.p7m err
'
t "certificates that are not for encryption: refused before anything is read" '
	mkdir none
	expect_code 2 lp collect --root "$FX/root" -o none --encrypt-to "$FX/signonly.crt" 2>err
	contains err "key usage does not allow keyEncipherment"
	expect_code 2 lp collect --root "$FX/root" -o none --encrypt-to "$FX/ecsign.crt" 2>err
	contains err "key usage does not allow keyAgreement"
	test -z "$(ls -A none)"
'
t "two X.509 recipients: each opens the pair with its own key alone" '
	mkdir two
	lp -q collect --root "$FX/root" -o two --encrypt-to "$FX/rsa.crt" \
		--encrypt-to "$FX/ec.crt" >path
	stock_decrypt "$(cat path)" "$FX/ec.key" "$FX/ec.crt" by-ec
	stock_decrypt "$(cat path)" "$FX/rsa.key" "$FX/rsa.crt" by-rsa
	lp -q decrypt -k "$FX/rsa.key" -o by-lp "$(cat path)" >/dev/null
	cmp by-ec by-rsa
	cmp by-ec by-lp
'
t "logpack decrypt of a 96 MiB pair grows by under 16 MiB over a small pair (it streams)" '
	# Incompressible data, so that the pair is as big as the tree; CMS_decrypt would hold it
	# all (about twice its size).
	mkdir -p big/var/log small/var/log bigout smallout
	head -c $((96 * 1024 * 1024)) /dev/urandom >big/var/log/big.log
	head -c 1024 /dev/urandom >small/var/log/small.log
	for s in big small; do
		lp -q collect --root $s --profile debian -c none -o ${s}out \
			--encrypt-to "$FX/ec.crt" >$s.path 2>/dev/null || test $? -eq 1
	done
	base=$(peak_rss_kb "$LOGPACK" -q decrypt -k "$FX/ec.key" -o sback "$(cat small.path)")
	kb=$(peak_rss_kb "$LOGPACK" -q decrypt -k "$FX/ec.key" -o back "$(cat big.path)")
	lp verify back >/dev/null
	test $((kb - base)) -lt $((16 * 1024)) || { echo "peak RSS $kb KiB, $base KiB small" >&2; exit 1; }
'
test_done
