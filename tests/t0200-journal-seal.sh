#!/bin/sh
# Forward Secure Sealing, checked on the receiver's side: journals sealed by systemd's own tools
# (journalctl --setup-keys, systemd-journal-remote --seal=yes, inside a private mount namespace
# so that the host's /var/log/journal and machine ID are never touched), verified by
# logpack journal verify and logpack verify --journal-verify-key, against journalctl --verify.
. "$TEST_SRCDIR/test-lib.sh"

JR=/lib/systemd/systemd-journal-remote
[ -x "$JR" ] || JR=/usr/lib/systemd/systemd-journal-remote
MID=0123456789abcdef0123456789abcdef

# seal_setup KEYFILE JOURNAL [ENV]: new sealing keys in a private namespace, the verification
# key into KEYFILE (mode 0600), and JOURNAL sealed from export text of 40 entries that span
# several 10-second epochs (journald seals an entry in the epoch of its own time).
seal_setup() {
	unshare --mount --propagation private sh -c '
		set -e
		D=$6
		mount -t tmpfs tmpfs /var/log/journal
		echo "$1" >"$D/machine-id"
		mount --bind "$D/machine-id" /etc/machine-id
		mkdir -p "/var/log/journal/$1"
		umask 077
		journalctl --setup-keys --interval=10s >"$2" 2>/dev/null
		python3 - >"$D/seal.export" <<"EOF"
import time
now = int(time.time() * 1e6)
for i in range(40):
    print("__REALTIME_TIMESTAMP=%d" % (now + i * 1500000))
    print("__MONOTONIC_TIMESTAMP=%d" % (1000 + i))
    print("_BOOT_ID=%032x" % 0x1111)
    print("_HOSTNAME=web1")
    print("MESSAGE=entry %d: sshd accepted password for user%d" % (i, i % 7))
    if i % 10 == 0:
        print("BIG=" + ("%d " % i) * 400)
    print()
EOF
		env $4 "$5" --seal=yes -o "$3" "$D/seal.export"
	' sh "$MID" "$1" "$2" "${3:-X=1}" "$JR" "$TRASH" 2>/dev/null
	test -s "$1"
	chmod 600 "$1"
}

# jverify KEYFILE JOURNAL: journalctl --verify with the key (the reference; the test machine is
# the receiver here, so the key may be an argument of journalctl).
jverify() {
	journalctl --verify --verify-key="$(cat "$1")" --file="$2"
}

# offset_of FILE TEXT: the offset of the first TEXT in FILE.
offset_of() {
	python3 -c 'import sys; print(open(sys.argv[1], "rb").read().index(sys.argv[2].encode()))' "$1" "$2"
}

t "setup: sealed journals (compact and regular) and an unsealed one, from systemd's tools" '
	test "$(id -u)" -eq 0
	test -x "$JR"
	seal_setup "$TRASH/key" "$TRASH/s.journal"
	seal_setup "$TRASH/key2" "$TRASH/r.journal" SYSTEMD_JOURNAL_COMPACT=0
	"$JR" -o "$TRASH/u.journal" "$TRASH/seal.export" 2>/dev/null
	journalctl --file "$TRASH/s.journal" --header >h1
	journalctl --file "$TRASH/r.journal" --header >h2
	journalctl --file "$TRASH/u.journal" --header >h3
	contains h1 "Compatible flags: SEALED"
	contains h1 COMPACT
	contains h2 "Compatible flags: SEALED"
	lacks h2 COMPACT
	lacks h3 SEALED
	# Several epochs: a tag at each epoch boundary, not only the first and the last.
	test "$(sed -n "s/^Tag objects: //p" h1)" -gt 3
	test "$(stat -c %a "$TRASH/key")" = 600
'

