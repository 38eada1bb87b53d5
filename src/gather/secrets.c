/* Which files collect withholds because they commonly hold secrets (docs/profile-format.md). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/util.h"
#include "gather/secrets.h"

#define HASHES "password hashes"
#define KEY "private key"
#define KUBE "Kubernetes credentials"
#define CLOUD "cloud provisioning data (user data, passwords)"
#define ANSWERS "installer answers (passwords)"
#define CREDS "stored credentials"

/*
 * Matched without regard to case against the path relative to the root. A pattern starting
 * with "**" + "/" matches at any depth (at the root too); one ending in "/" + "**" takes
 * everything below.
 */
static const struct {
	const char *pattern;
	const char *why;
} by_path[] = {
        {"etc/shadow", HASHES},
        {"etc/shadow-", HASHES},
        {"etc/shadow.*", HASHES},
        {"etc/gshadow", HASHES},
        {"etc/gshadow-", HASHES},
        {"etc/gshadow.*", HASHES},
        {"etc/nshadow", HASHES},
        {"etc/security/opasswd", HASHES},
        {"etc/security/passwd", HASHES},
        {"etc/master.passwd", HASHES},
        {"etc/spwd.db", HASHES},
        {"private/etc/master.passwd", HASHES},
        {"private/var/db/dslocal/nodes/*/users/*", HASHES},
        {"private/var/db/shadow/**", HASHES},
        {"var/backups/*shadow*", HASHES},
        {"windows/system32/config/sam*", HASHES},
        {"windows/system32/config/security*", HASHES},
        {"etc/ssh/*_key", KEY},
        {"private/etc/ssh/*_key", KEY},
        {"etc/ssl/private/**", KEY},
        {"etc/pki/tls/private/**", KEY},
        {"etc/letsencrypt/archive/**", KEY},
        {"etc/letsencrypt/keys/**", KEY},
        {"**/privkey*.pem", KEY},
        {"**/*.p12", KEY},
        {"**/*.pfx", KEY},
        {"**/*.jks", KEY},
        {"**/*.keystore", KEY},
        {"**/*.ppk", KEY},
        {"**/.gnupg/private-keys-v1.d/**", KEY},
        {"**/.gnupg/secring.gpg", KEY},
        {"etc/kubernetes/admin.conf", KUBE},
        {"etc/kubernetes/super-admin.conf", KUBE},
        {"etc/kubernetes/kubelet.conf", KUBE},
        {"etc/kubernetes/bootstrap-kubelet.conf", KUBE},
        {"etc/kubernetes/controller-manager.conf", KUBE},
        {"etc/kubernetes/scheduler.conf", KUBE},
        {"etc/kubernetes/pki/**", KUBE},
        {"var/lib/kubelet/pki/**", KUBE},
        {"etc/rancher/k3s/k3s.yaml", KUBE},
        {"etc/rancher/rke2/rke2.yaml", KUBE},
        {"etc/rancher/*/config.yaml", KUBE},
        {"etc/rancher/*/config.yaml.d/**", KUBE},
        {"var/lib/rancher/*/server/tls/**", KUBE},
        {"var/lib/rancher/*/server/cred/**", KUBE},
        {"var/lib/rancher/*/server/token", KUBE},
        {"var/lib/rancher/*/server/node-token", KUBE},
        {"var/lib/rancher/*/server/agent-token", KUBE},
        {"var/lib/rancher/*/agent/*.kubeconfig", KUBE},
        {"var/snap/microk8s/*/credentials/**", KUBE},
        {"var/snap/microk8s/*/certs/**", KUBE},
        {"**/.kube/config", KUBE},
        {"var/lib/cloud/instance/user-data*", CLOUD},
        {"var/lib/cloud/instances/*/user-data*", CLOUD},
        {"var/lib/cloud/instance/vendor-data*", CLOUD},
        {"var/lib/cloud/instances/*/vendor-data*", CLOUD},
        {"var/lib/cloud/instance/cloud-config.txt", CLOUD},
        {"var/lib/cloud/instances/*/cloud-config.txt", CLOUD},
        {"var/lib/cloud/instances/*/scripts/**", CLOUD},
        {"var/lib/cloud/instance/obj.pkl", CLOUD},
        {"var/lib/cloud/instances/*/obj.pkl", CLOUD},
        {"run/cloud-init/instance-data-sensitive.json", CLOUD},
        {"var/lib/waagent/ovf-env.xml", CLOUD},
        {"var/lib/waagent/*.prv", CLOUD},
        {"**/.docker/config.json", "container registry credentials"},
        {"**/autoinstall-user-data", ANSWERS},
        {"**/autoinstall.yaml", ANSWERS},
        {"**/preseed*.cfg", ANSWERS},
        {"var/log/installer/cdebconf/**", ANSWERS},
        {"**/autoinst.xml", ANSWERS},
        {"**/unattend.xml", ANSWERS},
        {"**/autounattend.xml", ANSWERS},
        {"**/unattend.txt", ANSWERS},
        {"**/sysprep.inf", ANSWERS},
        {"**/.pgpass", CREDS},
        {"**/.my.cnf", CREDS},
        {"**/.netrc", CREDS},
        {"**/.git-credentials", CREDS},
        {"**/.aws/credentials", CREDS},
        {"**/.config/gcloud/**", CREDS},
        {"**/.azure/**", CREDS},
};

