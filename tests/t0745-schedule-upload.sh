#!/bin/sh
# schedule install --upload: the command the unit and the cron entry run takes the snapshot and
# sends it, with nothing from the installing shell's environment.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/upload-lib.sh"

nginx_start || exit 1
T=$TRASH/root
make_debian_tree "$T"
URL="https://127.0.0.1:$NGINX_PORT/drop/scheduled"
DROP="$SRV/nginx/www/drop/scheduled"
CA="$SRV/ca.pem"
printf "user=%s\npassword=%s\n" "$NGINX_USER" "$NGINX_PASSWORD" >"$TRASH/creds"
chmod 600 "$TRASH/creds"

t "the installed unit's command snapshots and uploads, with no upload secret in its environment" '
	cp "$TRASH/creds" creds
	mkdir units
	"$LOGPACK" schedule install --unit-dir units --every 1h --state st -o out --root "$T" \
		--upload "$URL" --cacert "$CA" --credentials creds >/dev/null 2>&1
	S=units/logpack-snapshot.service
	grep -q -- "--credentials $PWD/creds$" $S
	systemd-analyze verify $S units/logpack-snapshot.timer >v 2>&1
	test ! -s v
	cmd=$(sed -n "s/^ExecStart=//p" $S)
	cd /
	env -u LOGPACK_UPLOAD_USER -u LOGPACK_UPLOAD_PASSWORD sh -c "$cmd"
	cd "$OLDPWD"
	name=$(basename out/*.tar.zst)
	cmp "out/$name" "$DROP/$name"
	(cd "$DROP" && sha256sum -c "$name.sha256")
'

t "the cron entry's command does the same" '
	cp "$TRASH/creds" creds
	mkdir cron
	"$LOGPACK" schedule install --cron --cron-dir cron --every 1h --state st2 -o out2 \
		--root "$T" --upload "$URL" --cacert "$CA" --credentials creds >/dev/null 2>&1
	cmd=$(grep "^0 \* " cron/logpack-snapshot | cut -d" " -f7- | sed "s/\\\\%/%/g")
	env -u LOGPACK_UPLOAD_USER -u LOGPACK_UPLOAD_PASSWORD sh -c "$cmd"
	name=$(basename out2/*.tar.zst)
	cmp "out2/$name" "$DROP/$name"
'
test_done
