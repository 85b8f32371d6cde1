/*-------------------------------------------------------------------------
 *
 * http.c
 *	  Requests that PostgREST makes: its pre-request function.
 *
 * For each HTTP request PostgREST opens a transaction, sets the request's
 * settings transaction-locally (among them request.headers, a JSON object
 * of the request's headers with lower-cased names, and the role: the
 * token's role claim, or the anonymous role without a token), then calls
 * the pre-request function, then runs the request's statement.
 *
 * PostgREST has checked the token's signature with what its configuration
 * gives it, and copied its claims into request.jwt.claims.  Nothing here
 * reads those claims: the raw bearer token is taken from request.headers
 * and verified with tracker's own keys and rules, as tracker.authenticate()
 * verifies any token (revocations, deactivated users, suspended tenants,
 * quotas), and it becomes the transaction's context.
 *
 * What goes wrong is answered the way PostgREST documents for a raised
 * error whose SQLSTATE is PGRST: a JSON message (code, message, details,
 * hint) and a JSON detail with the HTTP status and headers.  That is the
 * only way an error response carries headers: a token that is not good is
 * a 401 with WWW-Authenticate (RFC 6750), a refusal of the quota or the
 * rate limit a 429 with Retry-After.  A request whose schema (PostgREST's
 * profile) is not the token's tenant's data schema is a 403: a tenant's
 * requests are never served from another schema.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/namespace.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "context.h"
#include "usage.h"

/* PostgREST turns a raised PGRST error into the response its JSON describes */
#define ERRCODE_POSTGREST_RAISE MAKE_SQLSTATE('P','G','R','S','T')

/* The longest Authorization header read; tokens are bounded far below it */
#define MAX_AUTHORIZATION 65536

/* Append ,"name":"value" to a JSON object, unless value is NULL */
static void
append_member(StringInfo buf, const char *name, const char *value)
{
	if (value == NULL)
		return;
	appendStringInfoChar(buf, ',');
	escape_json(buf, name);
	appendStringInfoChar(buf, ':');
	escape_json(buf, value);
}

/*
 * Raise the error PostgREST answers with status, headers (pairs of name and
 * value, NULL-terminated) and a body of code, message, detail and hint.
 * The message and hint are also what a psql user of the function would
 * read, inside the JSON.
 */
static void
pg_attribute_noreturn()
respond(int status, const char *const *headers, const char *code,
		const char *message, const char *detail, const char *hint)
{
	StringInfoData body;
	StringInfoData response;

	/* code and message are required; details and hint, strings when there */
	initStringInfo(&body);
	appendStringInfoString(&body, "{\"code\":");
	escape_json(&body, code);
	appendStringInfoString(&body, ",\"message\":");
	escape_json(&body, message);
	append_member(&body, "details", detail);
	append_member(&body, "hint", hint);
	appendStringInfoChar(&body, '}');

	initStringInfo(&response);
	appendStringInfo(&response, "{\"status\":%d,\"headers\":{", status);
	for (int i = 0; headers != NULL && headers[i] != NULL; i += 2)
	{
		if (i > 0)
			appendStringInfoChar(&response, ',');
		escape_json(&response, headers[i]);
		appendStringInfoChar(&response, ':');
		escape_json(&response, headers[i + 1]);
	}
	appendStringInfoString(&response, "}}");

	ereport(ERROR,
			(errcode(ERRCODE_POSTGREST_RAISE),
			 errmsg_internal("%s", body.data),
			 errdetail_internal("%s", response.data)));
	pg_unreachable();
}

/*
 * A 401: the request's token is not good.  The challenge says why
 * (RFC 6750, section 3), with the quotes and backslashes of the reason
 * left out, since they cannot appear in a quoted-string unescaped.
 */
static void
pg_attribute_noreturn()
unauthorized(const char *error, const char *reason, const char *hint)
{
	StringInfoData challenge;
	const char *headers[3];

	initStringInfo(&challenge);
	appendStringInfo(&challenge, "Bearer error=\"%s\", error_description=\"", error);
	for (const char *p = reason; *p; p++)
		if (*p != '"' && *p != '\\' && (unsigned char) *p >= 0x20)
			appendStringInfoChar(&challenge, *p);
	appendStringInfoChar(&challenge, '"');
	headers[0] = "WWW-Authenticate";
	headers[1] = challenge.data;
	headers[2] = NULL;
	respond(401, headers, "28000", reason, NULL, hint);
}

/*
 * The raw bearer token of the request, or NULL when it has none.  A header
 * that is there but is not a bearer token is a 401.
 */
static char *
bearer_token(void)
{
	const char *headers = GetConfigOption("request.headers", true, false);
	Jsonb	   *json;
	JsonbValue *value;
	char	   *authorization;
	char	   *token;

	if (headers == NULL || headers[0] == '\0')
		return NULL;
	json = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(headers)));
	if (!JB_ROOT_IS_OBJECT(json))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("request.headers must be a JSON object")));
	value = getKeyJsonValueFromContainer(&json->root, "authorization",
										 strlen("authorization"), NULL);
	if (value == NULL)
		return NULL;
	if (value->type != jbvString || value->val.string.len > MAX_AUTHORIZATION)
		unauthorized("invalid_request", "the Authorization header is not a bearer token", NULL);
	authorization = pnstrdup(value->val.string.val, value->val.string.len);
	if (pg_strncasecmp(authorization, "bearer ", 7) != 0)
		unauthorized("invalid_request", "the Authorization header is not a bearer token",
					 "Send \"Authorization: Bearer <token>\".");
	token = authorization + 7;
	while (*token == ' ')
		token++;
	for (char *end = token + strlen(token); end > token && end[-1] == ' '; end--)
		end[-1] = '\0';
	if (*token == '\0')
		unauthorized("invalid_request", "the Authorization header has no token", NULL);
	return token;
}

