#!/bin/sh
# The documentation of the options keeps in step with the code: every long option in a
# command's option table (the struct option and collect_opt arrays of src/cmd, with the
# option macros of include/cmd) is shown by 'logpack CMD --help' and written in the man page's
# section on the command; every option the help shows is in the table and accepted; every
# command has its section in the man page. An option added to the code without its
# documentation fails here, naming the command and the option.
. "$TEST_SRCDIR/test-lib.sh"
: "${TOP_SRCDIR:?TOP_SRCDIR must name the source tree (make check sets it)}"

MAN=$TOP_SRCDIR/man/logpack.1

# Options that are no interface, left out of the help and the man page on purpose. receive
# starts its confined bundle reader as "logpack -q receive --reader-child --parent-pid=PID
# --label=NAME [--reader-uid=UID:GID] ..." (src/series/inbox-reader.c): the reader reads one
# bundle from its standard input and answers on it; these four only set that process up.
INTERNAL="receive:reader-child receive:parent-pid receive:label receive:reader-uid"

# The man page sections that document a command's options besides its own and GLOBAL OPTIONS
# (-h, -v, -q), as the man page says: collect --upload, "the options of upload apply";
# snapshot, "The options are collect's, and --incident and --upload with the upload options";
# schedule passes on the "snapshot options".
man_refs() {
	case $1 in
	collect) echo upload ;;
	snapshot) echo collect upload ;;
	schedule) echo snapshot collect upload ;;
	esac
}

# The ways into a command's options: after a subcommand, where it has them ("-" for none;
# journal has a table for each of its two).
invocations() {
	case $1 in
	incident) echo init ;;
	journal) echo export verify ;;
	profiles) echo import ;;
	schedule) echo install ;;
	*) echo - ;;
	esac
}

