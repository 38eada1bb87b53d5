# Helpers for the incident report tests: the answers a responder gives, in the report file's own
# form (so they can be pasted into the template as an editor would), and the same answers as
# typed at `logpack incident ask`.

# answers_en / answers_sv: the report's answers, key by key; multi-line ones indented by two.
answers_en() {
	cat <<'ANSWERS'
organisation: Example AB
contact-name: Anna Andersson
contact-phone: +46 8 123 456 78
contact-email: anna@example.se
case-reference: INC-2026-0042
time-zone: Europe/Stockholm
detected-at: 2026-01-15 14:30
what-happened:
  Ransomware encrypted the file server.

  The backups were not affected.
how-discovered: Users called the help desk at 14:30.
measures-taken: The server was disconnected from the network.
ongoing: no
more-affected: unknown
help-wanted: Analysis of the logs.
contacted: Our insurer.
police-report: yes
police-reference: 5000-K123456-26
tlp: TLP:AMBER
sharing-conditions: Not with our competitors.
ANSWERS
}

answers_sv() {
	cat <<'ANSWERS'
organisation: Exempel AB
contact-name: Åsa Öberg
contact-phone: 010-123 45 67
contact-email: asa.oberg@exempel.se
case-reference: ÄRENDE 7
time-zone: +01:00
detected-at: 2026-01-15 09:05
what-happened: Utpressningsprogram krypterade filservern.
how-discovered: Användare ringde supporten.
measures-taken: Servern kopplades bort från nätet.
ongoing: ja
more-affected: vet ej
help-wanted: Analys av loggarna.
contacted: Vårt försäkringsbolag.
police-report: nej
police-reference:
tlp: TLP:RED
sharing-conditions:
ANSWERS
}

# fill TEMPLATE ANSWERS: the template with each field's line replaced by its answer, as a
# responder filling it in with an editor would do.
fill() {
	awk '
		NR == FNR {
			if ($0 ~ /^[a-z-]+:/) { k = substr($0, 1, index($0, ":") - 1); blk[k] = $0 }
			else blk[k] = blk[k] "\n" $0
			next
		}
		/^[a-z-]+:/ { k = substr($0, 1, index($0, ":") - 1); if (k in blk) { print blk[k]; next } }
		{ print }
	' "$2" "$1"
}

# typed ANSWERS: the keystrokes for `incident ask`: one line per one-line answer; a multi-line
# answer line by line ("." for an empty line) and then an empty line. The language is not asked.
typed() {
	awk '
		function flush() { if (multi) { print "" } multi = 0 }
		/^[a-z-]+:/ {
			flush()
			k = substr($0, 1, index($0, ":") - 1)
			v = substr($0, index($0, ":") + 1); sub(/^ /, "", v)
			multi = (k ~ /^(what-happened|how-discovered|measures-taken|ongoing|more-affected|help-wanted|contacted|sharing-conditions)$/)
			if (multi && v == "") next
			print v
			next
		}
		/^$/ { print "."; next }
		{ sub(/^  /, ""); print }
		END { flush() }
	' "$1"
}