/*
 * A pattern's shape, worked out once: every file collect takes is asked about each pattern,
 * and most fail on a literal head or tail without fnmatch or a strlen.
 */
enum pattern_kind {
	PATTERN_PLAIN,     /* fnmatch over the whole path */
	PATTERN_SUBTREE,   /* "dir/" + "**": the directory part matches whole leading components */
	PATTERN_ANY_BASE,  /* "**" + "/name", name without '/': the last component */
	PATTERN_ANY_DEPTH, /* "**" + "/a/b...": at any component */
};

struct pattern_shape {
	const char *text; /* for PATTERN_ANY_*: what follows the leading "**" + "/" */
	size_t len;
	size_t head;         /* the literal head, before the first wildcard */
	size_t tail;         /* the literal tail, after the last '*' or '?' */
	int fnmatch_decides; /* a class or an escape: the ends cannot reject */
	enum pattern_kind kind;
	enum pattern_kind rest_kind; /* for PATTERN_ANY_DEPTH: PLAIN or SUBTREE */
};

#define N_BY_PATH (sizeof(by_path) / sizeof(by_path[0]))
static struct pattern_shape shapes[N_BY_PATH];
static pthread_once_t shapes_once = PTHREAD_ONCE_INIT;

static void shape_ends(struct pattern_shape *sh, const char *text, size_t len)
{
	sh->text = text;
	sh->len = len;
	sh->head = strcspn(text, "*?[\\");
	sh->fnmatch_decides = strpbrk(text, "[\\") != NULL;
	sh->tail = 0;
	while (sh->tail < len - sh->head && text[len - 1 - sh->tail] != '*' &&
	       text[len - 1 - sh->tail] != '?')
		sh->tail++;
}

static enum pattern_kind plain_or_subtree(const char *text, size_t len)
{
	return len > 3 && strcmp(text + len - 3, "/**") == 0 ? PATTERN_SUBTREE : PATTERN_PLAIN;
}

static void shapes_init(void)
{
	for (size_t i = 0; i < N_BY_PATH; i++) {
		const char *pat = by_path[i].pattern;
		struct pattern_shape *sh = &shapes[i];

		if (str_has_prefix(pat, "**/")) {
			const char *rest = pat + 3;

			shape_ends(sh, rest, strlen(rest));
			sh->kind = strchr(rest, '/') ? PATTERN_ANY_DEPTH : PATTERN_ANY_BASE;
			sh->rest_kind = plain_or_subtree(rest, sh->len);
		} else {
			shape_ends(sh, pat, strlen(pat));
			sh->kind = plain_or_subtree(pat, sh->len);
		}
	}
}

/* ASCII case-insensitive comparison of n bytes, as FNM_CASEFOLD in the C locale compares. */
static int ascii_caseeq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return 1;
}

/* Can the pattern (no "**") match name (nlen bytes) at all, by its literal head and tail? */
static int literal_ends_match(const struct pattern_shape *sh, const char *name, size_t nlen)
{
	if (sh->head == sh->len) /* no wildcard: the whole name */
		return sh->len == nlen && ascii_caseeq(sh->text, name, nlen);
	if (sh->head > nlen || !ascii_caseeq(sh->text, name, sh->head))
		return 0;
	if (sh->fnmatch_decides)
		return 1;
	return sh->tail <= nlen &&
	       ascii_caseeq(sh->text + sh->len - sh->tail, name + nlen - sh->tail, sh->tail);
}

