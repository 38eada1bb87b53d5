#!/bin/sh
# `profiles import`: ForensicArtifacts definitions into a profile. On the shared copy of the
# definitions, every FILE, DIRECTORY and PATH path for Linux and macOS is converted or reported
# with a reason (counted independently, with PyYAML), the profile passes `profiles check` and
# collects a Debian test root; templates name definitions; hostile YAML gets one-line errors.
. "$TEST_SRCDIR/test-lib.sh"

# The definitions: shared/ beside the clone (CI sets LOGPACK_FORENSIC_ARTIFACTS). Missing data
# fails the test, never skips it: the conversion would go unchecked.
FA=${LOGPACK_FORENSIC_ARTIFACTS:-$TEST_SRCDIR/../../shared/forensic-artifacts/data}
[ -f "$FA/linux.yaml" ] || FA=/work/shared/forensic-artifacts/data

t "the ForensicArtifacts definitions are there (../shared/forensic-artifacts/data)" '
	test -f "$FA/linux.yaml"
	test -f "$FA/macos.yaml"
'

# expected.py DATA OS: what the definitions hold for OS, read with PyYAML (its pure-Python
# loader, not libyaml), in pieces between "---" lines as the importer reads them. Prints
# "paths N", "other N" (sources of other types that are not groups), and
# "piece FILE:LINE N" for each piece with the paths it holds.
cat >"$TRASH/expected.py" <<'PYEOF'
import glob, os, sys, yaml
data, osname = sys.argv[1], sys.argv[2].lower()
def for_os(m):
    oses = m.get("supported_os") or []
    return not oses or osname in [o.lower() for o in oses]
paths = other = 0
for f in sorted(glob.glob(os.path.join(data, "*.yaml"))):
    lines = open(f, encoding="utf-8").read().split("\n")
    starts = [0] + [i for i, l in enumerate(lines) if i > 0 and (l == "---" or l.startswith("--- "))]
    for k, s in enumerate(starts):
        e = starts[k + 1] if k + 1 < len(starts) else len(lines)
        n = 0
        for d in yaml.load_all("\n".join(lines[s:e]), Loader=yaml.SafeLoader):
            if not d or not for_os(d):
                continue
            for src in d["sources"]:
                if not for_os(src):
                    continue
                if src["type"] in ("FILE", "DIRECTORY", "PATH"):
                    n += len(src["attributes"]["paths"])
                elif src["type"] != "ARTIFACT_GROUP":
                    other += 1
        paths += n
        print("piece %s:%d %d" % (f, s + 1, n))
print("paths %d" % paths)
print("other %d" % other)
PYEOF

