/*-------------------------------------------------------------------------
 *
 * crypto.c
 *	  OpenSSL primitives behind token verification.
 *
 * libjwt 1.10 takes the algorithm from the token and forgives junk in
 * signatures, so verification is done here directly with OpenSSL, always
 * with the algorithm the key is pinned to.  HMAC tags are compared in
 * constant time; ECDSA signatures must be exactly r||s of the curve's size.
 *
 * Nothing here raises an error while an OpenSSL object is live: functions
 * free what they made and report failure by return value, so no handle can
 * leak on a longjmp.  OpenSSL's error queue is cleared and never shown,
 * since it is no business of a client's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "lib/stringinfo.h"

#include "base64url.h"
#include "crypto.h"

static const char *const alg_names[] = {
	NULL, "HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
	"ES256", "ES384", "ES512"
};

JwsAlg
jws_alg_from_name(const char *name)
{
	for (int i = JWS_HS256; i <= JWS_ES512; i++)
		if (strcmp(name, alg_names[i]) == 0)
			return (JwsAlg) i;
	return JWS_INVALID;
}

const char *
jws_alg_name(JwsAlg alg)
{
	return alg_names[alg];
}

/* Which of SHA-256, SHA-384 and SHA-512 an algorithm uses: 0, 1 or 2 */
static int
alg_digest_index(JwsAlg alg)
{
	switch (alg)
	{
		case JWS_HS256:
		case JWS_RS256:
		case JWS_ES256:
			return 0;
		case JWS_HS384:
		case JWS_RS384:
		case JWS_ES384:
			return 1;
		default:
			return 2;
	}
}

static const char *const digest_names[] = {"SHA256", "SHA384", "SHA512"};

/*
 * The digest of an algorithm.  OpenSSL 3 looks an algorithm up in its
 * provider tables, under a lock, every time one is named or passed as
 * EVP_sha256(); the fetched ones are kept for the life of the backend.
 */
static const EVP_MD *
alg_digest(JwsAlg alg)
{
	static EVP_MD *fetched[3];
	int			i = alg_digest_index(alg);

	if (fetched[i] == NULL)
		fetched[i] = EVP_MD_fetch(NULL, digest_names[i], NULL);
	if (fetched[i] == NULL)
	{
		ERR_clear_error();
		return i == 0 ? EVP_sha256() : i == 1 ? EVP_sha384() : EVP_sha512();
	}
	return fetched[i];
}

/* RFC 7518 section 3.2: a secret at least as long as the hash output */
int
jws_hmac_min_secret(JwsAlg alg)
{
	return alg == JWS_HS256 ? 32 : alg == JWS_HS384 ? 48 : 64;
}

/* The curves of ES256, ES384 and ES512, in that order: OpenSSL's group, JWK's name, size */
typedef struct Curve
{
	const char *group;
	const char *crv;
	int			size;			/* bytes of a coordinate */
} Curve;

static const Curve curves[] = {
	{"prime256v1", "P-256", 32},
	{"secp384r1", "P-384", 48},
	{"secp521r1", "P-521", 66}
};

/* Bytes of r (and of s) in a JWS ECDSA signature */
static int
ec_component_size(JwsAlg alg)
{
	return curves[alg - JWS_ES256].size;
}

static const char *
ec_group_for_alg(JwsAlg alg)
{
	return curves[alg - JWS_ES256].group;
}

EVP_MAC_CTX *
crypto_hmac_keyed(JwsAlg alg, const unsigned char *secret, int secretlen)
{
	static EVP_MAC *hmac = NULL;
	EVP_MAC_CTX *ctx;
	OSSL_PARAM	params[2];

	if (secretlen <= 0)
		return NULL;
	if (hmac == NULL)
		hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	ctx = hmac != NULL ? EVP_MAC_CTX_new(hmac) : NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
												 (char *) digest_names[alg_digest_index(alg)], 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx == NULL || EVP_MAC_init(ctx, secret, secretlen, params) != 1)
	{
		EVP_MAC_CTX_free(ctx);
		ERR_clear_error();
		return NULL;
	}
	return ctx;
}

void
crypto_hmac_free(EVP_MAC_CTX *ctx)
{
	EVP_MAC_CTX_free(ctx);
}

/*
 * Initialising a keyed context again without a key starts a new MAC under
 * the same key: the inner and outer pads are not hashed again.  OpenSSL
 * 3.0.0 to 3.0.2 did not reset the context that way (openssl#17811: every
 * MAC after the first went on from the previous one); with those, each MAC
 * is made on a copy of the keyed context, which is still cheaper than
 * keying.
 */
