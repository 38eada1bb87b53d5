#!/bin/sh
# Turn the stock profile files into a C table for the static binary, which carries its profiles
# inside itself. Bytes are written as numbers, so the text is kept exactly (its SHA-256 in
# host.json is the file's) whatever characters it holds.
# Usage: gen-profiles.sh OUTPUT PROFILE...
set -eu
out=$1
shift
tmp=$out.tmp
{
	echo "/* Generated from profiles/ by build-aux/static/gen-profiles.sh; do not edit. */"
	n=0
	for f in "$@"; do
		case $f in *.md | *~) continue ;; esac
		[ -f "$f" ] || continue
		echo "static const unsigned char profile_text_$n[] = {"
		od -An -v -tu1 "$f" | sed 's/  */,/g; s/^,//; s/$/,/; /^,$/d'
		echo "0};"
		n=$((n + 1))
	done
	echo "static const struct profile_builtin profile_builtins[] = {"
	n=0
	for f in "$@"; do
		case $f in *.md | *~) continue ;; esac
		[ -f "$f" ] || continue
		echo "{\"$(basename "$f")\", profile_text_$n, sizeof(profile_text_$n) - 1},"
		n=$((n + 1))
	done
	echo "{NULL, NULL, 0},"
	echo "};"
} >"$tmp"
mv "$tmp" "$out"
