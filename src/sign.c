/*-------------------------------------------------------------------------
 *
 * sign.c
 *	  Minting HS tokens with a registered key, for operators.
 *
 * This is what PostgREST's login-function pattern needs: a SECURITY
 * DEFINER function owned by an operator checks a password and returns a
 * token signed with one of the registry's HMAC keys.
 *
 * libjwt is not used here, although it could sign: it serialises with
 * jansson, whose json_object() is shadowed inside the server process by
 * PostgreSQL's own SQL function of the same name, and the first call
 * crashes the backend.  Signing an HS token is one HMAC over two base64url
 * segments; crypto.c already has the HMAC.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "base64url.h"
#include "caller.h"
#include "keys.h"
#include "sign.h"

/* Lifetime of a signed token whose claims carry no exp */
#define DEFAULT_TOKEN_LIFETIME 3600

static void
append_segment(StringInfo buf, const char *data, int len)
{
	enlargeStringInfo(buf, BASE64URL_ENCODED_LEN(len) + 1);
	buf->len += base64url_encode((const unsigned char *) data, len,
								 buf->data + buf->len);
}

PG_FUNCTION_INFO_V1(tracker_sign_token);

/*
 * tracker.sign_token(claims jsonb, kid text) RETURNS text
 */
Datum
tracker_sign_token(PG_FUNCTION_ARGS)
{
	Jsonb	   *claims;
	char	   *kid;
	VerifyKey  *key;
	long		now = (long) time(NULL);
	StringInfoData header;
	StringInfoData token;
	char	   *times;
	char	   *payload;
	unsigned char mac[EVP_MAX_MD_SIZE];
	int			maclen;

	/* SECURITY DEFINER: the grant alone must not make a caller an operator */
	caller_require_operator("sign tokens");
	claims = PG_GETARG_JSONB_P(0);
	kid = text_to_cstring(PG_GETARG_TEXT_PP(1));
	key = keys_lookup(kid);
	if (key == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("key \"%s\" does not exist", pnstrdup(kid, 64))));
	if (!JWS_IS_HMAC(key->alg))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key \"%s\" cannot sign tokens", key->kid),
				 errdetail("The key is an %s public key; only HS keys hold what signing needs.",
						   jws_alg_name(key->alg))));
	if (key->retires && key->retired_at <= GetCurrentTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("key \"%s\" has been retired", key->kid)));
	if (!JB_ROOT_IS_OBJECT(claims) || JB_ROOT_IS_SCALAR(claims))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("claims must be a JSON object")));

	/* iat is always now; exp defaults to an hour ahead */
	if (getKeyJsonValueFromContainer(&claims->root, "exp", 3, NULL) != NULL)
		times = psprintf("{\"iat\": %ld}", now);
	else
		times = psprintf("{\"iat\": %ld, \"exp\": %ld}", now, now + DEFAULT_TOKEN_LIFETIME);
	claims = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(claims),
												DirectFunctionCall1(jsonb_in, CStringGetDatum(times))));
	payload = JsonbToCString(NULL, &claims->root, VARSIZE(claims));

	initStringInfo(&header);
	appendStringInfo(&header, "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":", jws_alg_name(key->alg));
	escape_json(&header, key->kid);
	appendStringInfoChar(&header, '}');

	initStringInfo(&token);
	append_segment(&token, header.data, header.len);
	appendStringInfoChar(&token, '.');
	append_segment(&token, payload, strlen(payload));

	maclen = crypto_hmac(key->alg, key->material, key->material_len,
						 token.data, token.len, mac);
	if (maclen <= 0)
		elog(ERROR, "could not compute HMAC");
	appendStringInfoChar(&token, '.');
	append_segment(&token, (char *) mac, maclen);
	explicit_bzero(mac, sizeof(mac));

	PG_RETURN_TEXT_P(cstring_to_text_with_len(token.data, token.len));
}
