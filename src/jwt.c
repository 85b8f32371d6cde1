/*-------------------------------------------------------------------------
 *
 * jwt.c
 *	  The verification rules for compact JWS tokens.
 *
 * A token is taken apart here and nowhere else.  The order of the checks
 * matters: structure and header first, so that nothing unsigned is ever
 * looked at closely; then the key named by kid, whose pinned algorithm
 * must be exactly the header's; then the signature, with OpenSSL; only
 * then the payload and its claims.  Every failure raises SQLSTATE 28000
 * with a message that says which rule failed and quotes no key material;
 * attacker-supplied strings are shortened and cleaned before they are
 * shown.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/string.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "base64url.h"
#include "crypto.h"
#include "jwt.h"
#include "keys.h"
#include "strict_json.h"
#include "settings.h"

#define REJECT(...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION), __VA_ARGS__))

/* Header parameters that would fetch or carry keys: never honoured */
static const char *const refused_header_params[] = {
	"jku", "x5u", "jwk", "x5c", "b64"
};

/* An attacker-chosen string, safe to show: at most 64 printable ASCII bytes */
char *
jwt_shown(const char *s, int len)
{
	char	   *copy = pnstrdup(s, Min(len, 64));

	pg_clean_ascii(copy);
	return copy;
}

static char *
member_string(Jsonb *obj, const char *what, const char *name, bool required)
{
	JsonbValue	buf;
	JsonbValue *v = jsonb_member(obj, name, &buf);

	if (v == NULL)
	{
		if (required)
			REJECT(errmsg("token %s has no \"%s\"", what, name));
		return NULL;
	}
	if (v->type != jbvString)
		REJECT(errmsg("token %s member \"%s\" must be a string", what, name));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* A NumericDate claim as a timestamp; false when absent */
static bool
member_time(Jsonb *obj, const char *name, TimestampTz *out)
{
	JsonbValue	buf;
	JsonbValue *v = jsonb_member(obj, name, &buf);
	double		secs;

	if (v == NULL)
		return false;
	if (v->type != jbvNumeric)
		REJECT(errmsg("claim \"%s\" must be a number", name));
	secs = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
											  NumericGetDatum(v->val.numeric)));
	/* between 1970 and the year 9999 */
	if (isnan(secs) || secs < 0 || secs > 253402300799.0)
		REJECT(errmsg("claim \"%s\" is out of range", name));
	*out = (TimestampTz) ((secs - (double) ((POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY))
						  * USECS_PER_SEC);
	return true;
}

void
jwt_report_expired(TimestampTz expires)
{
	REJECT(errmsg("token has expired"),
		   errdetail("The token expired at %s.",
					 timestamptz_to_str(expires - (TimestampTz) tracker_leeway * USECS_PER_SEC)),
		   errhint("Request a new token from the identity provider."));
}

/* Decode one segment; raises when it is not canonical base64url */
static unsigned char *
decode_segment(const char *seg, int seglen, const char *what, int *outlen)
{
	unsigned char *out = palloc(BASE64URL_DECODED_MAX(seglen) + 1);

	*outlen = base64url_decode(seg, seglen, out);
	if (*outlen < 0)
		REJECT(errmsg("token %s is not valid base64url", what));
	return out;
}

static JwsAlg
check_header(Jsonb *header, char **kid)
{
	char	   *alg_name = member_string(header, "header", "alg", true);
	char	   *typ;
	JwsAlg		alg;
	JsonbValue	buf;

	if (pg_strcasecmp(alg_name, "none") == 0)
		REJECT(errmsg("unsigned tokens are not accepted"),
			   errdetail("The token's algorithm is \"%s\".", jwt_shown(alg_name, strlen(alg_name))));
	alg = jws_alg_from_name(alg_name);
	if (alg == JWS_INVALID)
		REJECT(errmsg("algorithm \"%s\" is not supported", jwt_shown(alg_name, strlen(alg_name))));

	if (jsonb_member(header, "enc", &buf) || jsonb_member(header, "zip", &buf))
		REJECT(errmsg("encrypted tokens are not accepted"));
	for (int i = 0; i < lengthof(refused_header_params); i++)
		if (jsonb_member(header, refused_header_params[i], &buf))
			REJECT(errmsg("header parameter \"%s\" is not accepted",
						  refused_header_params[i]),
				   errdetail("Keys are taken from the key registry only, never from a token."));
	if (jsonb_member(header, "crit", &buf))
		REJECT(errmsg("critical header extensions are not supported"),
			   errdetail("The token lists header parameters in \"crit\" that must be understood."));
	if (jsonb_member(header, "cty", &buf))
		REJECT(errmsg("nested tokens are not accepted"),
			   errdetail("The token header has a \"cty\" member."));

	typ = member_string(header, "header", "typ", false);
	if (typ != NULL &&
		pg_strcasecmp(typ, "JWT") != 0 &&
		pg_strcasecmp(typ, "application/jwt") != 0 &&
		pg_strcasecmp(typ, "at+jwt") != 0 &&
		pg_strcasecmp(typ, "application/at+jwt") != 0)
		REJECT(errmsg("token type \"%s\" is not accepted", jwt_shown(typ, strlen(typ))));

	*kid = member_string(header, "header", "kid", true);
	return alg;
}

