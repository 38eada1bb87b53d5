/* Checking an incident report's answers: required ones, TLP, email, phone, time zone, times. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "report/incident-private.h"

static int email_plausible(const char *s)
{
	const char *at = strchr(s, '@'), *d;
	size_t local_len, label_len = 0, labels = 0, tld_len = 0;
	int tld_alpha = 1;

	if (at == NULL || strchr(at + 1, '@') != NULL || strlen(s) > 254)
		return 0;
	local_len = (size_t)(at - s);
	if (local_len == 0 || local_len > 64 || s[0] == '.' || at[-1] == '.')
		return 0;
	for (const char *p = s; p < at; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || strchr("\"(),:;<>[\\]", c) != NULL || (c == '.' && p[1] == '.'))
			return 0;
	}
	/* The domain: dot-separated labels of letters, digits and '-', the last not numeric. */
	for (d = at + 1;; d++) {
		unsigned char c = (unsigned char)*d;

		if (c == '.' || c == '\0') {
			if (label_len == 0 || label_len > 63 || d[-1] == '-')
				return 0;
			labels++;
			tld_len = label_len;
			if (c == '\0')
				break;
			label_len = 0;
			tld_alpha = 1;
			continue;
		}
		if (!(isalnum(c) || c == '-' || c >= 0x80))
			return 0;
		if (c == '-' && label_len == 0)
			return 0;
		if (isdigit(c))
			tld_alpha = 0;
		label_len++;
	}
	return labels >= 2 && tld_len >= 2 && tld_alpha;
}

static int phone_plausible(const char *s)
{
	size_t digits = 0;
	const char *p = s;

	if (*p == '+')
		p++;
	else if (strncmp(p, "00", 2) == 0)
		p += 2; /* the international prefix; the digits after it are the number */
	for (; *p; p++) {
		if (isdigit((unsigned char)*p))
			digits++;
		else if (strchr(" -()./", *p) == NULL)
			return 0;
	}
	/* E.164 allows at most 15 digits; fewer than 7 is no phone number anywhere. */
	return digits >= 7 && digits <= 15;
}

static const char *zoneinfo_dir(void)
{
	const char *dir = getenv("TZDIR");

	return dir && *dir ? dir : "/usr/share/zoneinfo";
}

/*
 * A time zone: "UTC", "GMT", "Z", an offset ("+01:00", "-0530", "UTC+1"), or a zone name
 * ("Europe/Stockholm"). Offsets set *named = 0 and *offset (seconds east of UTC).
 */
static int zone_parse(const char *z, int *named, int *offset, char **why)
{
	const char *p = z;
	int hours = 0, minutes = 0, sign;

	*named = 0;
	*offset = 0;
	if (strcasecmp(z, "UTC") == 0 || strcasecmp(z, "GMT") == 0 || strcasecmp(z, "Z") == 0)
		return 0;
	if (strncasecmp(p, "UTC", 3) == 0 || strncasecmp(p, "GMT", 3) == 0)
		p += 3;
	if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (!isdigit((unsigned char)p[0]))
			goto bad_offset;
		hours = p[0] - '0';
		p++;
		if (isdigit((unsigned char)*p))
			hours = hours * 10 + (*p++ - '0');
		if (*p == ':')
			p++;
		if (*p != '\0') {
			if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) ||
			    p[2] != '\0')
				goto bad_offset;
			minutes = (p[0] - '0') * 10 + (p[1] - '0');
		}
		if (hours > 14 || minutes > 59)
			goto bad_offset;
		*offset = sign * (hours * 3600 + minutes * 60);
		return 0;
	}
	if (p != z)
		goto bad_offset;
	/* A zone name as the tz database spells them: "Area/City", letters first. */
	if (!isalpha((unsigned char)z[0]) || strlen(z) > 64 || strstr(z, "..") != NULL)
		goto bad_name;
	for (p = z; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("/_+-", *p) != NULL) ||
		    (*p == '/' && (p[1] == '/' || p[1] == '\0')))
			goto bad_name;
	*named = 1;
	{
		struct stat st;
		char *path;
		int found;

		/* Without a zone database here the name cannot be checked, nor applied. */
		if (stat(zoneinfo_dir(), &st) < 0)
			return 0;
		path = xasprintf("%s/%s", zoneinfo_dir(), z);
		found = stat(path, &st) == 0 && S_ISREG(st.st_mode);
		free(path);
		if (!found) {
			*why = xasprintf(
			        "unknown time zone '%s' (try Europe/Stockholm, UTC or +01:00)", z);
			return -1;
		}
	}
	return 0;
bad_offset:
	*why = xasprintf("'%.40s' is not a time zone offset (try +01:00 or UTC)", z);
	return -1;
bad_name:
	*why = xasprintf("'%.40s' is not a time zone (try Europe/Stockholm, UTC or +01:00)", z);
	return -1;
}

int incident_time_has_offset(const char *t)
{
	return strlen(t) > 10 && strpbrk(t + 10, "Zz+-") != NULL;
}

/*
 * Local time in a named zone to UTC. The C library converts only in the process's own time
 * zone, so TZ is switched for the call and restored; this runs before any thread is started.
 */
static int zone_named_to_utc(const char *zone, int64_t as_if_utc, int64_t *out)
{
	char *old = getenv("TZ") ? xstrdup(getenv("TZ")) : NULL;
	time_t t = (time_t)as_if_utc, local;
	struct tm tm;
	int rc = -1;

	if (gmtime_r(&t, &tm) == NULL)
		goto out;
	tm.tm_isdst = -1;
	if (setenv("TZ", zone, 1) < 0)
		goto out;
	tzset();
	local = mktime(&tm);
	if (local != (time_t)-1) {
		*out = (int64_t)local;
		rc = 0;
	}
out:
	if (old)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old);
	return rc;
}

