/* Unit tests: which files are withheld as possible secrets, and account dates without hashes. */
#include "config.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "gather/accounts.h"
#include "gather/secrets.h"
#include "tap.h"

static char base[64];

/*
 * Write text to a scratch file and judge it as relpath (context or not); with a test point
 * that the file offset is untouched, unless quietly.
 */
static const char *judge_as(const char *relpath, const char *text, int context, int quietly)
{
	char path[128];
	struct stat st;
	const char *why;
	int fd;

	snprintf(path, sizeof(path), "%s/f", base);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fstat(fd, &st) < 0) {
		perror(path);
		exit(1);
	}
	/* The offset is left at the end: the check must read with pread, not move it. */
	why = secrets_check(relpath, fd, &st, context);
	if (!quietly)
		ok(lseek(fd, 0, SEEK_CUR) == (off_t)strlen(text),
		   "%s: the file offset is untouched", relpath);
	close(fd);
	unlink(path);
	return why;
}

static const char *judge(const char *relpath, const char *text, int context)
{
	return judge_as(relpath, text, context, 0);
}

static const char *judge_quietly(const char *relpath, const char *text)
{
	return judge_as(relpath, text, 0, 1);
}

/*
 * Key files and kickstarts are known by name: each name is judged as fnmatch with
 * FNM_CASEFOLD in the C locale judges it against the patterns the rules give.
 */
static void test_names_like_fnmatch(const char *pem)
{
	/* Grouped by what they test. */
	static const char *const names[] = {
	        /* keys, in either case, and near misses */
	        "site.key", "SITE.KEY", "a.kEy", "a.Pem", "x.priv", "x.PRIV", "k.p8", "k.P8",
	        "c.der", "c.DER", "key", ".key", "x.keys", "x.key.bak", "x.p88", "\xc4.key",
	        "folder", "xpem", "p8", "monkey", "private",
	        /* kickstarts, and near misses */
	        "ks.cfg", "KS.CFG", "Ks.Cfg", "anaconda-ks.cfg", "ks-web.cfg", "KS-web.CFG",
	        "ksx.cfg", "k.cfg", "x.ks", "X.KS", ".ks", "ks", "ks.cfgx", "aks.cfg", "ks.cf",
	        "s.cfg", "kscfg", "k\xc4s.cfg", "ks\xc4.cfg", "x.kS"};
	static const char *const keys[] = {"*.key", "*.pem", "*.priv", "*.p8", "*.der"};
	static const char *const kickstarts[] = {"*ks.cfg", "*.ks", "ks*.cfg"};
	static const char ks[] = "lang en_US\nrootpw --iscrypted $6$x\n";
	size_t wrong = 0, hits = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char rel[96];
		int want_key = 0, want_ks = 0, got_key, got_ks;

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			want_key |= fnmatch_bytes(keys[k], names[i], FNM_CASEFOLD) == 0;
		for (size_t k = 0; k < sizeof(kickstarts) / sizeof(kickstarts[0]); k++)
			want_ks |= fnmatch_bytes(kickstarts[k], names[i], FNM_CASEFOLD) == 0;
		snprintf(rel, sizeof(rel), "opt/app/%s", names[i]);
		got_key = judge_quietly(rel, pem) != NULL;
		got_ks = judge_quietly(rel, ks) != NULL;
		if (got_key != want_key || got_ks != want_ks) {
			wrong++;
			printf("# %s: key %d (want %d), kickstart %d (want %d)\n", names[i],
			       got_key, want_key, got_ks, want_ks);
		}
		hits += want_key + want_ks;
	}
	ok(wrong == 0 && hits > 20,
	   "key and kickstart names judged as fnmatch judges them (%zu hits)", hits);
}