/*
 * The tokens of one issuer share their header, byte for byte, and what
 * check_header() finds in a header depends on its bytes alone: the last
 * header that passed is kept, as its base64url text, with its algorithm
 * and kid, so that the next token with the same header skips decoding and
 * parsing it.  The key is still looked up and checked for every token.
 */
#define HEADER_SEEN_MAXLEN 512

static char seen_header[HEADER_SEEN_MAXLEN];
static int	seen_header_len = 0;
static JwsAlg seen_alg;
static char seen_kid[KID_MAXLEN + 1];

static bool
header_seen(const char *seg, int seglen, JwsAlg *alg, char **kid)
{
	if (seglen == 0 || seglen != seen_header_len || memcmp(seg, seen_header, seglen) != 0)
		return false;
	*alg = seen_alg;
	*kid = pstrdup(seen_kid);
	return true;
}

static void
remember_header(const char *seg, int seglen, JwsAlg alg, const char *kid)
{
	seen_header_len = 0;
	if (seglen > HEADER_SEEN_MAXLEN || strlen(kid) > KID_MAXLEN)
		return;
	memcpy(seen_header, seg, seglen);
	seen_alg = alg;
	strlcpy(seen_kid, kid, sizeof(seen_kid));
	seen_header_len = seglen;
}

static VerifyKey *
check_key(const char *kid, JwsAlg alg, TimestampTz now)
{
	VerifyKey  *key = keys_lookup(kid);

	if (key == NULL)
		REJECT(errmsg("unknown key \"%s\"", jwt_shown(kid, strlen(kid))),
			   errdetail("No key with this kid is registered."));
	if (key->retires && key->retired_at <= now)
		REJECT(errmsg("key \"%s\" has been retired", key->kid));
	if (key->alg != alg)
		REJECT(errmsg("algorithm %s is not allowed for key \"%s\"",
					  jws_alg_name(alg), key->kid),
			   errdetail("Key \"%s\" is pinned to %s.", key->kid, jws_alg_name(key->alg)));
	return key;
}

static void
check_signature(VerifyKey *key, const char *signed_part, int signed_len,
				const unsigned char *sig, int siglen)
{
	bool		ok;

	if (JWS_IS_HMAC(key->alg))
		ok = crypto_hmac_verify(keys_hmac(key), signed_part, signed_len, sig, siglen);
	else
		ok = crypto_pubkey_verify(key->alg, keys_public_key(key),
								  signed_part, signed_len, sig, siglen);
	if (!ok)
		REJECT(errmsg("token signature is invalid"));
}

/* xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hex digits in either case */
static bool
canonical_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++)
	{
		bool		hyphen = (i == 8 || i == 13 || i == 18 || i == 23);

		if (hyphen ? s[i] != '-' : !isxdigit((unsigned char) s[i]))
			return false;
	}
	return true;
}

static bool
audience_matches(Jsonb *claims, const char *audience)
{
	JsonbValue	buf;
	JsonbValue *aud = jsonb_member(claims, "aud", &buf);

	if (aud == NULL)
		return false;
	if (aud->type == jbvString)
		return strlen(audience) == aud->val.string.len &&
			memcmp(audience, aud->val.string.val, aud->val.string.len) == 0;
	if (aud->type == jbvBinary && JsonContainerIsArray(aud->val.binary.data))
	{
		JsonbValue	want;

		want.type = jbvString;
		want.val.string.val = (char *) audience;
		want.val.string.len = strlen(audience);
		return findJsonbValueFromContainer(aud->val.binary.data, JB_FARRAY, &want) != NULL;
	}
	return false;
}