int
crypto_hmac_with(EVP_MAC_CTX *keyed, const char *data, int datalen, unsigned char *mac)
{
	static int	reinit_works = -1;
	EVP_MAC_CTX *ctx;
	size_t		maclen = 0;
	bool		ok;

	if (keyed == NULL)
		return -1;
	if (reinit_works < 0)
		reinit_works = OpenSSL_version_num() >= 0x30000030L;
	ctx = reinit_works ? keyed : EVP_MAC_CTX_dup(keyed);
	ok = ctx != NULL &&
		(ctx != keyed || EVP_MAC_init(ctx, NULL, 0, NULL) == 1) &&
		EVP_MAC_update(ctx, (const unsigned char *) data, datalen) == 1 &&
		EVP_MAC_final(ctx, mac, &maclen, EVP_MAX_MD_SIZE) == 1;
	if (ctx != keyed)
		EVP_MAC_CTX_free(ctx);
	if (!ok)
	{
		ERR_clear_error();
		return -1;
	}
	return (int) maclen;
}

int
crypto_hmac(JwsAlg alg, const unsigned char *secret, int secretlen,
			const char *data, int datalen, unsigned char *mac)
{
	EVP_MAC_CTX *ctx = crypto_hmac_keyed(alg, secret, secretlen);
	int			maclen = crypto_hmac_with(ctx, data, datalen, mac);

	crypto_hmac_free(ctx);
	return maclen;
}

bool
crypto_hmac_verify(EVP_MAC_CTX *keyed, const char *data, int datalen,
				   const unsigned char *sig, int siglen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	int			maclen = crypto_hmac_with(keyed, data, datalen, mac);
	bool		ok;

	ok = (maclen > 0 && siglen == maclen && CRYPTO_memcmp(mac, sig, maclen) == 0);
	OPENSSL_cleanse(mac, sizeof(mac));
	return ok;
}

/* Turn a JWS r||s signature into the DER form OpenSSL verifies */
static unsigned char *
ecdsa_raw_to_der(JwsAlg alg, const unsigned char *sig, int siglen, int *derlen)
{
	int			n = ec_component_size(alg);
	ECDSA_SIG  *esig;
	BIGNUM	   *r,
			   *s;
	unsigned char *der = NULL;

	if (siglen != 2 * n)
		return NULL;
	r = BN_bin2bn(sig, n, NULL);
	s = BN_bin2bn(sig + n, n, NULL);
	esig = ECDSA_SIG_new();
	if (r == NULL || s == NULL || esig == NULL || !ECDSA_SIG_set0(esig, r, s))
	{
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(esig);
		return NULL;
	}
	*derlen = i2d_ECDSA_SIG(esig, &der);
	ECDSA_SIG_free(esig);
	if (*derlen <= 0)
		return NULL;
	return der;
}

bool
crypto_pubkey_verify(JwsAlg alg, EVP_PKEY *pkey,
					 const char *data, int datalen,
					 const unsigned char *sig, int siglen)
{
	EVP_MD_CTX *md;
	unsigned char *der = NULL;
	const unsigned char *check = sig;
	int			checklen = siglen;
	bool		ok = false;

	if (JWS_IS_EC(alg))
	{
		der = ecdsa_raw_to_der(alg, sig, siglen, &checklen);
		if (der == NULL)
		{
			ERR_clear_error();
			return false;
		}
		check = der;
	}

	md = EVP_MD_CTX_new();
	if (md != NULL &&
		EVP_DigestVerifyInit(md, NULL, alg_digest(alg), NULL, pkey) == 1 &&
		EVP_DigestVerify(md, check, checklen,
						 (const unsigned char *) data, datalen) == 1)
		ok = true;

	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	ERR_clear_error();
	return ok;
}

EVP_PKEY *
crypto_pubkey_from_pem(const char *pem, int len, const char **err)
{
	BIO		   *bio;
	EVP_PKEY   *pkey = NULL;

	if (strstr(pem, "PRIVATE KEY") != NULL)
	{
		*err = "the key is a private key";
		return NULL;
	}

	bio = BIO_new_mem_buf(pem, len);
	if (bio == NULL)
	{
		*err = "out of memory";
		return NULL;
	}
	if (strstr(pem, "-----BEGIN CERTIFICATE-----") != NULL)
	{
		X509	   *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);

		if (cert != NULL)
		{
			pkey = X509_get_pubkey(cert);
			X509_free(cert);
		}
	}
	else
		pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();

	if (pkey == NULL)
		*err = "the PEM text is not a SubjectPublicKeyInfo public key or an X.509 certificate";
	return pkey;
}