/* The schema the request addresses: the first of PostgREST's search_path */
static char *
requested_schema(void)
{
	List	   *path = fetch_search_path(false);
	char	   *name = NULL;

	if (path != NIL)
		name = get_namespace_name(linitial_oid(path));
	list_free(path);
	return name;
}

/* Verify the token as tracker.authenticate(token, true) does, or answer */
static void
authenticate_request(const char *token)
{
	MemoryContext caller = CurrentMemoryContext;

	PG_TRY();
	{
		context_authenticate(token, true);
	}
	PG_CATCH();
	{
		ErrorData  *error;

		/*
		 * The error is turned into the one PostgREST answers with; the
		 * transaction is aborted by that error, so no subtransaction is
		 * needed to go on after catching this one.
		 */
		MemoryContextSwitchTo(caller);
		error = CopyErrorData();
		if (error->message == NULL)
			error->message = pstrdup("the token was refused");
		if (error->sqlerrcode == ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION)
		{
			FlushErrorState();
			unauthorized("invalid_token", error->message, error->hint);
		}
		if (error->sqlerrcode == ERRCODE_TOO_MANY_REQUESTS)
		{
			char		seconds[32];
			const char *headers[3];

			FlushErrorState();
			snprintf(seconds, sizeof(seconds), "%.0f", ceil(usage_retry_after()));
			headers[0] = "Retry-After";
			headers[1] = seconds;
			headers[2] = NULL;
			respond(429, headers, "PT429", error->message, error->detail, error->hint);
		}
		FreeErrorData(error);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/* Whether two JSON values are the same string, or the same number */
static bool
same_value(JsonbValue *a, JsonbValue *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (a->type != b->type)
		return false;
	if (a->type == jbvString)
		return a->val.string.len == b->val.string.len &&
			memcmp(a->val.string.val, b->val.string.val, a->val.string.len) == 0;
	if (a->type == jbvNumeric)
		return DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(a->val.numeric),
												NumericGetDatum(b->val.numeric)));
	return false;
}

/*
 * Whether the claims PostgREST checked (request.jwt.claims) are those of the
 * token tracker verified.  PostgREST checks the first Authorization header
 * of a request and puts the last one in request.headers: with two, its
 * checks (its keys, jwt-aud) would have passed another token than the one
 * that counts.  A token is told apart by its subject, times and id.
 */
static bool
claims_agree(void)
{
	static const char *const members[] = {"sub", "exp", "iat", "nbf", "jti"};
	const char *text = GetConfigOption("request.jwt.claims", true, false);
	const Jsonb *verified = context_claims();
	Jsonb	   *checked;

	if (text == NULL || text[0] == '\0')
		return true;			/* not PostgREST: nothing was checked before */
	checked = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
	if (verified == NULL || !JB_ROOT_IS_OBJECT(checked))
		return false;
	for (int i = 0; i < lengthof(members); i++)
		if (!same_value(getKeyJsonValueFromContainer(&checked->root, members[i], strlen(members[i]), NULL),
						getKeyJsonValueFromContainer((JsonbContainer *) &verified->root, members[i],
													 strlen(members[i]), NULL)))
			return false;
	return true;
}

PG_FUNCTION_INFO_V1(tracker_http_pre_request);

/*
 * tracker.http_pre_request() RETURNS void: PostgREST's db-pre-request
 */
Datum
tracker_http_pre_request(PG_FUNCTION_ARGS)
{
	char	   *schema = requested_schema();
	char	   *token = bearer_token();
	TenantContext ctx;

	/*
	 * A request runs as exactly tracker_anon or tracker_user: a PostgREST
	 * that could switch to another role (a superuser, a role that bypasses
	 * row-level security) would let a token's role claim choose it.
	 */
	if (token == NULL)
	{
		if (GetUserId() != get_role_oid("tracker_anon", false))
			respond(500, NULL, "42501", "a request without a token must run as tracker_anon", NULL,
					"Set PostgREST's db-anon-role to \"tracker_anon\".");
		PG_RETURN_VOID();		/* anonymous: no context, nothing to see */
	}

	authenticate_request(token);

	/*
	 * PostgREST switched to the role its configuration found in the token;
	 * any other than tracker_user is refused, and a token without one (run
	 * as tracker_anon) could read nothing, so say why now.
	 */
	if (GetUserId() != get_role_oid("tracker_user", false))
		unauthorized("invalid_token",
					 "the token does not name the database role tracker_user",
					 "PostgREST switches to the role in the claim its jwt-role-claim-key names; "
					 "tokens for tracker must carry \"tracker_user\" there.");
	if (!claims_agree())
		unauthorized("invalid_request",
					 "the request carries more than one token",
					 "Send one Authorization header.");

	if (!context_get(&ctx))
		elog(ERROR, "no context after a successful authentication");
	if (schema == NULL || strcmp(schema, ctx.data_schema) != 0)
	{
		const char *headers[] = {NULL};
		char	   *hint = psprintf("This token's tenant is served by profile \"%s\": "
									"send Accept-Profile (reads) or Content-Profile (writes) with that name, "
									"or no profile header if it is the default.",
									ctx.data_schema);

		respond(403, headers, "42501",
				"the requested profile does not serve this token's tenant", NULL, hint);
	}
	PG_RETURN_VOID();
}