/* A plain or subtree pattern (the shape's text) against path (plen bytes). */
static int shape_matches(const struct pattern_shape *sh, enum pattern_kind kind, const char *path,
                         size_t plen)
{
	char *dir, *copy;
	int hit = 0;

	if (kind == PATTERN_PLAIN)
		return literal_ends_match(sh, path, plen) &&
		       fnmatch_bytes(sh->text, path, FNM_PATHNAME | FNM_CASEFOLD) == 0;
	/* The literal head (through the "/" before "**" at most) must begin path. */
	if (sh->head > plen || !ascii_caseeq(sh->text, path, sh->head))
		return 0;
	/* The directory part must match whole components; anything may follow. */
	dir = xstrndup(sh->text, sh->len - 3);
	copy = xstrdup(path);
	for (char *slash = strchr(copy, '/'); slash && !hit; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		hit = fnmatch_bytes(dir, copy, FNM_PATHNAME | FNM_CASEFOLD) == 0;
		*slash = '/';
	}
	free(copy);
	free(dir);
	return hit;
}

/* Does by_path's pattern of this shape match relpath (len bytes; base: its last component)? */
static int path_matches(const struct pattern_shape *sh, const char *relpath, size_t len,
                        const char *base)
{
	switch (sh->kind) {
	case PATTERN_ANY_BASE:
		/* Without a "/" the rest can only match a last component (FNM_PATHNAME). */
		return shape_matches(sh, PATTERN_PLAIN, base, len - (size_t)(base - relpath));
	case PATTERN_ANY_DEPTH:
		for (const char *p = relpath; p; p = strchr(p, '/')) {
			p += *p == '/';
			if (shape_matches(sh, sh->rest_kind, p, len - (size_t)(p - relpath)))
				return 1;
		}
		return 0;
	default:
		return shape_matches(sh, sh->kind, relpath, len);
	}
}

static const char *base_name(const char *relpath)
{
	const char *slash = strrchr(relpath, '/');

	return slash ? slash + 1 : relpath;
}

/* An SSH identity: ~/.ssh/id_* that is not the public half. */
static int ssh_identity(const char *relpath)
{
	const char *base = base_name(relpath);

	return (strstr(relpath, ".ssh/") != NULL) && str_has_prefix(base, "id_") &&
	       !str_has_suffix(base, ".pub");
}

const char *secrets_by_path(const char *relpath)
{
	const char *base = base_name(relpath);
	size_t len = strlen(relpath);

	if (ssh_identity(relpath))
		return KEY;
	pthread_once(&shapes_once, shapes_init);
	for (size_t i = 0; i < N_BY_PATH; i++)
		if (path_matches(&shapes[i], relpath, len, base))
			return by_path[i].why;
	return NULL;
}