# opts_in [-b TABLE] FILE...: "NAME 1" (it takes a value) or "NAME 0" for every entry of the
# option tables in FILE: struct option arrays ({"name", required_argument, ...}) and
# struct collect_opt arrays (OPT("name", id, COLLECT_ARG_..., ...)), with the option macros
# of include/cmd/*.h that a table names (UPLOAD_CLI_LONG_OPTIONS...) expanded; with -b, only
# the table of that name.
opts_in() {
	_only=
	if [ "$1" = -b ]; then
		_only=$2
		shift 2
	fi
	awk -v only="$_only" -v hdrs="$(echo "$TOP_SRCDIR"/include/cmd/*.h)" '
	BEGIN {
		n = split(hdrs, h, " ")
		for (i = 1; i <= n; i++) {
			name = ""
			while ((getline line < h[i]) > 0) {
				if (name == "" && line ~ /^#define [A-Z0-9_]+[ \t]*\\$/) {
					name = line
					sub(/^#define /, "", name)
					sub(/[ \t]*\\$/, "", name)
					body = ""
				} else if (name != "") {
					body = body " " line
					if (line !~ /\\$/) {
						if (body ~ /_argument/)
							macro[name] = body
						name = ""
					}
				}
			}
			close(h[i])
		}
	}
	!inblock && match($0, /struct (option|collect_opt) [A-Za-z0-9_]+\[\] = \{/) {
		block = substr($0, RSTART, RLENGTH)
		sub(/^struct [a-z_]+ /, "", block)
		sub(/\[.*/, "", block)
		inblock = 1
		text = ""
	}
	inblock {
		text = text " " $0
		if ($0 !~ /\};[ \t]*$/)
			next
		inblock = 0
		if (only != "" && block != only)
			next
		for (m in macro)
			if (text ~ ("[^A-Za-z0-9_]" m "([^A-Za-z0-9_]|$)"))
				text = text " " macro[m]
		t = text
		while (match(t, /"[a-z0-9-]+"[ \t]*,[ \t]*(no|required|optional)_argument/)) {
			e = substr(t, RSTART, RLENGTH)
			t = substr(t, RSTART + RLENGTH)
			split(e, f, "\"")
			print f[2], (e ~ /required_argument/ ? 1 : 0)
		}
		t = text
		while (match(t, /OPT\([ \t]*"[a-z0-9-]+"[ \t]*,[^,]*,[ \t]*COLLECT_ARG_[A-Z_]+/)) {
			e = substr(t, RSTART, RLENGTH)
			t = substr(t, RSTART + RLENGTH)
			split(e, f, "\"")
			print f[2], (e ~ /COLLECT_ARG_NONE/ ? 0 : 1)
		}
	}' "$@" | LC_ALL=C sort -u
}

# table_of CMD: the options of CMD's table. collect, snapshot and schedule make theirs from
# the shared table of collect-opts.c (collect_opts_tables), with their own entries, if any.
table_of() {
	_src=$TOP_SRCDIR/src/cmd/cmd-$1.c
	if [ ! -f "$_src" ]; then
		echo "no source $_src for the command $1" >&2
		return 1
	fi
	if grep -q "collect_opts_tables(" "$_src"; then
		opts_in "$_src" "$TOP_SRCDIR/src/cmd/collect-opts.c"
	else
		opts_in "$_src"
	fi
}

# shown HELPFILE: the long options a help text shows: those its option lines (indented at
# most 8 columns) start with, and those after a ", " on such a line ("--max-members N,
# --max-size SIZE", schedule's list of the options it passes on).
shown() {
	awk '{
		match($0, /^ */)
		if (RLENGTH > 8 || substr($0, RLENGTH + 1, 1) != "-")
			next
		t = substr($0, RLENGTH + 1)
		sub(/^-[A-Za-z0-9], /, "", t)
		t = ", " t
		while (match(t, /, --[a-z0-9][a-z0-9-]*/)) {
			o = substr(t, RSTART + 4, RLENGTH - 4)
			sub(/-+$/, "", o)
			print o
			t = substr(t, RSTART + RLENGTH)
		}
	}' "$1" | LC_ALL=C sort -u
}

# man_escape NAME: NAME as the man page writes it, every dash escaped (verify\-receipt).
man_escape() {
	printf '%s\n' "$1" | sed 's/-/\\-/g'
}

# man_text CMD: the man page's sections on CMD (".SS CMD" and ".SS CMD SUBCOMMAND"), GLOBAL
# OPTIONS, and the sections man_refs names.
man_text() {
	_want=
	for _c in $1 $(man_refs "$1"); do
		_want="$_want $(man_escape "$_c")"
	done
	# (through the environment: awk -v would take the backslashes for escapes)
	NAMES=$_want awk '
	BEGIN {
		n = split(ENVIRON["NAMES"], w, " ")
		for (i = 1; i <= n; i++)
			want[w[i]] = 1
	}
	/^\.S[HS] / {
		title = substr($0, 5)
		split(title, tw, " ")
		on = ($0 ~ /^\.SS / && (tw[1] in want)) || title == "GLOBAL OPTIONS"
	}
	on' "$MAN"
}

# has_section CMD: the man page has a section ".SS CMD" or ".SS CMD SUBCOMMAND".
has_section() {
	E=$(man_escape "$1") awk '
	BEGIN { e = ENVIRON["E"] }
	/^\.SS / { split(substr($0, 5), tw, " "); if (tw[1] == e) found = 1 }
	END { exit !found }' "$MAN"
}

# verdict CMD NAME TAKES_VALUE: run "logpack CMD [SUBCOMMAND] --NAME [1] --zz-end" for each
# way into CMD (the unknown --zz-end stops every run before it does anything) and print
# "unknown" when every run called --NAME an unknown option, "refused" when CMD refused it
# with its reason, "ok" otherwise (also when the dummy value 1 is no good).
verdict() {
	for _sub in $(invocations "$1"); do
		[ "$_sub" != - ] || _sub=
		if [ "$3" = 1 ]; then
			_err=$("$LOGPACK" "$1" $_sub "--$2" 1 --zz-end 2>&1 </dev/null >/dev/null) || :
		else
			_err=$("$LOGPACK" "$1" $_sub "--$2" --zz-end 2>&1 </dev/null >/dev/null) || :
		fi
		case $_err in
		*"logpack: --$2 does not go with"*)
			echo refused
			return
			;;
		*"unknown option '--$2'"*) ;;
		*)
			echo ok
			return
			;;
		esac
	done
	echo unknown
}