EVP_PKEY *
crypto_pubkey_from_der(const unsigned char *der, int len)
{
	const unsigned char *p = der;
	EVP_PKEY   *pkey = d2i_PUBKEY(NULL, &p, len);

	ERR_clear_error();
	return pkey;
}

/* Build a public key from OSSL parameters; frees the parameter builder */
static EVP_PKEY *
pubkey_from_params(const char *type, OSSL_PARAM_BLD *bld, const char **err)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY   *pkey = NULL;

	if (params == NULL || ctx == NULL ||
		EVP_PKEY_fromdata_init(ctx) != 1 ||
		EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
	{
		pkey = NULL;
		*err = "the JWK does not describe a valid public key";
	}
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	ERR_clear_error();
	return pkey;
}

EVP_PKEY *
crypto_rsa_from_jwk(const unsigned char *n, int nlen,
					const unsigned char *e, int elen, const char **err)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM	   *bn_n = BN_bin2bn(n, nlen, NULL);
	BIGNUM	   *bn_e = BN_bin2bn(e, elen, NULL);
	EVP_PKEY   *pkey = NULL;

	if (bld != NULL && bn_n != NULL && bn_e != NULL &&
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
	{
		pkey = pubkey_from_params("RSA", bld, err);
		bld = NULL;
	}
	else
		*err = "the JWK does not describe a valid RSA public key";
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	ERR_clear_error();
	return pkey;
}

static const Curve *
curve_named(const char *crv)
{
	for (int i = 0; i < lengthof(curves); i++)
		if (strcmp(curves[i].crv, crv) == 0)
			return &curves[i];
	return NULL;
}

/* The curve of an EC key, or NULL (another kind of key, another curve) */
static const Curve *
curve_of(EVP_PKEY *pkey, char *group, size_t grouplen)
{
	group[0] = '\0';
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
		EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
									   group, grouplen, NULL) != 1)
	{
		ERR_clear_error();
		return NULL;
	}
	for (int i = 0; i < lengthof(curves); i++)
		if (strcmp(curves[i].group, group) == 0)
			return &curves[i];
	return NULL;
}

EVP_PKEY *
crypto_ec_from_jwk(const char *crv,
				   const unsigned char *x, int xlen,
				   const unsigned char *y, int ylen, const char **err)
{
	const Curve *curve = curve_named(crv);
	const char *group;
	int			size;
	unsigned char point[1 + 2 * 66];
	OSSL_PARAM_BLD *bld;

	if (curve == NULL)
	{
		*err = "the JWK curve is not P-256, P-384 or P-521";
		return NULL;
	}
	group = curve->group;
	size = curve->size;
	if (xlen != size || ylen != size)
	{
		*err = "the JWK coordinates do not have the curve's size";
		return NULL;
	}

	point[0] = 0x04;			/* uncompressed point */
	memcpy(point + 1, x, size);
	memcpy(point + 1 + size, y, size);

	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
		!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
		!OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * size))
	{
		OSSL_PARAM_BLD_free(bld);
		*err = "out of memory";
		return NULL;
	}
	return pubkey_from_params("EC", bld, err);
}

/*
 * Check that a public key can serve alg: the right type, at least 2048 bits
 * for RSA, the alg's own curve for ECDSA, and a point on that curve.
 * Returns NULL when it can, else a reason.
 */