/* Up to max bytes from the start of fd, NUL-terminated; NULL when nothing could be read. */
static char *read_head(int fd, size_t max, size_t *len_out)
{
	char *buf = xmalloc(max + 1);
	size_t len = 0;

	while (len < max) {
		ssize_t n = pread(fd, buf + len, max - len, (off_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*len_out = len;
	return buf;
}

/* memmem for the first len bytes of buf, which may hold NULs. */
static int has_bytes(const char *buf, size_t len, const char *needle)
{
	size_t nlen = strlen(needle);

	for (size_t i = 0; nlen <= len && i <= len - nlen; i++)
		if (buf[i] == needle[0] && memcmp(buf + i, needle, nlen) == 0)
			return 1;
	return 0;
}

static int private_key_text(const char *buf, size_t len)
{
	return has_bytes(buf, len, "PRIVATE KEY-----") ||
	       has_bytes(buf, len, "PRIVATE KEY BLOCK-----") ||
	       has_bytes(buf, len, "PuTTY-User-Key-File-");
}

/*
 * An environment variable name that says it holds a secret: it contains PASS, SECRET, TOKEN,
 * CREDENTIAL, PRIVATE, APIKEY or API_KEY, ACCESS_KEY, AUTH or ends in _KEY or _PWD (any case).
 */
static int secret_name(const char *name, size_t len)
{
	static const char *const words[] = {
	        "PASS",    "SECRET",     "TOKEN", "CREDENTIAL", "PRIVATE",          "APIKEY",
	        "API_KEY", "ACCESS_KEY", "AUTH",  "PWD",        "CONNECTION_STRING"};
	char *up = xstrndup(name, len);
	int hit = 0;

	for (char *p = up; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]) && !hit; i++)
		hit = strstr(up, words[i]) != NULL;
	if (!hit && len > 4 && strcmp(up + len - 4, "_KEY") == 0)
		hit = 1;
	free(up);
	return hit;
}

/* A value with a password in a URL: "scheme://user:password@host". */
static int url_with_password(const char *value)
{
	const char *p = strstr(value, "://"), *at, *colon;

	if (p == NULL)
		return 0;
	p += 3;
	at = strchr(p, '@');
	if (at == NULL)
		return 0;
	/* The user information ends at the first '@' and holds no '/'. */
	colon = memchr(p, ':', (size_t)(at - p));
	return colon != NULL && memchr(p, '/', (size_t)(at - p)) == NULL;
}

/*
 * A container's configuration (Docker's config.v2.json, Config.Env; an OCI config.json,
 * process.env) whose environment names a secret or carries a password in a URL. A file that
 * is not JSON is withheld too: it cannot be judged.
 */
static const char *docker_env_secret(int fd)
{
	size_t len;
	char *buf = read_head(fd, 8u << 20, &len);
	json_t *root = json_loadb(buf, len, 0, NULL), *env;
	const char *why = NULL;
	size_t i;
	json_t *item;

	free(buf);
	if (root == NULL)
		return "container configuration that cannot be read as JSON";
	env = json_object_get(json_object_get(root, "Config"), "Env");
	if (env == NULL) /* Podman and other OCI runtimes: config.json, process.env */
		env = json_object_get(json_object_get(root, "process"), "env");
	json_array_foreach(env, i, item)
	{
		const char *v = json_string_value(item), *eq;

		if (v == NULL)
			continue;
		eq = strchr(v, '=');
		if (secret_name(v, eq ? (size_t)(eq - v) : strlen(v)) ||
		    (eq && url_with_password(eq + 1))) {
			why = "container environment with secret-looking variables";
			break;
		}
	}
	json_decref(root);
	return why;
}

/* A kickstart that sets a password: rootpw, sshpw, or --password/--iscrypted/--passphrase. */
static const char *kickstart_secret(int fd)
{
	size_t len;
	char *buf = read_head(fd, 1u << 20, &len);
	const char *why = NULL;

	for (char *line = buf; line && *line && !why;) {
		char *end = strchr(line, '\n');

		if (end)
			*end = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (str_has_prefix(line, "rootpw") || str_has_prefix(line, "sshpw") ||
		    (line[0] != '#' && (strstr(line, "--password") || strstr(line, "--iscrypted") ||
		                        strstr(line, "--passphrase"))))
			why = ANSWERS;
		line = end ? end + 1 : NULL;
	}
	free(buf);
	return why;
}

/*
 * Does base end in suffix, ASCII letters in either case? What fnmatch's "*SUFFIX" with
 * FNM_CASEFOLD in the C locale says (the locale's own case rules never count), without its
 * cost at every file of a collection.
 */
static int ends_nocase(const char *base, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && ascii_caseeq(base + len - n, suffix, n);
}

/* "*ks.cfg", "*.ks" or "ks*.cfg", in either case. */
static int is_kickstart(const char *base)
{
	size_t len = strlen(base);

	return ends_nocase(base, len, "ks.cfg") || ends_nocase(base, len, ".ks") ||
	       (len >= 6 && ascii_caseeq(base, "ks", 2) && ends_nocase(base, len, ".cfg"));
}

const char *secrets_check(const char *relpath, int fd, const struct stat *st, int context)
{
	const char *base = base_name(relpath), *why = secrets_by_path(relpath);
	static const char *const key_names[] = {".key", ".pem", ".priv", ".p8", ".der"};
	int sniff = context || strstr(relpath, ".ssh/") != NULL;

	if (why)
		return why;
	if (!S_ISREG(st->st_mode))
		return NULL;
	if ((strcmp(base, "config.v2.json") == 0 || strcmp(base, "config.json") == 0) &&
	    strstr(relpath, "containers/"))
		return docker_env_secret(fd);
	if (is_kickstart(base))
		return kickstart_secret(fd);
	/* Named like a key ("*.key", in either case): its start is read to see whether it is one.
	 */
	for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]) && !sniff; i++)
		sniff = ends_nocase(base, strlen(base), key_names[i]);
	if (sniff) {
		size_t len;
		char *head = read_head(fd, 64 * 1024, &len);
		int key = private_key_text(head, len);

		free(head);
		if (key)
			return KEY;
	}
	return NULL;
}