t "a good sealed journal verifies, as journalctl --verify says PASS, every tag counted" '
	for j in s:key r:key2; do
		f=$TRASH/${j%%:*}.journal
		k=$TRASH/${j#*:}
		jverify "$k" "$f" 2>jc.out
		contains jc.out "PASS: "
		lp journal verify --verify-key-file "$k" "$f" >out
		n=$(journalctl --file "$f" --header | sed -n "s/^Tag objects: //p")
		contains out "$f: sealed, $n tags verified, 40 entries sealed until 20"
		lacks out "not covered"
	done
'

t "a byte flipped in an entry data payload: journalctl fails, logpack names the tag after it" '
	cp "$TRASH/s.journal" bad.journal
	at=$(offset_of bad.journal "MESSAGE=entry 17:")
	flip_byte bad.journal $((at + 15))
	refute jverify "$TRASH/key" bad.journal 2>jc.out
	expect_code 7 lp journal verify --verify-key-file "$TRASH/key" bad.journal >out
	contains out "bad.journal: SEAL FAILED: tag "
	contains out " does not match"
	contains out "entries after the last good tag"
	# The tag named is a tag object (type 7), and the first one after the flipped byte.
	tag=$(sed -n "s/.* at offset \([0-9]*\) does not match.*/\1/p" out)
	test "$tag" -gt "$at"
	test "$(od -An -tu1 -j "$tag" -N1 bad.journal | tr -d " ")" = 7
	python3 - "$at" "$tag" bad.journal <<-EOF
	import struct, sys
	at, tag, d = int(sys.argv[1]), int(sys.argv[2]), open(sys.argv[3], "rb").read()
	hs = struct.unpack_from("<Q", d, 88)[0]
	p, tail = hs, struct.unpack_from("<Q", d, 136)[0]
	while True:
	    t, size = d[p], struct.unpack_from("<Q", d, p + 8)[0]
	    if t == 7 and p > at:
	        assert p == tag, (p, tag)
	        break
	    assert p != tail
	    p = (p + size + 7) & ~7
	EOF
'

t "a wrong key: both fail, at the first tag" '
	# One hex digit of the seed changed (0 <-> 1, anything else -> 0).
	k=$(cat "$TRASH/key")
	first=$(printf %s "$k" | cut -c1)
	case $first in 0) new=1 ;; *) new=0 ;; esac
	(umask 077 && printf "%s%s\n" "$new" "$(printf %s "$k" | cut -c2-)" >wrong)
	refute jverify wrong "$TRASH/s.journal" 2>jc.out
	expect_code 7 lp journal verify --verify-key-file wrong "$TRASH/s.journal" >out
	contains out "SEAL FAILED: tag 1 at offset "
	contains out "no tag verified"
	# The key of another setup, for a journal sealed by the first.
	expect_code 7 lp journal verify --verify-key-file "$TRASH/key2" "$TRASH/s.journal" >out2
	contains out2 "SEAL FAILED: tag 1 at offset "
'

t "an unsealed journal is reported as not sealed, not as a failure" '
	jverify "$TRASH/key" "$TRASH/u.journal" 2>jc.out
	lp journal verify --verify-key-file "$TRASH/key" "$TRASH/u.journal" >out
	contains out "u.journal: not sealed (40 entries)"
'

t "a journal cut short, and a file that is no journal, are not verified" '
	head -c 6000 "$TRASH/s.journal" >cut.journal
	expect_code 7 lp journal verify --verify-key-file "$TRASH/key" cut.journal >out
	contains out "SEAL FAILED: the file ends at offset 6000"
	echo hello >not.journal
	expect_code 4 lp journal verify --verify-key-file "$TRASH/key" not.journal >out2
	contains out2 "not a journal file"
'

t "the key file must be a private key file of yours: other modes, owners, a directory, no key" '
	cp "$TRASH/key" k
	for mode in 644 640 604; do
		chmod $mode k
		expect_code 2 lp journal verify --verify-key-file k "$TRASH/s.journal" >out 2>err
		test "$(wc -l <err)" -eq 1
		contains err "logpack: error: k: permissions 0$mode are too open"
		expect_code 2 lp verify --journal-verify-key k "$TRASH/s.journal" 2>err2
		contains err2 "permissions 0$mode are too open"
		test ! -s out
	done
	chmod 600 k
	chown nobody k
	expect_code 2 lp journal verify --verify-key-file k "$TRASH/s.journal" 2>err
	contains err "k: owned by uid "
	(umask 077 && echo "not-a-key/1-2" >garbage)
	expect_code 2 lp journal verify --verify-key-file garbage "$TRASH/s.journal" 2>err
	contains err "logpack: error: garbage: not a journal verification key"
	mkdir d
	chmod 700 d
	expect_code 2 lp journal verify --verify-key-file d "$TRASH/s.journal" 2>err
	contains err "d: not a regular file"
