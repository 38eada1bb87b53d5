#!/bin/sh
# How `collect --profile` and `profiles check|show` find a profile: a stock name always means
# the stock profile (a file planted in the current directory under that name never overrides
# it), any other bare name is a file in the current directory, and a name with a '/' is always a
# file.
. "$TEST_SRCDIR/test-lib.sh"

R=$TRASH/root
make_debian_tree "$R"
echo "custom log" >"$R/var/log/custom.app"

t "a planted file named debian in the current directory does not replace the stock profile" '
	# The planted profile would take only /etc/passwd.
	printf "name debian\n[system]\n/etc/passwd\n" >debian
	lp collect --root "$R" --profile debian -o out --json >s.json
	bag=$(bag_of "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"bundle\"])" s.json)" x)
	grep "\"/var/log/auth.log\"" "$bag/logpack/files.jsonl" >rec
	contains rec "\"category\":\"auth\""
	grep -q "\"name\": \"debian\"" "$bag/logpack/host.json"
	# The profile recorded is the stock file, by its hash.
	sum=$(sha256sum "$TOP_SRCDIR/profiles/debian" | cut -d" " -f1)
	contains "$bag/logpack/host.json" "$sum"
	lacks "$bag/logpack/host.json" "$(sha256sum debian | cut -d" " -f1)"
	lp profiles check debian >out.txt
	contains out.txt "debian: ok"
	lp profiles show debian >show.txt
	contains show.txt "/var/log/auth.log"
'

t "a bare name that is no stock profile is a file in the current directory" '
	printf "name mine\n[application]\n/var/log/custom.app\n" >mine
	lp collect --root "$R" --profile mine -o out --json >s.json
	bag=$(bag_of "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"bundle\"])" s.json)" x)
	test -f "$bag/data/var/log/custom.app"
	contains "$bag/logpack/host.json" "$(sha256sum mine | cut -d" " -f1)"
	lp profiles check mine >out.txt
	contains out.txt "mine: ok"
	printf "name broken\n[Bad Name]\n" >broken
	expect_code 4 lp profiles check broken >out2.txt
	contains out2.txt "broken:2: error"
'

t "a name with a slash is always a file, even a stock name" '
	printf "name debian\n[system]\n/etc/passwd\n" >debian
	lp collect --root "$R" --profile ./debian -o out --json >s.json
	bag=$(bag_of "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"bundle\"])" s.json)" x)
	test -f "$bag/data/etc/passwd"
	# auth.log is only swept up as an unclaimed log: no auth rule of the stock profile.
	grep "\"/var/log/auth.log\"" "$bag/logpack/files.jsonl" >rec
	contains rec "\"category\":\"other\""
	mkdir sub
	expect_code 3 lp profiles check sub/none 2>err.txt
	contains err.txt "sub/none"
'

t "an unknown bare name with no such file fails with exit 3 and names it" '
	expect_code 3 lp collect --root "$R" --profile nosuch -o out 2>err.txt
	contains err.txt "nosuch"
	contains err.txt "not found"
	# A directory of that name in the current directory is not a profile.
	mkdir nodir
	expect_code 3 lp collect --root "$R" --profile nodir -o out 2>err2.txt
	contains err2.txt "not found"
'

test_done
