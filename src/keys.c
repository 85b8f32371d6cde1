/*-------------------------------------------------------------------------
 *
 * keys.c
 *	  The key registry: intake of keys given as PEM, JWK or secret, and the
 *	  per-backend cache that verification reads.
 *
 * tracker.jwt_keys is readable only by the extension's owner.  The cache
 * is loaded with a plain heap scan, which checks no privileges, so that a
 * tenant user's session (or a parallel worker) can verify tokens without
 * ever being able to read a key.  The whole cache is thrown away once its
 * invalidation stamp is stale (a key changed), and reloaded: keys are few
 * and change rarely.  Parsed OpenSSL keys live outside PostgreSQL's
 * memory contexts and are freed explicitly before each reload.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "base64url.h"
#include "strict_json.h"
#include "invalidation.h"
#include "keys.h"
#include "registry.h"

static MemoryContext key_cxt = NULL;
static HTAB *key_table = NULL;
static InvalStamp key_stamp;

/* Free the OpenSSL keys, then everything else the cache holds */
static void
forget_keys(void)
{
	HASH_SEQ_STATUS status;
	VerifyKey  *key;

	if (key_table != NULL)
	{
		hash_seq_init(&status, key_table);
		while ((key = hash_seq_search(&status)) != NULL)
		{
			EVP_PKEY_free(key->pkey);
			key->pkey = NULL;
			crypto_hmac_free(key->hmac);
			key->hmac = NULL;
		}
		key_table = NULL;
	}
	MemoryContextReset(key_cxt);
}

static void
load_keys(void)
{
	HASHCTL		ctl;
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tuple;
	MemoryContext old;
	HTAB	   *table;
	InvalStamp	stamp;

	if (key_cxt == NULL)
		key_cxt = AllocSetContextCreate(CacheMemoryContext, "tracker keys",
										ALLOCSET_SMALL_SIZES);
	forget_keys();

	(void) invalidation_anchor();	/* says so when the extension is missing */
	rel = registry_open_everywhere("jwt_keys", NULL, NULL);
	invalidation_stamp(NULL, &stamp);

	ctl.keysize = KID_MAXLEN + 1;
	ctl.entrysize = sizeof(VerifyKey);
	ctl.hcxt = key_cxt;
	table = hash_create("tracker keys", 64, &ctl,
						HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while ((tuple = systable_getnext(scan)) != NULL)
	{
		char	   *kid;
		VerifyKey  *key;
		bytea	   *material;
		bool		found;
		bool		isnull;
		Datum		d;

		kid = TextDatumGetCString(registry_column(tuple, rel, "kid", &isnull));
		if (strlen(kid) > KID_MAXLEN)
			continue;
		key = hash_search(table, kid, HASH_ENTER, &found);
		key->pkey = NULL;
		key->hmac = NULL;

		old = MemoryContextSwitchTo(key_cxt);
		key->alg = jws_alg_from_name(TextDatumGetCString(registry_column(tuple, rel, "alg", &isnull)));
		material = DatumGetByteaPP(registry_column(tuple, rel, "material", &isnull));
		key->material_len = VARSIZE_ANY_EXHDR(material);
		key->material = palloc(key->material_len);
		memcpy(key->material, VARDATA_ANY(material), key->material_len);
		d = registry_column(tuple, rel, "issuer", &isnull);
		key->issuer = isnull ? NULL : TextDatumGetCString(d);
		d = registry_column(tuple, rel, "audience", &isnull);
		key->audience = isnull ? NULL : TextDatumGetCString(d);
		d = registry_column(tuple, rel, "tenant_id", &isnull);
		key->tenant_bound = !isnull;
		if (key->tenant_bound)
			key->tenant_id = *DatumGetUUIDP(d);
		d = registry_column(tuple, rel, "retired_at", &isnull);
		key->retires = !isnull;
		key->retired_at = isnull ? 0 : DatumGetTimestampTz(d);
		MemoryContextSwitchTo(old);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	/* only a complete table is used: an error above leaves none */
	key_table = table;
	key_stamp = stamp;
}

VerifyKey *
keys_lookup(const char *kid)
{
	if (key_table == NULL || !invalidation_stamp_current(&key_stamp, false))
		load_keys();
	if (strlen(kid) > KID_MAXLEN)
		return NULL;
	return hash_search(key_table, kid, HASH_FIND, NULL);
}

EVP_MAC_CTX *
keys_hmac(VerifyKey *key)
{
	if (key->hmac == NULL)
	{
		key->hmac = crypto_hmac_keyed(key->alg, key->material, key->material_len);
		if (key->hmac == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("key \"%s\" cannot be loaded", key->kid),
					 errhint("Retire the key and register it again.")));
	}
	return key->hmac;
}

EVP_PKEY *
keys_public_key(VerifyKey *key)
{
	if (key->pkey == NULL)
	{
		key->pkey = crypto_pubkey_from_der(key->material, key->material_len);
		if (key->pkey == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("key \"%s\" cannot be loaded", key->kid),
					 errhint("Retire the key and register it again.")));
	}
	return key->pkey;
}