'

t "the key never goes on the command line: no option takes it, the key as a path is refused" '
	k=$(cat "$TRASH/key")
	expect_code 2 lp journal verify --verify-key="$k" "$TRASH/s.journal" 2>err
	expect_code 2 lp verify --verify-key="$k" "$TRASH/s.journal" 2>err
	expect_code 2 lp journal verify --verify-key-file "$k" "$TRASH/s.journal" 2>err
	contains err "takes a file that holds the verification key, not the key itself"
	lacks err "$k"
	expect_code 2 lp verify --journal-verify-key "$k" "$TRASH/s.journal" 2>err
	lacks err "$k"
	lp journal --help >help
	contains help "--verify-key-file KEYFILE"
	lp verify --help >help
	contains help "--journal-verify-key FILE"
'

R=$TRASH/root
mkdir -p "$R/etc" "$R/var/log/journal/$MID"
echo ID=debian >"$R/etc/os-release"

t "verify --journal-verify-key: a collected sealed journal, one line and JSON per journal" '
	cp "$TRASH/s.journal" "$R/var/log/journal/$MID/system.journal"
	cp "$TRASH/u.journal" "$R/var/log/journal/$MID/system@old.journal~"
	lp -q collect --root "$R" -o good.tar >/dev/null
	lp verify --journal-verify-key "$TRASH/key" good.tar >out
	contains out "good.tar: valid, unsigned"
	contains out "  journal data/var/log/journal/$MID/system.journal: sealed, "
	contains out "  journal data/var/log/journal/$MID/system@old.journal~: not sealed (40 entries)"
	lp verify --journal-verify-key "$TRASH/key" --json good.tar >out.json
	python3 - <<-EOF
	import json
	d = json.load(open("out.json"))
	b = d["bundles"][0]
	assert b["exit_code"] == 0 and b["journal_seal_failed"] == 0, b
	seals = sorted(j["seal"] for j in b["journals"])
	assert seals == ["not_sealed", "verified"], seals
	v = [j for j in b["journals"] if j["seal"] == "verified"][0]
	assert v["tags_verified"] == v["tags"] > 3 and v["entries_not_sealed"] == 0, v
	assert v["sealed_until"] and v["last_sealed_entry"], v
	assert d["summary"]["journal_seal_failed"] == 0
	EOF
	# Without the option: no journal lines.
	lp verify good.tar >plain
	lacks plain "journal data/"
'

t "verify --journal-verify-key: a journal altered before collection makes exit 7, not valid" '
	cp "$TRASH/s.journal" "$R/var/log/journal/$MID/system.journal"
	at=$(offset_of "$R/var/log/journal/$MID/system.journal" "MESSAGE=entry 30:")
	flip_byte "$R/var/log/journal/$MID/system.journal" $((at + 15))
	lp -q collect --root "$R" -o bad.tar >/dev/null
	expect_code 7 lp verify --journal-verify-key "$TRASH/key" bad.tar >out
	contains out "bad.tar: JOURNAL SEAL FAILED in 1 of 2 journal files; the bundle itself: valid, unsigned"
	contains out "  journal data/var/log/journal/$MID/system.journal: SEAL FAILED: tag "
	lacks out "bad.tar: valid"
	expect_code 7 lp verify --journal-verify-key "$TRASH/key" --json bad.tar >out.json
	python3 - <<-EOF
	import json
	d = json.load(open("out.json"))
	b = d["bundles"][0]
	assert d["exit_code"] == 7 and b["exit_code"] == 7 and b["journal_seal_failed"] == 1, b
	f = [j for j in b["journals"] if j["seal"] == "failed"][0]
	assert f["bad_tag_seqnum"] >= 1 and f["bad_tag_offset"] > 0, f
	EOF
	# --require does not lower it, an INVALID bundle stays 4, and the table says so.
	expect_code 7 lp verify --require valid --journal-verify-key "$TRASH/key" bad.tar >/dev/null
	expect_code 7 lp verify --journal-verify-key "$TRASH/key" bad.tar bad.tar >table
	contains table "SEAL FAILED"
	contains table "2 with a JOURNAL SEAL FAILED"
	# The bundle alone is intact: without the key, verify has nothing to say against it.
	lp verify bad.tar >plain
	contains plain "bad.tar: valid, unsigned"
'

test_done
