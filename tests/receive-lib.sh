# Helpers for the receive tests (t085x): keys, bundles and an inbox. Source after test-lib.sh.
# The suite runs as root, so receive is run with --allow-root (its reader still drops to
# nobody) unless a test runs it as another user.

FX=$TRASH/fx
mkdir -p "$FX"

# receive_fixture: in $FX, a sender's key (snd), the CERT's key (cert), an age identity (ak),
# a tree, and bundles: plain/ (signed) and enc/ (signed, then encrypted to ak).
receive_fixture() {
	(
		cd "$FX" || exit 1
		mkdir -p root/etc root/var/log plain enc
		printf 'ID=debian\n' >root/etc/os-release
		seq 1 20000 | sed 's/^/syslog line /' >root/var/log/syslog
		echo 'sshd: Accepted password for root' >root/var/log/auth.log
		"$LOGPACK" -q keygen --out snd --subject "/O=Sender Org/CN=sender" >/dev/null
		"$LOGPACK" -q keygen --out cert --subject "/O=CERT/CN=inbox" >/dev/null
		"$LOGPACK" -q keygen --out other --subject "/O=Elsewhere/CN=other" >/dev/null
		age-keygen -o ak 2>/dev/null
		chmod 600 ak
		"$LOGPACK" -q collect --root root -o plain --sign-key snd.key --sign-cert snd.crt >/dev/null
		"$LOGPACK" -q collect --root root -o enc --sign-key snd.key --sign-cert snd.crt \
			--encrypt-to "$(grep -o 'age1.*' ak)" >/dev/null
	)
}

# new_inbox: in the current directory, empty in/, acc/ and rej/.
new_inbox() {
	rm -rf in acc rej
	mkdir in acc rej
}

# receive ARGS...: one receive pass over ./in as root, trusting the sender, with receipts;
# killed at the point $CRASH_AT names, when it is set.
receive() {
	env ${CRASH_AT:+LOGPACK_TEST_CRASH_AT=$CRASH_AT} "$LOGPACK" receive --allow-root --inbox in --accepted acc --rejected rej --settle 0 \
		--trust "$FX/snd.crt" --sign-key "$FX/cert.key" --sign-cert "$FX/cert.crt" "$@"
}

# plain_bundle: the path of the plain bundle.
plain_bundle() {
	ls "$FX"/plain/*.tar.zst
}