static void
check_claims(Jsonb *claims, VerifyKey *key, TimestampTz now, VerifiedToken *out)
{
	TimestampTz leeway = (TimestampTz) tracker_leeway * USECS_PER_SEC;
	TimestampTz exp,
				nbf,
				iat;
	char	   *tenant_text;
	char	   *iss;

	if (!member_time(claims, "exp", &exp))
		REJECT(errmsg("token has no expiration time"),
			   errdetail("Tokens must carry an \"exp\" claim."));
	out->expires = exp + leeway;
	if (out->expires <= now)
		jwt_report_expired(out->expires);
	if (member_time(claims, "nbf", &nbf) && nbf > now + leeway)
		REJECT(errmsg("token is not valid yet"),
			   errdetail("The token is valid from %s.", timestamptz_to_str(nbf)));
	out->issued_at = 0;
	if (member_time(claims, "iat", &iat))
	{
		if (iat > now + leeway)
			REJECT(errmsg("token was issued in the future"),
				   errdetail("The token says it was issued at %s.", timestamptz_to_str(iat)));
		out->issued_at = iat;
	}

	iss = member_string(claims, "payload", "iss", false);
	if (key->issuer != NULL && (iss == NULL || strcmp(iss, key->issuer) != 0))
		REJECT(errmsg("token issuer is not accepted"),
			   errdetail("Key \"%s\" verifies tokens from issuer \"%s\" only.",
						 key->kid, key->issuer));
	if (key->audience != NULL && !audience_matches(claims, key->audience))
		REJECT(errmsg("token audience is not accepted"),
			   errdetail("Key \"%s\" verifies tokens for audience \"%s\" only.",
						 key->kid, key->audience));

	out->subject = member_string(claims, "payload", "sub", false);
	if (out->subject == NULL || out->subject[0] == '\0')
		REJECT(errmsg("token has no subject"),
			   errdetail("Tokens must carry a non-empty \"sub\" claim."));
	if (strlen(out->subject) > 256)
		REJECT(errmsg("token subject is too long"));

	tenant_text = member_string(claims, "payload", tracker_tenant_claim, false);
	if (tenant_text == NULL)
		REJECT(errmsg("token has no tenant"),
			   errdetail("Tokens must carry the claim \"%s\" (tracker.tenant_claim).",
						 tracker_tenant_claim));
	if (!canonical_uuid(tenant_text))
		REJECT(errmsg("token tenant is not a valid uuid"),
			   errdetail("The claim \"%s\" must hold a tenant id.", tracker_tenant_claim));
	out->tenant = *DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(tenant_text)));
	if (key->tenant_bound && memcmp(&key->tenant_id, &out->tenant, sizeof(pg_uuid_t)) != 0)
		REJECT(errmsg("key \"%s\" may not sign tokens for this tenant", key->kid),
			   errdetail("The key is bound to another tenant."));

	out->jti = member_string(claims, "payload", "jti", false);
	if (out->jti != NULL && (out->jti[0] == '\0' || strlen(out->jti) > 256))
		REJECT(errmsg("token id \"jti\" must have 1 to 256 characters"));
}

void
jwt_verify(const char *token, int len, VerifiedToken *out)
{
	const char *dot1,
			   *dot2;
	int			dots = 0;
	unsigned char *header_json,
			   *payload_json,
			   *sig;
	int			header_len,
				payload_len,
				sig_len;
	Jsonb	   *header;
	JwsAlg		alg;
	char	   *kid;
	VerifyKey  *key;
	TimestampTz now = GetCurrentTimestamp();

	if (len == 0)
		REJECT(errmsg("token is empty"));
	if (len > tracker_max_token_size)
		REJECT(errmsg("token is too large"),
			   errdetail("The token has %d bytes; the limit is %d (tracker.max_token_size).",
						 len, tracker_max_token_size));
	for (int i = 0; i < len; i++)
		if (token[i] == '.')
			dots++;
	if (dots == 4)
		REJECT(errmsg("encrypted tokens are not accepted"),
			   errdetail("The token has five segments, as JWE tokens do."));
	if (dots != 2)
		REJECT(errmsg("token must have exactly three segments"),
			   errdetail("The token has %d.", dots + 1));
	dot1 = memchr(token, '.', len);
	dot2 = memchr(dot1 + 1, '.', len - (dot1 + 1 - token));
	if (token + len == dot2 + 1)
		REJECT(errmsg("unsigned tokens are not accepted"),
			   errdetail("The token's signature segment is empty."));

	if (!header_seen(token, dot1 - token, &alg, &kid))
	{
		header_json = decode_segment(token, dot1 - token, "header", &header_len);
		header = strict_json_object((char *) header_json, header_len, "token header",
									ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION);
		alg = check_header(header, &kid);
		remember_header(token, dot1 - token, alg, kid);
	}
	key = check_key(kid, alg, now);

	sig = decode_segment(dot2 + 1, token + len - (dot2 + 1), "signature", &sig_len);
	check_signature(key, token, dot2 - token, sig, sig_len);

	payload_json = decode_segment(dot1 + 1, dot2 - (dot1 + 1), "payload", &payload_len);
	out->claims = strict_json_object((char *) payload_json, payload_len, "token payload",
									   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION);
	check_claims(out->claims, key, now, out);
	out->kid = pstrdup(key->kid);
	out->key_retires = key->retires ? key->retired_at : DT_NOEND;
}