/* ----------------------------------------------------------------
 * Key intake: what tracker.add_key() stores
 * ----------------------------------------------------------------
 */

static JwsAlg
checked_alg(text *alg_text)
{
	char	   *name = text_to_cstring(alg_text);
	JwsAlg		alg = jws_alg_from_name(name);

	if (alg == JWS_INVALID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("algorithm \"%s\" is not supported",
						pnstrdup(name, 32)),
				 errhint("Supported algorithms are HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384 and ES512.")));
	return alg;
}

/*
 * Parse a JWK as strictly as a token segment.  jsonb_in's own errors
 * quote the input, which may be a secret; these quote nothing.
 */
static Jsonb *
parse_jwk(const char *text, int len)
{
	char	   *utf8 = pg_server_to_any(text, len, PG_UTF8);

	return strict_json_object(utf8, strlen(utf8), "the JWK",
							  ERRCODE_INVALID_PARAMETER_VALUE);
}

/* A base64url member of a JWK, decoded; NULL when absent */
static unsigned char *
jwk_bytes(Jsonb *jwk, const char *member, int *len)
{
	JsonbValue	buf;
	JsonbValue *v = getKeyJsonValueFromContainer(&jwk->root, member,
												 strlen(member), &buf);
	unsigned char *out;

	if (v == NULL)
		return NULL;
	if (v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("JWK member \"%s\" must be a string", member)));
	out = palloc(BASE64URL_DECODED_MAX(v->val.string.len) + 1);
	*len = base64url_decode(v->val.string.val, v->val.string.len, out);
	if (*len < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("JWK member \"%s\" is not valid base64url", member)));
	return out;
}

static char *
jwk_string(Jsonb *jwk, const char *member)
{
	JsonbValue	buf;
	JsonbValue *v = getKeyJsonValueFromContainer(&jwk->root, member,
												 strlen(member), &buf);

	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static const char *const private_jwk_members[] = {
	"d", "p", "q", "dp", "dq", "qi", "oth"
};

/* Returns the HMAC secret, or the public key, a JWK describes */
static unsigned char *
jwk_material(JwsAlg alg, Jsonb *jwk, int *len)
{
	char	   *kty = jwk_string(jwk, "kty");
	char	   *jwk_alg = jwk_string(jwk, "alg");
	const char *err = NULL;
	EVP_PKEY   *pkey = NULL;
	unsigned char *der;
	const char *problem;

	if (kty == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the JWK has no \"kty\" member")));
	if (jwk_alg != NULL && strcmp(jwk_alg, jws_alg_name(alg)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the JWK is for algorithm \"%s\", not %s",
						pnstrdup(jwk_alg, 32), jws_alg_name(alg))));

	if (JWS_IS_HMAC(alg))
	{
		unsigned char *secret;

		if (strcmp(kty, "oct") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s needs a JWK of type \"oct\"", jws_alg_name(alg))));
		secret = jwk_bytes(jwk, "k", len);
		if (secret == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the JWK has no \"k\" member")));
		return secret;
	}

	for (int i = 0; i < lengthof(private_jwk_members); i++)
		if (getKeyJsonValueFromContainer(&jwk->root, private_jwk_members[i],
										 strlen(private_jwk_members[i]), NULL) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the JWK contains private key members"),
					 errhint("Register only the public key.")));

	if (strcmp(kty, "RSA") == 0 && JWS_IS_RSA(alg))
	{
		int			nlen = 0,
					elen = 0;
		unsigned char *n = jwk_bytes(jwk, "n", &nlen);
		unsigned char *e = jwk_bytes(jwk, "e", &elen);

		if (n == NULL || e == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("an RSA JWK needs members \"n\" and \"e\"")));
		pkey = crypto_rsa_from_jwk(n, nlen, e, elen, &err);
	}
	else if (strcmp(kty, "EC") == 0 && JWS_IS_EC(alg))
	{
		int			xlen = 0,
					ylen = 0;
		char	   *crv = jwk_string(jwk, "crv");
		unsigned char *x = jwk_bytes(jwk, "x", &xlen);
		unsigned char *y = jwk_bytes(jwk, "y", &ylen);

		if (crv == NULL || x == NULL || y == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("an EC JWK needs members \"crv\", \"x\" and \"y\"")));
		pkey = crypto_ec_from_jwk(crv, x, xlen, y, ylen, &err);
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a JWK of type \"%s\" cannot serve %s",
						pnstrdup(kty, 16), jws_alg_name(alg))));

	if (pkey == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", err)));
	problem = crypto_check_pubkey(pkey, alg);
	der = problem ? NULL : crypto_pubkey_to_der(pkey, len);
	EVP_PKEY_free(pkey);
	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the key cannot serve %s: %s", jws_alg_name(alg), problem)));
	if (der == NULL)
		elog(ERROR, "could not encode public key");
	return der;
}

