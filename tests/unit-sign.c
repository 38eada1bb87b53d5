/*
 * Unit tests for signing (trust/sign.c): keys made by the test, signatures checked by
 * sign_check_detached and by stock `openssl cms`, forgeries and untrusted signers told apart,
 * key files that others can read refused.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "tap.h"
#include "trust/sign.h"

static char dir[] = "/tmp/unit-sign-XXXXXX";

static const char content[] = "0123abcd  bagit.txt\n4567ef01  bag-info.txt\n";

/* dir/name; a static buffer, one at a time. */
static const char *at(const char *name)
{
	static char buf[2][512];
	static int which;

	which = !which;
	snprintf(buf[which], sizeof(buf[which]), "%s/%s", dir, name);
	return buf[which];
}

/* Run a shell command in dir, its output discarded; its exit status. */
static int sh(const char *fmt, ...) LP_ATTR_PRINTF(1, 2);
static int sh(const char *fmt, ...)
{
	va_list ap;
	char *cmd, *full;
	int rc;

	va_start(ap, fmt);
	cmd = xvasprintf(fmt, ap);
	va_end(ap);
	full = xasprintf("cd '%s' && { %s; } >/dev/null 2>&1", dir, cmd);
	rc = system(full);
	free(cmd);
	free(full);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static int write_file(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(at(name), "wb");
	int rc;

	if (f == NULL)
		return -1;
	rc = fwrite(data, 1, len, f) == len ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

static int keygen(const char *name, const char *subject, const char *passphrase)
{
	char key[256], cert[256];
	struct keygen_options ko = {.key_path = key,
	                            .cert_path = cert,
	                            .subject = subject,
	                            .days = 30,
	                            .passphrase = passphrase,
	                            .passphrase_len = passphrase ? strlen(passphrase) : 0};
	struct error err;

	snprintf(key, sizeof(key), "%s/%s.key", dir, name);
	snprintf(cert, sizeof(cert), "%s/%s.crt", dir, name);
	if (sign_keygen(&ko, &err) < 0) {
		printf("# keygen %s: %s\n", name, err.msg);
		return -1;
	}
	return 0;
}

/* Load a signer from dir/<key>.key and dir/<cert>.crt; NULL with err on failure. */
static struct signer *load(const char *key, const char *cert, const char *pass_file,
                           struct error *err)
{
	char kp[256], cp[256], pp[256];
	struct signer_options so = {.key_path = kp, .cert_path = cp};
	struct signer *s = NULL;

	snprintf(kp, sizeof(kp), "%s/%s.key", dir, key);
	snprintf(cp, sizeof(cp), "%s/%s.crt", dir, cert);
	if (pass_file) {
		snprintf(pp, sizeof(pp), "%s/%s", dir, pass_file);
		so.passphrase_file = pp;
	}
	err->msg[0] = '\0';
	if (signer_load(&s, &so, err) < 0)
		return NULL;
	return s;
}

static struct trust_store *trust(const char *name)
{
	struct trust_store *ts = NULL;
	struct error err;

	if (trust_store_load(&ts, at(name), &err) < 0)
		printf("# trust %s: %s\n", name, err.msg);
	return ts;
}

static void test_round_trip(void)
{
	struct error err;
	struct signer *s;
	struct trust_store *ts;
	struct sign_check chk;
	unsigned char *der = NULL;
	size_t der_len = 0;
	time_t now = time(NULL);

	ok(keygen("alice", "/O=Example AB/CN=Alice", NULL) == 0, "keygen makes a key");
	{
		struct stat st;

		ok(stat(at("alice.key"), &st) == 0 && (st.st_mode & 0777) == 0600,
		   "the key file is written with mode 0600");
	}
	s = load("alice", "alice", NULL, &err);
	ok(s != NULL, "the key loads (%s)", s ? "ok" : err.msg);
	if (s == NULL)
		return;
	is_str(signer_subject(s), "/O=Example AB/CN=Alice", "the signer's subject");
	ok(signer_sign(s, content, strlen(content), &der, &der_len, &err) == 0 && der_len > 0,
	   "signing works");
	signer_free(s);
	ok(write_file("sig.p7s", der, der_len) == 0 &&
	           write_file("content.txt", content, strlen(content)) == 0,
	   "signature and content written");

	ts = trust("alice.crt");
	ok(ts != NULL, "the certificate loads as a trust anchor");
	ok(sign_check_detached(der, der_len, content, strlen(content), ts, &chk, &err) == 0,
	   "the check runs");
	ok(chk.signature_ok && chk.failure == NULL, "the signature is good");
	ok(chk.trusted && chk.trust_reason == NULL, "the signer is trusted");
	is_str(chk.subject, "/O=Example AB/CN=Alice", "the check names the signer");
	ok(chk.signing_time >= (int64_t)now - 60 && chk.signing_time <= (int64_t)now + 60,
	   "the signing time is now");
	ok(!chk.expired && !chk.not_yet_valid && chk.not_after > (int64_t)now + 29 * 86400,
	   "the certificate is valid for the days asked");
	sign_check_free(&chk);

	/* Stock openssl agrees, as a receiver without logpack would check. */
	ok(sh("openssl cms -verify -binary -inform DER -in sig.p7s -content content.txt "
	      "-CAfile alice.crt -purpose any -out /dev/null") == 0,
	   "openssl cms -verify accepts the signature");
	ok(sh("cp content.txt changed.txt && printf x >>changed.txt && ! openssl cms -verify "
	      "-binary -inform DER -in sig.p7s -content changed.txt -CAfile alice.crt -purpose "
	      "any -out /dev/null") == 0,
	   "openssl cms -verify refuses it over changed content");

	/* A changed byte of the content: a forgery, not a trust problem. */
	{
		char *changed = xstrdup(content);

		changed[0] = '1';
		ok(sign_check_detached(der, der_len, changed, strlen(changed), ts, &chk, &err) ==
		                   0 &&
		           !chk.signature_ok && !chk.trusted && chk.failure &&
		           strstr(chk.failure, "does not match"),
		   "changed content fails (%s)", chk.failure ? chk.failure : "no failure");
		sign_check_free(&chk);
		ok(sign_check_detached(der, der_len, content, strlen(content) - 1, ts, &chk,
		                       &err) == 0 &&
		           !chk.signature_ok,
		   "truncated content fails");
		sign_check_free(&chk);
		free(changed);
	}
	/* A changed byte in the signature itself (its last bytes are the signature value). */
	{
		unsigned char *bad = xmalloc(der_len);

		memcpy(bad, der, der_len);
		bad[der_len - 5] ^= 0x01;
		ok(sign_check_detached(bad, der_len, content, strlen(content), ts, &chk, &err) ==
		                   0 &&
		           !chk.signature_ok && chk.failure,
		   "a changed signature fails (%s)", chk.failure ? chk.failure : "no failure");
		sign_check_free(&chk);
		ok(sign_check_detached(der, der_len / 2, content, strlen(content), ts, &chk,
		                       &err) == 0 &&
		           !chk.signature_ok && chk.failure &&
		           strstr(chk.failure, "not a DER CMS structure"),
		   "a cut signature fails");
		sign_check_free(&chk);
		free(bad);
	}
	trust_store_free(ts);

	/* A good signature by someone the store does not name: not a forgery, but not trusted. */
	ok(keygen("mallory", "/O=Other/CN=Mallory", NULL) == 0, "a second key");
	ts = trust("mallory.crt");
	ok(ts && sign_check_detached(der, der_len, content, strlen(content), ts, &chk, &err) == 0 &&
	           chk.signature_ok && !chk.trusted && chk.trust_reason,
	   "an untrusted signer is reported as such (%s)",
	   chk.trust_reason ? chk.trust_reason : "no reason");
	is_str(chk.subject, "/O=Example AB/CN=Alice", "and named");
	sign_check_free(&chk);
	trust_store_free(ts);
	ok(sign_check_detached(der, der_len, content, strlen(content), NULL, &chk, &err) == 0 &&
	           chk.signature_ok && !chk.trusted && chk.trust_reason &&
	           strstr(chk.trust_reason, "no trust anchors"),
	   "without trust anchors the signer is not trusted");
	sign_check_free(&chk);

	/* A signature by Mallory does not pass for Alice's. */
	s = load("mallory", "mallory", NULL, &err);
	free(der);
	der = NULL;
	ts = trust("alice.crt");
	ok(s && ts && signer_sign(s, content, strlen(content), &der, &der_len, &err) == 0 &&
	           sign_check_detached(der, der_len, content, strlen(content), ts, &chk, &err) ==
	                   0 &&
	           chk.signature_ok && !chk.trusted,
	   "another signer's good signature is not trusted under Alice's anchor");
	sign_check_free(&chk);
	trust_store_free(ts);
	signer_free(s);
	free(der);
}

static void test_key_files(void)
{
	struct error err;
	struct signer *s;

	ok(chmod(at("alice.key"), 0640) == 0, "key made group-readable");
	s = load("alice", "alice", NULL, &err);
	ok(s == NULL && strstr(err.msg, "too open") && strstr(err.msg, "chmod 600"),
	   "a group-readable key is refused (%s)", err.msg);
	signer_free(s);
	ok(chmod(at("alice.key"), 0604) == 0, "key made readable by others");
	s = load("alice", "alice", NULL, &err);
	ok(s == NULL && strstr(err.msg, "too open"), "a key others can read is refused");
	signer_free(s);
	ok(chmod(at("alice.key"), 0600) == 0, "key private again");
	s = load("alice", "alice", NULL, &err);
	ok(s != NULL, "a private key loads");
	signer_free(s);

	s = load("alice", "mallory", NULL, &err);
	ok(s == NULL && strstr(err.msg, "does not belong"),
	   "a certificate of another key is refused (%s)", err.msg);
	signer_free(s);

	/* An encrypted key opens with the passphrase from a file, and not with a wrong one. */
	ok(keygen("locked", "/CN=Locked", "correct horse") == 0, "an encrypted key");
	ok(sh("grep -q ENCRYPTED locked.key") == 0, "the key file is encrypted");
	/* Passphrase files are private, as logpack requires. */
	ok(write_file("pass", "correct horse\n", 14) == 0 &&
	           write_file("wrong", "wrong\n", 6) == 0 && chmod(at("pass"), 0600) == 0 &&
	           chmod(at("wrong"), 0600) == 0,
	   "passphrase files written");
	s = load("locked", "locked", "pass", &err);
	ok(s != NULL, "the passphrase file opens the key (%s)", s ? "ok" : err.msg);
	signer_free(s);
	s = load("locked", "locked", "wrong", &err);
	ok(s == NULL && strstr(err.msg, "wrong passphrase"), "a wrong passphrase is refused (%s)",
	   err.msg);
	signer_free(s);

	/* Keys made elsewhere: RSA signs (with PSS), Ed25519 cannot go into CMS in OpenSSL 3.0. */
	ok(sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.crt "
	      "-subj /CN=RSA -days 2 && chmod 600 rsa.key") == 0,
	   "openssl makes an RSA key");
	s = load("rsa", "rsa", NULL, &err);
	{
		unsigned char *der = NULL;
		size_t der_len = 0;

		ok(s && signer_sign(s, content, strlen(content), &der, &der_len, &err) == 0 &&
		           write_file("rsa.p7s", der, der_len) == 0,
		   "an RSA key signs");
		ok(sh("openssl cms -verify -binary -inform DER -in rsa.p7s -content content.txt "
		      "-CAfile rsa.crt -purpose any -out /dev/null") == 0,
		   "openssl cms -verify accepts the RSA signature");
		ok(sh("openssl cms -cmsout -print -inform DER -in rsa.p7s | grep -q rsassaPss") ==
		           0,
		   "the RSA signature is RSA-PSS");
		free(der);
	}
	signer_free(s);
	ok(sh("openssl req -x509 -newkey ed25519 -nodes -keyout ed.key -out ed.crt -subj /CN=Ed "
	      "-days 2 && chmod 600 ed.key") == 0,
	   "openssl makes an Ed25519 key");
	s = load("ed", "ed", NULL, &err);
	ok(s == NULL && strstr(err.msg, "cannot sign CMS"), "an Ed25519 key is refused (%s)",
	   err.msg);
	signer_free(s);
}

int main(void)
{
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: cannot make a directory\n");
		return 1;
	}
	/* Neither a passphrase from the environment nor a terminal may answer for the test. */
	unsetenv(SIGN_PASSPHRASE_ENV);
	test_round_trip();
	test_key_files();
	sh("rm -rf '%s'", dir);
	return tap_done();
}