# check_documented CMD: every option in CMD's table but the internal ones is shown by its
# help (the upload options may be shown by upload's, when CMD's help says "the upload options
# of 'logpack upload' apply") and written in its man page text (man.CMD), as \-\-NAME with
# every dash escaped and not only as the start of a longer option (\-\-keep\-for is not
# \-\-keep). An option the command refuses, with its reason, is documented with the command
# that takes it: not in CMD's help, and anywhere in the man page. Each failure is a line.
check_documented() {
	man_text "$1" >"man.$1"
	_ref=0
	if grep -qF "options of 'logpack upload'" "$TRASH/help.$1"; then
		_ref=1
	fi
	_where=$1
	for _c in $(man_refs "$1"); do
		_where="$_where, $_c"
	done
	awk -v cmd="$1" -v where="$_where" -v ref="$_ref" -v internal=" $INTERNAL " '
	function in_text(name, where,    k, p, j, e, s, i, r) {
		k = split(name, p, "-")
		e = "\\-\\-" p[1]
		for (j = 2; j <= k; j++)
			e = e "\\-" p[j]
		s = text[where]
		while ((i = index(s, e)) > 0) {
			r = substr(s, i + length(e))
			if (r !~ /^[A-Za-z0-9]/ && r !~ /^\\-/)
				return 1
			s = substr(s, i + 1)
		}
		return 0
	}
	FILENAME == ARGV[1] { table[++n] = $1; next }
	FILENAME == ARGV[2] { verdict[$1] = $2; next }
	FILENAME == ARGV[3] { shown[$1] = 1; next }
	FILENAME == ARGV[4] { upload_group[$1] = 1; next }
	FILENAME == ARGV[5] { upload_shown[$1] = 1; next }
	FILENAME == ARGV[6] { text["section"] = text["section"] $0 "\n"; next }
	FILENAME == ARGV[7] { text["all"] = text["all"] $0 "\n"; next }
	END {
		for (i = 1; i <= n; i++) {
			o = table[i]
			if (index(internal, " " cmd ":" o " "))
				continue
			if (verdict[o] == "refused") {
				if (!in_text(o, "all")) {
					print cmd ": --" o " (which " cmd " refuses) is not in man/logpack.1"
					bad = 1
				}
				continue
			}
			if (!(o in shown) && !(ref && (o in upload_group) && (o in upload_shown))) {
				print cmd ": --" o " is in its option table but not in \047logpack " cmd \
					" --help\047"
				bad = 1
			}
			if (!in_text(o, "section")) {
				print cmd ": --" o " is in its option table but not in the man page\047s" \
					" sections on " where " or GLOBAL OPTIONS"
				bad = 1
			}
		}
		exit bad
	}' "$TRASH/table.$1" "$TRASH/verdict.$1" "$TRASH/shown.$1" "$TRASH/upload-group" \
		"$TRASH/shown.upload" "man.$1" "$MAN" >&2
}

# check_taken CMD: every option read from CMD's table is one CMD takes (else the reading of
# the tables went wrong, or the binary is not built from this source).
check_taken() {
	awk -v cmd="$1" '
	FILENAME == ARGV[1] { table[$1] = 1; next }
	($1 in table) && $2 == "unknown" {
		print cmd ": --" $1 ", read from its table, is unknown to logpack " cmd
		bad = 1
	}
	END { exit bad }' "$TRASH/table.$1" "$TRASH/verdict.$1" >&2
}