static unsigned char *
pem_material(JwsAlg alg, const char *pem, int pemlen, int *len)
{
	const char *err = NULL;
	EVP_PKEY   *pkey = crypto_pubkey_from_pem(pem, pemlen, &err);
	const char *problem;
	unsigned char *der;

	if (pkey == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", err),
				 errhint("Give the public key as PEM (BEGIN PUBLIC KEY or BEGIN CERTIFICATE) or as a JWK.")));
	problem = crypto_check_pubkey(pkey, alg);
	der = problem ? NULL : crypto_pubkey_to_der(pkey, len);
	EVP_PKEY_free(pkey);
	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the key cannot serve %s: %s", jws_alg_name(alg), problem)));
	if (der == NULL)
		elog(ERROR, "could not encode public key");
	return der;
}

PG_FUNCTION_INFO_V1(tracker_key_material);

/*
 * tracker._key_material(alg, key) returns bytea: the secret of an HS key
 * (the text's bytes, or the "k" of an oct JWK), or the DER public key of
 * an RS or ES key given as PEM or JWK.  Messages never quote the key.
 */
Datum
tracker_key_material(PG_FUNCTION_ARGS)
{
	JwsAlg		alg = checked_alg(PG_GETARG_TEXT_PP(0));
	text	   *key_text = PG_GETARG_TEXT_PP(1);
	char	   *key = text_to_cstring(key_text);
	int			keylen = strlen(key);
	const char *start = key;
	unsigned char *material;
	int			len = 0;
	bytea	   *result;

	while (*start == ' ' || *start == '\t' || *start == '\n' || *start == '\r')
		start++;

	if (*start == '{')
		material = jwk_material(alg, parse_jwk(key, keylen), &len);
	else if (JWS_IS_HMAC(alg))
	{
		if (strncmp(start, "-----BEGIN ", 11) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a PEM key cannot be an HMAC secret"),
					 errdetail("Public keys are public: anyone could sign tokens with one used as a shared secret."),
					 errhint("Register public keys for RS or ES algorithms.")));
		material = (unsigned char *) key;
		len = keylen;
	}
	else if (strncmp(start, "-----BEGIN ", 11) == 0)
		material = pem_material(alg, key, keylen, &len);
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a key for %s must be a PEM public key or a JWK",
						jws_alg_name(alg))));

	if (JWS_IS_HMAC(alg) && len < jws_hmac_min_secret(alg))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a secret for %s must have at least %d bytes",
						jws_alg_name(alg), jws_hmac_min_secret(alg)),
				 errdetail("The secret given has %d bytes.", len)));

	result = palloc(VARHDRSZ + len);
	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(VARDATA(result), material, len);
	explicit_bzero(key, keylen);
	PG_RETURN_BYTEA_P(result);
}

/* The public key that a key's stored material (DER) holds, or NULL */
static EVP_PKEY *
material_pubkey(bytea *material)
{
	return crypto_pubkey_from_der((unsigned char *) VARDATA_ANY(material),
								  VARSIZE_ANY_EXHDR(material));
}

PG_FUNCTION_INFO_V1(tracker_key_describe);

/* tracker._key_describe(alg, material): "HMAC secret, 32 bytes", "RSA 2048" */
Datum
tracker_key_describe(PG_FUNCTION_ARGS)
{
	JwsAlg		alg = checked_alg(PG_GETARG_TEXT_PP(0));
	bytea	   *material = PG_GETARG_BYTEA_PP(1);
	EVP_PKEY   *pkey;
	char	   *desc;

	if (JWS_IS_HMAC(alg))
		PG_RETURN_TEXT_P(cstring_to_text(psprintf("HMAC secret, %d bytes",
												  (int) VARSIZE_ANY_EXHDR(material))));
	pkey = material_pubkey(material);
	if (pkey == NULL)
		PG_RETURN_TEXT_P(cstring_to_text("unreadable"));
	desc = crypto_describe_pubkey(pkey);
	EVP_PKEY_free(pkey);
	PG_RETURN_TEXT_P(cstring_to_text(desc));
}

PG_FUNCTION_INFO_V1(tracker_key_public_jwk);

/*
 * tracker._key_public_jwk(alg, material) RETURNS jsonb: the public JWK of an
 * RSA or EC key (kty, n and e, or crv, x and y); NULL for an HMAC secret,
 * which is never shown.
 */
Datum
tracker_key_public_jwk(PG_FUNCTION_ARGS)
{
	JwsAlg		alg = checked_alg(PG_GETARG_TEXT_PP(0));
	bytea	   *material = PG_GETARG_BYTEA_PP(1);
	EVP_PKEY   *pkey;
	char	   *jwk;

	if (JWS_IS_HMAC(alg))
		PG_RETURN_NULL();
	pkey = material_pubkey(material);
	if (pkey == NULL)
		PG_RETURN_NULL();
	jwk = crypto_public_jwk(pkey);
	EVP_PKEY_free(pkey);
	if (jwk == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(jwk)));
}