const char *
crypto_check_pubkey(EVP_PKEY *pkey, JwsAlg alg)
{
	if (JWS_IS_RSA(alg))
	{
		BIGNUM	   *e = NULL;
		bool		good_e;

		if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
			return "an RSA key is required";
		if (EVP_PKEY_get_bits(pkey) < 2048)
			return "RSA keys must have at least 2048 bits";
		/* NIST SP 800-56B: an odd public exponent, 65537 <= e < 2^256 */
		good_e = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1 &&
			BN_is_odd(e) && BN_num_bits(e) <= 256 && BN_cmp(e, BN_value_one()) > 0 &&
			BN_get_word(e) >= 65537;
		BN_free(e);
		ERR_clear_error();
		return good_e ? NULL : "the RSA public exponent must be odd and at least 65537";
	}
	if (JWS_IS_EC(alg))
	{
		char		name[64];
		EVP_PKEY_CTX *ctx;
		int			valid;

		if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC)
			return "an EC key is required";
		if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
										   name, sizeof(name), NULL) != 1 ||
			strcmp(name, ec_group_for_alg(alg)) != 0)
		{
			ERR_clear_error();
			return alg == JWS_ES256 ? "ES256 requires a P-256 key" :
				alg == JWS_ES384 ? "ES384 requires a P-384 key" :
				"ES512 requires a P-521 key";
		}
		ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		valid = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;
		EVP_PKEY_CTX_free(ctx);
		ERR_clear_error();
		return valid ? NULL : "the EC public key is not a valid point on its curve";
	}
	return "HMAC algorithms take a shared secret, not a public key";
}

/* DER SubjectPublicKeyInfo, palloc'd */
unsigned char *
crypto_pubkey_to_der(EVP_PKEY *pkey, int *len)
{
	unsigned char *der = NULL;
	unsigned char *copy;
	int			n = i2d_PUBKEY(pkey, &der);

	if (n <= 0)
	{
		ERR_clear_error();
		return NULL;
	}
	copy = palloc(n);
	memcpy(copy, der, n);
	OPENSSL_free(der);
	*len = n;
	return copy;
}

char *
crypto_describe_pubkey(EVP_PKEY *pkey)
{
	char		group[64];
	const Curve *curve;

	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA)
		return psprintf("RSA %d", EVP_PKEY_get_bits(pkey));
	curve = curve_of(pkey, group, sizeof(group));
	if (curve != NULL)
		return psprintf("EC %s", curve->crv);
	return group[0] != '\0' ? psprintf("EC %s", group) : pstrdup("unknown");
}

/* A big number as a JWK member: base64url of its bytes, padded to pad */
static bool
append_jwk_number(StringInfo buf, const char *member, EVP_PKEY *pkey,
				  const char *param, int pad)
{
	BIGNUM	   *bn = NULL;
	int			len;
	unsigned char *bytes;
	char	   *text;

	if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1)
		return false;
	len = pad > 0 ? pad : BN_num_bytes(bn);
	bytes = palloc(len);
	if (BN_bn2binpad(bn, bytes, len) != len)
	{
		BN_free(bn);
		return false;
	}
	BN_free(bn);
	text = palloc(len * 4 / 3 + 4);
	text[base64url_encode(bytes, len, text)] = '\0';
	appendStringInfo(buf, ",\"%s\":\"%s\"", member, text);
	return true;
}

char *
crypto_public_jwk(EVP_PKEY *pkey)
{
	StringInfoData buf;
	char		group[64];
	const Curve *curve;
	bool		ok = false;

	initStringInfo(&buf);
	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA)
	{
		appendStringInfoString(&buf, "{\"kty\":\"RSA\"");
		ok = append_jwk_number(&buf, "n", pkey, OSSL_PKEY_PARAM_RSA_N, 0) &&
			append_jwk_number(&buf, "e", pkey, OSSL_PKEY_PARAM_RSA_E, 0);
	}
	else if ((curve = curve_of(pkey, group, sizeof(group))) != NULL)
	{
		appendStringInfo(&buf, "{\"kty\":\"EC\",\"crv\":\"%s\"", curve->crv);
		ok = append_jwk_number(&buf, "x", pkey, OSSL_PKEY_PARAM_EC_PUB_X, curve->size) &&
			append_jwk_number(&buf, "y", pkey, OSSL_PKEY_PARAM_EC_PUB_Y, curve->size);
	}
	ERR_clear_error();
	if (!ok)
		return NULL;
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

void
crypto_sha256(const void *data, size_t len, unsigned char out[32])
{
	static EVP_MD_CTX *ctx = NULL;
	unsigned int outlen = 32;

	/* one context for the backend's life: no allocation per digest */
	if (ctx == NULL && (ctx = EVP_MD_CTX_new()) == NULL)
		elog(ERROR, "out of memory for a SHA-256 context");
	if (EVP_DigestInit_ex(ctx, alg_digest(JWS_HS256), NULL) != 1 ||
		EVP_DigestUpdate(ctx, data, len) != 1 ||
		EVP_DigestFinal_ex(ctx, out, &outlen) != 1)
	{
		ERR_clear_error();
		elog(ERROR, "SHA-256 failed");
	}
}