# check_shown CMD: every option CMD's help shows is in its table under that very name
# (getopt_long would take an abbreviation too) and is not unknown to CMD.
check_shown() {
	awk -v cmd="$1" '
	FILENAME == ARGV[1] { table[$1] = 1; next }
	FILENAME == ARGV[2] { verdict[$1] = $2; next }
	{
		if (!($1 in table)) {
			print cmd ": \047logpack " cmd " --help\047 shows --" $1 \
				", which is not in its option table"
			bad = 1
		}
		if (verdict[$1] == "unknown") {
			print cmd ": \047logpack " cmd " --help\047 shows --" $1 \
				", which logpack " cmd " calls unknown"
			bad = 1
		}
	}
	END { exit bad }' "$TRASH/table.$1" "$TRASH/verdict.$1" "$TRASH/shown.$1" >&2
}

lp --help >"$TRASH/main-help"
COMMANDS=$(awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' \
	"$TRASH/main-help")
for c in $COMMANDS; do
	lp "$c" --help >"$TRASH/help.$c" || :
	table_of "$c" >"$TRASH/table.$c" || :
	shown "$TRASH/help.$c" >"$TRASH/shown.$c"
	# The verdict on every option in the table or shown by the help (one the table lacks is
	# tried without a value).
	awk 'NR == FNR { seen[$1] = 1; print; next } !($1 in seen) { print $1, 0 }' \
		"$TRASH/table.$c" "$TRASH/shown.$c" |
		while read -r o v; do
			echo "$o $(verdict "$c" "$o" "$v")"
		done >"$TRASH/verdict.$c"
done
opts_in -b upload_long "$TOP_SRCDIR/src/cmd/collect-opts.c" >"$TRASH/upload-group"

t "the commands, their option tables and their help are found" '
	test "$(echo $COMMANDS | wc -w)" -ge 16
	for c in $COMMANDS; do
		if [ "$(wc -l <"$TRASH/table.$c")" -lt 2 ] || [ "$(wc -l <"$TRASH/shown.$c")" -lt 2 ]
		then
			echo "$c: no option table found in the source, or no option in its --help" >&2
			echo "$c" >>bad
		fi
	done
	test ! -e bad
	test "$(wc -l <"$TRASH/upload-group")" -ge 10
	for o in cacert credentials delete-after-upload; do
		grep -q "^$o [01]\$" "$TRASH/upload-group"
	done
'

t "every command that logpack --help lists has its section in the man page" '
	for c in $COMMANDS; do
		if ! has_section "$c"; then
			echo "$c: no section .SS $(man_escape "$c") in man/logpack.1" >&2
			echo "$c" >>bad
		fi
	done
	test ! -e bad
'

t "every option read from a command's table is one the command takes" '
	for c in $COMMANDS; do
		check_taken "$c" || echo "$c" >>bad
	done
	test ! -e bad
'

t "each internal option is in its command's table and in no help" '
	for x in $INTERNAL; do
		c=${x%%:*}
		o=${x#*:}
		if ! grep -q "^$o [01]\$" "$TRASH/table.$c"; then
			echo "$c: --$o is listed as internal but is not in its table: drop it" >&2
			echo "$x" >>bad
		fi
		if grep -qx -- "$o" "$TRASH/shown.$c"; then
			echo "$c: --$o is listed as internal but its help shows it" >&2
			echo "$x" >>bad
		fi
	done
	test ! -e bad
'

t "every option in a command's table is in its --help and its man page section" '
	for c in $COMMANDS; do
		check_documented "$c" || echo "$c" >>bad
	done
	test ! -e bad
'

t "every option a command's --help shows is in its table, and taken" '
	for c in $COMMANDS; do
		check_shown "$c" || echo "$c" >>bad
	done
	test ! -e bad
'

test_done