# check_os OS: converted + reported + the paths of documents not taken = what the YAML holds.
check_os() {
	os=$1
	python3 "$TRASH/expected.py" "$FA" "$os" >exp.txt
	expect_paths=$(sed -n "s/^paths //p" exp.txt)
	test "$expect_paths" -gt 100
	expect_code 1 lp profiles import --os "$os" --json "$FA"/*.yaml >imp.json 2>err.txt
	python3 - imp.json exp.txt "$expect_paths" <<-PYEOF
		import json, sys
		doc = json.load(open(sys.argv[1]))
		pieces = dict(l.split()[1:3] for l in open(sys.argv[2]) if l.startswith("piece "))
		conv = [p for p in doc["paths"] if p["status"] == "converted"]
		rep = [p for p in doc["paths"] if p["status"] == "reported"]
		unread = [s for s in doc["skipped"] if s["type"] == "document"]
		assert all(p["pattern"] for p in conv), "a converted path without a pattern"
		assert all(p["reason"] for p in rep), "a reported path without a reason"
		assert all(s["reason"] for s in doc["skipped"]), "a skipped source without a reason"
		lost = sum(int(pieces[s["origin"]]) for s in unread)
		got = len(conv) + len(rep) + lost
		print("converted %d reported %d in documents not taken %d; the YAML holds %s"
		      % (len(conv), len(rep), lost, sys.argv[3]))
		assert got == int(sys.argv[3]), "%d != %s" % (got, sys.argv[3])
		assert doc["converted"] == len(conv) and doc["reported"] == len(rep)
		assert len(unread) == doc["documents_not_read"] == 1, unread
		# Each path once: no definition is converted twice through a group.
		keys = [(p["artifact"], p["origin"], p["path"]) for p in doc["paths"]]
		assert len(keys) == len(set(keys)), "a path counted twice"
	PYEOF
	# Every source of another type than files and groups is listed as skipped, with why.
	other=$(sed -n "s/^other //p" exp.txt)
	skipped=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for s in d[\"skipped\"] if s[\"type\"] not in (\"document\", \"ARTIFACT_GROUP\")))" imp.json)
	test "$skipped" -eq "$other"
	contains err.txt "not taken: the document at $FA/unix_common.yaml:2"
}

t "Linux: every FILE/DIRECTORY/PATH path converts or is reported (counted with PyYAML)" '
	check_os linux
	# The commands of Linux definitions are named as skipped, with the reason.
	contains err.txt "skipped IPTablesRules ($FA/linux.yaml:"
	contains err.txt "COMMAND: runs a program; logpack never runs the system"
'

t "macOS: every FILE/DIRECTORY/PATH path converts or is reported (counted with PyYAML)" '
	check_os darwin
'

t "Windows: registry and WMI sources are skipped with a reason; unmappable variables named" '
	expect_code 1 lp profiles import --os windows --json "$FA"/*.yaml >w.json 2>err.txt
	contains err.txt "REGISTRY_KEY: the Windows registry; logpack takes files"
	contains err.txt "WMI: a query to a running Windows system"
	contains err.txt "%%users.username%% cannot be mapped"
	python3 -c "
import json, sys
d = json.load(open(\"w.json\"))
pats = [p[\"pattern\"] for p in d[\"paths\"] if p[\"pattern\"]]
assert any(p.startswith(\"/Windows/System32/\") for p in pats), pats[:5]
assert any(p.startswith(\"~/AppData/Local/\") for p in pats)
"
	contains w.json "case insensitive"
'

t "the Linux profile passes profiles check and collects the Debian test root" '
	expect_code 1 lp profiles import --os linux -o fa.prof "$FA"/*.yaml 2>err.txt
	lp profiles check ./fa.prof >chk.txt
	contains chk.txt "fa.prof: ok"
	lacks chk.txt "warning"
	# The origin comments name the definition, its file and line, and its urls.
	contains fa.prof "# ForensicArtifacts AptitudeLogFiles ($FA/linux.yaml:"
	contains fa.prof "# https://www.debian.org/doc/manuals/aptitude/rn01re01.en.html"
	contains fa.prof "~/.bash_history"
	contains fa.prof "/var/log/aptitude*"
	make_debian_tree r
	mkdir -p r/home/alice r/etc/cron.daily
	echo "ls" >r/home/alice/.bash_history
	echo "#!/bin/sh" >r/etc/cron.daily/planted
	lp collect --root r --profile ./fa.prof -o out --json >s.json 2>cerr.txt
	python3 -c "import json; d=json.load(open(\"s.json\")); assert d[\"files_unreadable\"] == 0 and not d[\"partial\"], d"
	bag=$(bag_of "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"bundle\"])" s.json)" x)
	test -f "$bag/data/home/alice/.bash_history"
	test -f "$bag/data/etc/cron.daily/planted"
	test -f "$bag/data/var/log/auth.log"
	grep "\"/etc/cron.daily/planted\"" "$bag/logpack/files.jsonl" >rec
	contains rec "\"category\":\"artifacts\""
'

t "a template names definitions; its artifact lines become their rules" '
	printf "name site\ninclude linux\n\n[context]\nartifact AnacronFiles SSHAuthorizedKeysFiles # cron and ssh\n[auth]\n/var/log/site-auth.log\nartifact LinuxAuthLogs\n" >site.tmpl
	lp profiles import --template site.tmpl -o site.prof "$FA"/linux.yaml "$FA"/shell.yaml 2>err.txt
	contains site.prof "/etc/anacrontab"
	contains site.prof "/var/log/site-auth.log"
	contains site.prof "include linux"
	lp profiles show --json ./site.prof >show.json
	python3 -c "
import json
r = json.load(open(\"show.json\"))[\"rules\"]
cat = {x[\"pattern\"]: x[\"category\"] for x in r if \"site.prof\" in x[\"origin\"]}
assert cat[\"/etc/anacrontab\"] == \"context\", cat
assert cat[\"/var/log/site-auth.log\"] == \"auth\"
assert any(c == \"auth\" and p.startswith(\"/var/log/auth\") for p, c in cat.items()), cat
"
	# A template itself is no profile: collect and check say what to do with it.
	expect_code 4 lp profiles check ./site.tmpl >chk.txt
	contains chk.txt "artifact"
	contains chk.txt "profiles import --template"
	# A name no file defines: exit 4, the template line named.
	printf "[x]\nartifact NoSuchThing\n" >bad.tmpl
	expect_code 4 lp profiles import --template bad.tmpl "$FA"/linux.yaml >o.txt 2>err.txt
	contains err.txt "bad.tmpl:2: artifact NoSuchThing: none of the given files defines it"
	test "$(wc -l <err.txt)" -eq 1
	printf "artifact AnacronFiles\n" >nosec.tmpl
	expect_code 4 lp profiles import --template nosec.tmpl "$FA"/linux.yaml 2>err.txt
	contains err.txt "nosec.tmpl:1: an artifact line before any [section]"
'

t "groups: expanded once, cycles and missing members reported, depth bounded" '
	cat >g.yaml <<-EOF
		name: A
		sources:
		- type: ARTIFACT_GROUP
		  attributes: {names: [B, Missing]}
		---
		name: B
		sources:
		- type: FILE
		  attributes: {paths: ["/var/log/b.log", "%%users.homedir%%/.b_history"]}
		- type: ARTIFACT_GROUP
		  attributes: {names: [A]}
		EOF
	lp profiles import --json g.yaml >g.json 2>err.txt
	contains err.txt "group cycle: A -> B -> A (not followed)"
	contains err.txt "ARTIFACT_GROUP names Missing, which none of the given files defines"
	python3 -c "
import json
d = json.load(open(\"g.json\"))
assert d[\"definitions\"] == 2, d[\"definitions\"]
assert sorted(p[\"pattern\"] for p in d[\"paths\"]) == [\"/var/log/b.log\", \"~/.b_history\"], d[\"paths\"]
"
	# A chain of 40 groups stops at the bound, with a reason.
	python3 -c "
for i in range(40):
    print(\"---\\nname: G%d\\nsources:\\n- type: ARTIFACT_GROUP\\n  attributes: {names: [G%d]}\" % (i, i + 1))
print(\"---\\nname: G40\\nsources:\\n- type: FILE\\n  attributes: {paths: [/x]}\")
" >chain.yaml
	lp profiles import chain.yaml >chain.prof 2>err.txt
	contains err.txt "groups nested deeper than 16 (not followed)"
'

t "paths: variables mapped or named, ** and DIRECTORY, --os on sources" '
	cat >v.yaml <<-EOF
		name: V
		sources:
		- type: FILE
		  attributes: {paths: ["/var/log/app/**5/*.log", "/srv/%%users.username%%/x", "/opt/%%users.homedir%%/y", "relative/z", "/a b/\"q\".log"]}
		- type: DIRECTORY
		  attributes: {paths: ["/etc/app.d"]}
		- type: FILE
		  attributes: {paths: ["/only/darwin"]}
		  supported_os: [Darwin]
		- type: REGISTRY_KEY
		  attributes: {keys: ["HKEY_LOCAL_MACHINE\\\\X"]}
		supported_os: [Linux, Darwin]
		EOF
	lp profiles import --os linux -o v.prof v.yaml 2>err.txt
	contains v.prof "/var/log/app/**/*.log"
	contains v.prof "/etc/app.d/*"
	contains v.prof "\"/a b/\\\"q\\\".log\""
	lacks v.prof "/only/darwin"
	contains err.txt "%%users.username%% cannot be mapped"
	contains err.txt "%%users.homedir%% not at the start of the path"
	contains err.txt "not an absolute path ("
	contains err.txt "relative/z"
	contains err.txt "skipped V (v.yaml:10): REGISTRY_KEY"
	lp profiles check ./v.prof >chk.txt
	contains chk.txt "ok"
	lp profiles import --os darwin v.yaml >d.prof 2>/dev/null
	contains d.prof "/only/darwin"
	contains d.prof "case insensitive"
'

# hostile FILE CODE TEXT: the import fails with CODE and a single line naming FILE and TEXT,
# writes no output file.
hostile() {
	expect_code "$2" lp profiles import -o out.prof "$1" >o.txt 2>err.txt
	test "$(wc -l <err.txt)" -eq 1
	contains err.txt "logpack: error: "
	contains err.txt "$1"
	contains err.txt "$3"
	test ! -e out.prof
	test ! -s o.txt
}

t "hostile YAML: aliases, anchors, depth, size, documents, NUL: one line, exit 4, no file" '
	printf "name: &a X\nsources: []\n" >anchor.yaml
	hostile anchor.yaml 4 "anchor.yaml:1: YAML anchors (&a) are not accepted"
	printf "a: &a [x, x]\nb: [*a, *a]\n" >bomb.yaml
	hostile bomb.yaml 4 "bomb.yaml:1: YAML anchors"
	printf "name: X\nsources: [*a]\n" >alias.yaml
	hostile alias.yaml 4 "alias.yaml:2: YAML aliases (*a) are not accepted"
	python3 -c "print(\"name: X\\nsources: \" + \"[\" * 100 + \"]\" * 100)" >deep.yaml
	hostile deep.yaml 4 "deep.yaml:2: nested deeper than 32: refused"
	head -c 9000000 /dev/zero | tr "\\0" "#" >big.yaml
	hostile big.yaml 4 "big.yaml: larger than 8 MiB: refused"
	python3 -c "print(\"---\\n\" * 20001)" >docs.yaml
	hostile docs.yaml 4 "more than 20000 documents: refused"
	python3 -c "print(\"name: X\\nsources: [\" + \"a,\" * 100001 + \"]\")" >nodes.yaml
	hostile nodes.yaml 4 "a document of more than 100000 nodes: refused"
	python3 -c "print(\"name: \" + \"x\" * 70000 + \"\\nsources: []\")" >long.yaml
	hostile long.yaml 4 "a string longer than 64 KiB: refused"
	printf "name: X\n\0sources: []\n" >nul.yaml
	hostile nul.yaml 4 "nul.yaml:2: a NUL byte"
	hostile missing.yaml 3 "cannot read missing.yaml"
'

t "a broken document is reported and the others taken (exit 1); bad structure likewise" '
	printf "name: Good\nsources:\n- type: FILE\n  attributes: {paths: [/g]}\n---\nname: Bad\nsources: [\n---\nname: NoSources\n---\n- just a list\n" >mixed.yaml
	expect_code 1 lp profiles import --json -o m.prof mixed.yaml >m.json 2>err.txt
	contains m.prof "/g"
	contains err.txt "not taken: the document at mixed.yaml:5: mixed.yaml:"
	contains err.txt "mixed.yaml:9: definition NoSources has no list of sources"
	contains err.txt "mixed.yaml:11: a definition must be a mapping"
	python3 -c "import json; assert json.load(open(\"m.json\"))[\"documents_not_read\"] == 3"
'

t "a newline in a name or a source type stays inside its comment: the profile loads" '
	printf "name: \"N1\\\\n/etc/planted-by-name\"\nsources:\n- type: \"FI\\\\n- /etc/planted-by-type\"\n  attributes: {paths: [/x]}\n- type: FILE\n  attributes: {paths: [/g]}\n" >nl.yaml
	grep -q "N1.n/etc/planted" nl.yaml
	lp profiles import -o nl.prof nl.yaml 2>err.txt
	contains nl.prof "/g"
	if grep -q "^/etc/planted\|^- /etc/planted" nl.prof; then cat nl.prof; exit 1; fi
	lp profiles check nl.prof >/dev/null
'

t "usage: --os values, options of other subcommands, --help" '
	expect_code 2 lp profiles import --os plan9 "$FA"/linux.yaml 2>err.txt
	contains err.txt "--os plan9: one of linux, darwin, windows, esxi"
	expect_code 2 lp profiles import 2>err.txt
	contains err.txt "profiles import needs a definitions FILE.yaml"
	expect_code 2 lp profiles check --os linux x 2>err.txt
	expect_code 2 lp profiles import --category "A B" "$FA"/linux.yaml 2>err.txt
	lp profiles --help >h.txt
	contains h.txt "import FILE.yaml..."
	contains h.txt "--template FILE"
	lp profiles import --help >h2.txt
	contains h2.txt "--os OS"
	# The YAML library is named with its version, as the others are.
	lp --version --verbose >v.txt
	grep -Eq "^libyaml: [0-9]+\.[0-9]+" v.txt
'

test_done