int main(void)
{
	static const char *const withheld[] = {
	        "etc/shadow",
	        "etc/gshadow-",
	        "etc/master.passwd",
	        "etc/security/passwd",
	        "var/backups/shadow.bak",
	        "etc/ssh/ssh_host_ed25519_key",
	        "home/a/.ssh/id_rsa",
	        "root/.ssh/id_ed25519_sk",
	        "etc/kubernetes/admin.conf",
	        "etc/kubernetes/pki/etcd/ca.key",
	        "var/lib/kubelet/pki/kubelet-client-current.pem",
	        "etc/rancher/k3s/k3s.yaml",
	        "var/lib/cloud/instances/i-1/user-data.txt",
	        "var/lib/cloud/instance/user-data.txt.i",
	        "run/cloud-init/instance-data-sensitive.json",
	        "home/a/.docker/config.json",
	        ".docker/config.json",
	        "var/log/installer/autoinstall-user-data",
	        "Windows/Panther/Unattend.xml",
	        "home/a/.kube/config",
	        "private/var/db/dslocal/nodes/Default/users/alice.plist",
	        /* The matcher's quick rejections must not reject these (case, depth, "**"). */
	        "ETC/SHADOW",
	        "Etc/Ssl/Private/server.key",
	        "etc/ssl/private/sub/dir/k.pem",
	        "var/lib/rancher/k3s/server/tls/ca.key",
	        "privkey.pem",
	        "etc/letsencrypt/live/example.org/PRIVKEY1.PEM",
	        "srv/a/b/c/store.P12",
	        "home/a/.gnupg/private-keys-v1.d/ABC.key",
	        ".gnupg/private-keys-v1.d/x",
	        "home/a/.AWS/credentials",
	        "var/backups/gshadow.bak",
	        "Windows/System32/config/SAM.LOG1",
	        "etc/kubernetes/pki/ca.key",
	};
	static const char *const taken[] = {
	        "etc/passwd",
	        "etc/ssh/ssh_host_ed25519_key.pub",
	        "etc/ssh/sshd_config",
	        "home/a/.ssh/id_rsa.pub",
	        "home/a/.ssh/authorized_keys",
	        "etc/kubernetes/manifests/kube-apiserver.yaml",
	        "var/lib/cloud/instances/i-1/datasource",
	        "run/cloud-init/instance-data.json",
	        "var/log/shadow.log",
	        "etc/docker/daemon.json",
	        "home/a/docker/config.json",
	        "etc/shadowx",
	        "etc/ssl/private",
	        "etc/ssl/privatex/k.pem",
	        "srv/x.p12/readme",
	        "srv/x.p12.txt",
	        "var/backups/x/shadow",
	        "home/a/.gnupg/private-keys-v1.dx/k",
	        "aws/credentials",
	        "var/lib/rancher/k3s/server/tlsx/ca.key",
	        "var/log/app/d0001/f000001.log",
	};
	const char *pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n";
	char *json;

	snprintf(base, sizeof(base), "/tmp/logpack-unit-secrets.XXXXXX");
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	for (size_t i = 0; i < sizeof(withheld) / sizeof(withheld[0]); i++)
		ok(secrets_by_path(withheld[i]) != NULL, "withheld by name: %s", withheld[i]);
	for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++)
		ok(secrets_by_path(taken[i]) == NULL, "not a secret by name: %s", taken[i]);

	/* Private keys by content, where the name does not tell. */
	ok(judge("etc/nginx/ssl/site.key", pem, 0) != NULL, "a .key file holding a private key");
	ok(judge("etc/nginx/ssl/site.pem", "-----BEGIN CERTIFICATE-----\n", 0) == NULL,
	   "a .pem certificate is taken");
	ok(judge("home/a/.ssh/backup", pem, 0) != NULL, "a key in ~/.ssh under any name");
	ok(judge("etc/app/settings", pem, 1) != NULL, "a context file holding a private key");
	ok(judge("var/log/app.log", pem, 0) == NULL, "a log is not sniffed (it is not a key file)");
	test_names_like_fnmatch(pem);

	/* Container environments. */
	ok(judge("var/lib/docker/containers/c/config.v2.json",
	         "{\"Config\":{\"Env\":[\"PATH=/bin\",\"NGINX_PORT=80\"]}}", 1) == NULL,
	   "a container config without secret variables is taken");
	ok(judge("var/lib/docker/containers/c/config.v2.json",
	         "{\"Config\":{\"Env\":[\"PATH=/bin\",\"MYSQL_ROOT_PASSWORD=x\"]}}", 1) != NULL,
	   "a *PASSWORD* variable withholds the config");
	ok(judge("var/lib/docker/containers/c/config.v2.json",
	         "{\"Config\":{\"Env\":[\"GITHUB_TOKEN=x\"]}}", 1) != NULL,
	   "a *TOKEN* variable");
	ok(judge("var/lib/docker/containers/c/config.v2.json",
	         "{\"Config\":{\"Env\":[\"STRIPE_KEY=x\"]}}", 1) != NULL,
	   "a *_KEY variable");
	ok(judge("var/lib/docker/containers/c/config.v2.json",
	         "{\"Config\":{\"Env\":[\"DATABASE_URL=postgres://app:pw@db/app\"]}}", 1) != NULL,
	   "a URL with a password");
	ok(judge("var/lib/docker/containers/c/config.v2.json",
	         "{\"Config\":{\"Env\":[\"UPSTREAM=http://example.com:8080/x@y\"]}}", 1) == NULL,
	   "a URL without user information");
	ok(judge("var/lib/containers/storage/overlay-containers/c/userdata/config.json",
	         "{\"process\":{\"env\":[\"API_SECRET=x\"]}}", 1) != NULL,
	   "an OCI config.json (Podman) with a secret variable");
	ok(judge("var/lib/docker/containers/c/config.v2.json", "{not json", 1) != NULL,
	   "a config that is not JSON cannot be judged: withheld");

	/* Kickstarts. */
	ok(judge("root/anaconda-ks.cfg", "lang en_US\nrootpw --iscrypted $6$x\n", 0) != NULL,
	   "a kickstart with rootpw");
	ok(judge("root/anaconda-ks.cfg", "user --name=a --password=$6$x --iscrypted\n", 0) != NULL,
	   "a kickstart with user --password");
	ok(judge("root/anaconda-ks.cfg", "lang en_US\n%post\necho hi\n%end\n", 0) == NULL,
	   "a kickstart without a password is taken");

	/* Account dates: never the hash. */
	{
		const char *shadow = "root:$6$salt$HASHVALUE:19700:0:99999:7:::\n"
		                     "bob:!$6$s$LOCKEDHASH:19000:1:90:7:30:19800:\n"
		                     "svc:*:19000:0:99999:7:::\n"
		                     "nopw::19000:0:99999:7:::\n"
		                     "garbage line\n";

		json = accounts_json(shadow, strlen(shadow), ACCOUNTS_SHADOW, "/etc/shadow");
		ok(strstr(json, "HASHVALUE") == NULL && strstr(json, "LOCKEDHASH") == NULL &&
		           strstr(json, "$6$") == NULL && strstr(json, "salt") == NULL,
		   "accounts.json holds no hash");
		ok(strstr(json, "\"last_change\": \"2023-12-09\"") != NULL,
		   "last change as a date");
		ok(strstr(json, "\"expires\": \"2024-03-18\"") != NULL, "expiry as a date");
		ok(strstr(json, "\"password\": \"locked\"") != NULL, "a locked account");
		ok(strstr(json, "\"password\": \"none\"") != NULL, "an account without a password");
		ok(strstr(json, "\"password\": \"empty\"") != NULL, "an empty password");
		ok(strstr(json, "\"lines_not_understood\": 1") != NULL, "a bad line is counted");
		free(json);
	}
	{
		const char *mp =
		        "root:$2b$08$BSDHASH:0:0::0:0:Charlie &:/root:/bin/csh\n"
		        "tmp:*LOCKED*$2b$x:1001:1001::1735689600:1767225600:t:/home/t:/bin/sh\n";

		json = accounts_json(mp, strlen(mp), ACCOUNTS_MASTER_PASSWD, "/etc/master.passwd");
		ok(strstr(json, "BSDHASH") == NULL && strstr(json, "$2b$") == NULL,
		   "master.passwd: no hash");
		ok(strstr(json, "\"expires\": \"2026-01-01T00:00:00Z\"") != NULL,
		   "master.passwd: expiry");
		ok(strstr(json, "\"password\": \"locked\"") != NULL, "master.passwd: *LOCKED*");
		free(json);
	}
	rmdir(base);
	return tap_done();
}
