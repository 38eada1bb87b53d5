/* The incident report's fields: CERT-SE's questions in English and Swedish, and the TLP labels. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "report/incident-private.h"

const struct incident_field_info incident_fields[INCIDENT_N_FIELDS] = {
        [INCIDENT_LANGUAGE] =
                {
                        .key = "language",
                        .json_key = "language",
                        .label = {"Language of the answers", "Svarens språk"},
                        .question = {"In which language are the answers written?",
                                     "På vilket språk är svaren skrivna?"},
                        .hint = {"en or sv", "en eller sv"},
                },
        [INCIDENT_ORGANISATION] =
                {
                        .key = "organisation",
                        .json_key = "organisation",
                        .required = 1,
                        .label = {"Organisation", "Organisation"},
                        .question = {"Which organisation is reporting?",
                                     "Vilken organisation rapporterar?"},
                },
        [INCIDENT_CONTACT_NAME] =
                {
                        .key = "contact-name",
                        .json_key = "contact_name",
                        .required = 1,
                        .label = {"Contact person", "Kontaktperson"},
                        .question = {"Whom should CERT-SE call back?",
                                     "Vem ska CERT-SE ringa upp?"},
                },
        [INCIDENT_CONTACT_PHONE] =
                {
                        .key = "contact-phone",
                        .json_key = "contact_phone",
                        .required = 1,
                        .label = {"Phone", "Telefon"},
                        .question = {"The contact's phone number",
                                     "Kontaktpersonens telefonnummer"},
                        .hint = {"with country code, e.g. +46 8 123 456 78",
                                 "med landsnummer, t.ex. +46 8 123 456 78"},
                },
        [INCIDENT_CONTACT_EMAIL] =
                {
                        .key = "contact-email",
                        .json_key = "contact_email",
                        .required = 1,
                        .label = {"Email", "E-post"},
                        .question = {"The contact's email address",
                                     "Kontaktpersonens e-postadress"},
                },
        [INCIDENT_CASE_REFERENCE] =
                {
                        .key = "case-reference",
                        .json_key = "case_reference",
                        .label = {"Case reference", "Ärendereferens"},
                        .question = {"Your own incident or case reference, if any",
                                     "Er egen incident- eller ärendereferens, om ni har en"},
                        .hint = {"it becomes part of the bundle's file name",
                                 "den blir en del av paketets filnamn"},
                },
        [INCIDENT_TIME_ZONE] =
                {
                        .key = "time-zone",
                        .json_key = "time_zone",
                        .required = 1,
                        .label = {"Time zone", "Tidszon"},
                        .question = {"The time zone of the times in this report",
                                     "Tidszonen för tiderna i rapporten"},
                        .hint = {"a zone name (Europe/Stockholm), UTC, or an offset (+01:00)",
                                 "ett zonnamn (Europe/Stockholm), UTC eller en förskjutning "
                                 "(+01:00)"},
                },
        [INCIDENT_DETECTED_AT] =
                {
                        .key = "detected-at",
                        .json_key = "detected_at",
                        .required = 1,
                        .label = {"Detected", "Upptäckt"},
                        .question = {"When was the incident detected?",
                                     "När upptäcktes incidenten?"},
                        .hint = {"YYYY-MM-DD HH:MM", "ÅÅÅÅ-MM-DD TT:MM"},
                },
        [INCIDENT_WHAT_HAPPENED] =
                {
                        .key = "what-happened",
                        .json_key = "what_happened",
                        .required = 1,
                        .multiline = 1,
                        .label = {"What happened", "Vad som hänt"},
                        .question = {"What has happened?", "Vad har hänt?"},
                },
        [INCIDENT_HOW_DISCOVERED] =
                {
                        .key = "how-discovered",
                        .json_key = "how_discovered",
                        .required = 1,
                        .multiline = 1,
                        .label = {"How discovered", "Hur det upptäcktes"},
                        .question = {"How and when was the problem discovered?",
                                     "Hur och när upptäcktes problemet?"},
                },
        [INCIDENT_MEASURES_TAKEN] =
                {
                        .key = "measures-taken",
                        .json_key = "measures_taken",
                        .required = 1,
                        .multiline = 1,
                        .label = {"Measures taken", "Genomförda åtgärder"},
                        .question = {"What measures have been taken?",
                                     "Vilka åtgärder har genomförts?"},
                },
        [INCIDENT_ONGOING] =
                {
                        .key = "ongoing",
                        .json_key = "ongoing",
                        .required = 1,
                        .multiline = 1,
                        .label = {"Still ongoing", "Fortfarande pågående"},
                        .question = {"Is the incident still ongoing?",
                                     "Är incidenten fortfarande pågående?"},
                },
        [INCIDENT_MORE_AFFECTED] =
                {
                        .key = "more-affected",
                        .json_key = "more_affected",
                        .required = 1,
                        .multiline = 1,
                        .label = {"Risk that more are affected", "Risk att fler påverkas"},
                        .question = {"Is there a risk that more are affected?",
                                     "Finns risk att fler påverkas?"},
                },
        [INCIDENT_HELP_WANTED] =
                {
                        .key = "help-wanted",
                        .json_key = "help_wanted",
                        .required = 1,
                        .multiline = 1,
                        .label = {"Help wanted", "Önskad hjälp"},
                        .question = {"What does the organisation want help with?",
                                     "Vad vill organisationen ha hjälp med?"},
                },
        [INCIDENT_CONTACTED] =
                {
                        .key = "contacted",
                        .json_key = "contacted",
                        .required = 1,
                        .multiline = 1,
                        .label = {"Contacted", "Kontaktade"},
                        .question = {"Whom has the organisation contacted?",
                                     "Vilka har organisationen kontaktat?"},
                },
        [INCIDENT_POLICE_REPORT] =
                {
                        .key = "police-report",
                        .json_key = "police_reported",
                        .required = 1,
                        .label = {"Reported to the police", "Polisanmäld"},
                        .question = {"Has the organisation reported the incident to the police?",
                                     "Har organisationen polisanmält incidenten?"},
                        .hint = {"yes or no", "ja eller nej"},
                },
        [INCIDENT_POLICE_REFERENCE] =
                {
                        .key = "police-reference",
                        .json_key = "police_reference",
                        .label = {"Police report reference", "Polisanmälans diarienummer"},
                        .question = {"The police report's reference, if reported",
                                     "Polisanmälans diarienummer, om anmälan är gjord"},
                },
        [INCIDENT_TLP] =
                {
                        .key = "tlp",
                        .json_key = "tlp",
                        .required = 1,
                        .label = {"Sharing (TLP)", "Delning (TLP)"},
                        .question =
                                {"Can the organisation share information, data or logs with third "
                                 "parties or other affected organisations?",
                                 "Kan organisationen dela med sig av information, data eller "
                                 "loggar till "
                                 "tredje part eller andra drabbade organisationer?"},
                        .hint = {"a Traffic Light Protocol 2.0 label:",
                                 "en etikett enligt Traffic Light Protocol 2.0:"},
                },
        [INCIDENT_SHARING_CONDITIONS] =
                {
                        .key = "sharing-conditions",
                        .json_key = "sharing_conditions",
                        .multiline = 1,
                        .label = {"Sharing conditions", "Villkor för delning"},
                        .question = {"Conditions or limits on sharing, if any",
                                     "Eventuella villkor eller begränsningar för delning"},
                },
};

const struct incident_tlp_info incident_tlp_labels[] = {
        {"TLP:CLEAR",
         {"may be shared freely, also publicly", "får spridas fritt, även offentligt"}},
        {"TLP:GREEN", {"within the community, not publicly", "inom gemenskapen, inte offentligt"}},
        {"TLP:AMBER",
         {"within the recipient's organisation and its clients, on a need-to-know basis",
          "inom mottagarens organisation och dess kunder, vid behov"}},
        {"TLP:AMBER+STRICT",
         {"within the recipient's organisation only", "endast inom mottagarens organisation"}},
        {"TLP:RED", {"to the named recipients only", "endast till de namngivna mottagarna"}},
};

const size_t incident_n_tlp_labels = sizeof(incident_tlp_labels) / sizeof(incident_tlp_labels[0]);

const struct incident_field_info *incident_field_info(enum incident_field f)
{
	return &incident_fields[f];
}

int incident_tlp_normalize(const char *value, char out[24])
{
	char buf[24];
	const char *p = value;
	size_t n = 0;

	if (strncasecmp(p, "TLP:", 4) == 0)
		p += 4;
	for (; *p && n + 1 < sizeof(buf); p++)
		buf[n++] = (char)toupper((unsigned char)*p);
	if (*p != '\0')
		return -1;
	buf[n] = '\0';
	for (size_t i = 0; i < incident_n_tlp_labels; i++) {
		if (strcmp(incident_tlp_labels[i].label + 4, buf) == 0) {
			snprintf(out, 24, "%s", incident_tlp_labels[i].label);
			return 0;
		}
	}
	return -1;
}

const char *incident_tlp_label(const char *text)
{
	char tlp[24];

	if (text == NULL || incident_tlp_normalize(text, tlp) < 0)
		return NULL;
	for (size_t i = 0; i < incident_n_tlp_labels; i++)
		if (strcmp(incident_tlp_labels[i].label, tlp) == 0)
			return incident_tlp_labels[i].label;
	return NULL;
}