/* The time of detection: a date and a time ("2026-11-27 14:30", optionally with an offset). */
static int detected_parse(const char *value, int64_t *as_written, char **why)
{
	if (strlen(value) < 16 || (value[10] != ' ' && value[10] != 'T' && value[10] != 't') ||
	    parse_iso8601(value, as_written) < 0) {
		*why = xasprintf("'%.40s' is not a date and time: write YYYY-MM-DD HH:MM", value);
		return -1;
	}
	return 0;
}

int incident_check_value(enum incident_field f, const char *value, char **why)
{
	char tlp[24];
	int64_t when;
	int named, offset;

	*why = NULL;
	if (value == NULL || *value == '\0') {
		if (incident_fields[f].required) {
			*why = xstrdup("required answer missing");
			return -1;
		}
		return 0;
	}
	if (!incident_fields[f].multiline) {
		if (strchr(value, '\n') != NULL) {
			*why = xstrdup("must be one line");
			return -1;
		}
		if (strlen(value) > INCIDENT_MAX_LINE_FIELD) {
			*why = xasprintf("too long (%zu bytes; at most %d)", strlen(value),
			                 INCIDENT_MAX_LINE_FIELD);
			return -1;
		}
	}
	switch (f) {
	case INCIDENT_LANGUAGE:
		if (strcmp(value, "en") != 0 && strcmp(value, "sv") != 0) {
			*why = xasprintf("'%.40s' is not a language here: en or sv", value);
			return -1;
		}
		break;
	case INCIDENT_CONTACT_PHONE:
		if (!phone_plausible(value)) {
			*why = xasprintf("'%.40s' is not a plausible phone number (7 to 15 digits, "
			                 "e.g. +46 8 123 456 78)",
			                 value);
			return -1;
		}
		break;
	case INCIDENT_CONTACT_EMAIL:
		if (!email_plausible(value)) {
			*why = xasprintf("'%.60s' is not a plausible email address", value);
			return -1;
		}
		break;
	case INCIDENT_TIME_ZONE:
		return zone_parse(value, &named, &offset, why);
	case INCIDENT_DETECTED_AT:
		if (detected_parse(value, &when, why) < 0)
			return -1;
		/* A typo in the year is easy to make and hard to notice later. The margin
		 * allows for the time zone not being applied here. */
		if (when > (int64_t)time(NULL) + 2 * 86400) {
			*why = xasprintf("'%.40s' is in the future", value);
			return -1;
		}
		break;
	case INCIDENT_POLICE_REPORT:
		if (strcasecmp(value, "yes") != 0 && strcasecmp(value, "no") != 0 &&
		    strcasecmp(value, "ja") != 0 && strcasecmp(value, "nej") != 0) {
			*why = xasprintf("'%.40s': answer yes or no (ja or nej)", value);
			return -1;
		}
		break;
	case INCIDENT_TLP:
		if (incident_tlp_normalize(value, tlp) < 0) {
			if (strcasecmp(value, "TLP:WHITE") == 0 || strcasecmp(value, "WHITE") == 0)
				*why = xstrdup("TLP:WHITE is TLP 1.0; TLP 2.0 calls it TLP:CLEAR");
			else
				*why = xasprintf(
				        "'%.40s' is not a TLP 2.0 label (TLP:CLEAR, TLP:GREEN, "
				        "TLP:AMBER, TLP:AMBER+STRICT or TLP:RED)",
				        value);
			return -1;
		}
		break;
	default:
		break;
	}
	return 0;
}

void incident_check_fields(struct incident *inc)
{
	for (int f = 0; f < INCIDENT_N_FIELDS; f++) {
		char *why;

		if (incident_check_value(f, inc->value[f], &why) == 0)
			continue;
		if (inc->line[f] > 0)
			incident_add_problem(inc, inc->line[f], "line %d: %s: %s", inc->line[f],
			                     incident_fields[f].key, why);
		else
			incident_add_problem(inc, 0, "%s: %s (the field is not in the file)",
			                     incident_fields[f].key, why);
		free(why);
	}
	if (inc->value[INCIDENT_TLP])
		if (incident_tlp_normalize(inc->value[INCIDENT_TLP], inc->tlp) < 0)
			inc->tlp[0] = '\0';
	if (inc->value[INCIDENT_POLICE_REPORT]) {
		const char *v = inc->value[INCIDENT_POLICE_REPORT];

		if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "ja") == 0)
			inc->police_reported = 1;
		else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "nej") == 0)
			inc->police_reported = 0;
	}
	if (inc->value[INCIDENT_DETECTED_AT]) {
		const char *when = inc->value[INCIDENT_DETECTED_AT];
		const char *zone = inc->value[INCIDENT_TIME_ZONE];
		int64_t t;
		int named, offset;
		char *why = NULL;

		if (detected_parse(when, &t, &why) < 0) {
			free(why);
			return;
		}
		if (incident_time_has_offset(when)) {
			inc->detected_utc = t;
			inc->has_detected_utc = 1;
		} else if (zone && zone_parse(zone, &named, &offset, &why) == 0) {
			if (!named) {
				inc->detected_utc = t - offset;
				inc->has_detected_utc = 1;
			} else if (zone_named_to_utc(zone, t, &inc->detected_utc) == 0) {
				struct stat st;

				/* Without the zone database, TZ silently means UTC. */
				inc->has_detected_utc = stat(zoneinfo_dir(), &st) == 0;
			}
		}
		free(why);
	}
}
