/*-------------------------------------------------------------------------
 *
 * strict_json.c
 *	  Strict JSON for token segments: one object, no duplicate members.
 *
 * PostgreSQL's jsonb silently keeps the last of two members with the same
 * name, which lets a forged token show one claim to one reader and another
 * to the next.  The header and payload of a token are therefore first run
 * through the JSON lexer with a semantic action that tracks the member
 * names of every open object (after unescaping, so "s\u0075b" and "sub"
 * collide), refuses nesting and numbers no token needs, and builds the
 * jsonb in the same pass.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/jsonapi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "nodes/pg_list.h"
#include "common/string.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

#include "strict_json.h"

/* Deeper than this, a token segment is not plausibly a token */
#define MAX_NESTING 64

/* Larger decimal exponents than this would overflow jsonb's numeric */
#define MAX_EXPONENT 1000

typedef struct StrictState
{
	JsonLexContext *lex;
	JsonbParseState *parse;		/* the jsonb being built */
	JsonbValue *result;			/* the finished top-level object */
	char	   *duplicate;		/* first duplicate member name, if any */
	const char *what;			/* "token header", "the JWK", for messages */
	int			sqlstate;		/* raised on every failure */
} StrictState;

static void
check_nesting(StrictState *state)
{
	if (state->lex->lex_level >= MAX_NESTING)
		ereport(ERROR,
				(errcode(state->sqlstate),
				 errmsg("%s is nested too deeply", state->what)));
}

static void
strict_object_start(void *arg)
{
	StrictState *state = (StrictState *) arg;

	check_nesting(state);
	(void) pushJsonbValue(&state->parse, WJB_BEGIN_OBJECT, NULL);
}

static void
strict_object_end(void *arg)
{
	StrictState *state = (StrictState *) arg;
	JsonbValue *done = pushJsonbValue(&state->parse, WJB_END_OBJECT, NULL);

	if (state->parse == NULL)
		state->result = done;
}

static void
strict_array_start(void *arg)
{
	StrictState *state = (StrictState *) arg;

	check_nesting(state);
	(void) pushJsonbValue(&state->parse, WJB_BEGIN_ARRAY, NULL);
}

static void
strict_array_end(void *arg)
{
	StrictState *state = (StrictState *) arg;

	(void) pushJsonbValue(&state->parse, WJB_END_ARRAY, NULL);
}

/*
 * A member name, refused when the object being built already has it: the
 * names are compared after unescaping, so "s\u0075b" and "sub" collide.
 */
static void
strict_field_start(void *arg, char *fname, bool isnull)
{
	StrictState *state = (StrictState *) arg;
	JsonbValue *object = &state->parse->contVal;
	JsonbValue	key;
	int			len = strlen(fname);

	for (int i = 0; i < object->val.object.nPairs; i++)
	{
		JsonbValue *other = &object->val.object.pairs[i].key;

		if (other->val.string.len == len &&
			memcmp(other->val.string.val, fname, len) == 0)
		{
			if (state->duplicate == NULL)
				state->duplicate = fname;
			break;
		}
	}
	if (len > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(state->sqlstate),
				 errmsg("%s has a string too long", state->what)));
	key.type = jbvString;
	key.val.string.val = fname;
	key.val.string.len = len;
	(void) pushJsonbValue(&state->parse, WJB_KEY, &key);
}

/*
 * Numbers whose exponent numeric cannot hold are refused here, with a
 * verification error rather than numeric's overflow error.
 */
static void
strict_scalar(void *arg, char *token, JsonTokenType tokentype)
{
	StrictState *state = (StrictState *) arg;
	JsonbValue	v;
	const char *e;

	switch (tokentype)
	{
		case JSON_TOKEN_STRING:
			if (strlen(token) > JENTRY_OFFLENMASK)
				ereport(ERROR,
						(errcode(state->sqlstate),
						 errmsg("%s has a string too long", state->what)));
			v.type = jbvString;
			v.val.string.val = token;
			v.val.string.len = strlen(token);
			break;
		case JSON_TOKEN_NUMBER:
			e = strpbrk(token, "eE");
			if (strlen(token) > MAX_EXPONENT ||
				(e != NULL && (strlen(e + 1) > 5 || labs(strtol(e + 1, NULL, 10)) > MAX_EXPONENT)))
				ereport(ERROR,
						(errcode(state->sqlstate),
						 errmsg("%s has a number out of range", state->what)));
			v.type = jbvNumeric;
			v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
																CStringGetDatum(token),
																ObjectIdGetDatum(InvalidOid),
																Int32GetDatum(-1)));
			break;
		case JSON_TOKEN_TRUE:
		case JSON_TOKEN_FALSE:
			v.type = jbvBool;
			v.val.boolean = (tokentype == JSON_TOKEN_TRUE);
			break;
		default:
			v.type = jbvNull;
			break;
	}
	if (state->parse == NULL)
		ereport(ERROR,
				(errcode(state->sqlstate),
				 errmsg("%s is not a JSON object", state->what)));
	(void) pushJsonbValue(&state->parse,
						  state->parse->contVal.type == jbvArray ? WJB_ELEM : WJB_VALUE,
						  &v);
}

/*
 * One pass of PostgreSQL's JSON parser, whose semantic actions check the
 * rules above and build the jsonb as they go.
 */
Jsonb *
strict_json_object(const char *utf8, int len, const char *what, int sqlstate)
{
	JsonLexContext *lex;
	JsonSemAction sem;
	StrictState state;
	JsonParseErrorType rc;
	char	   *text;

	if (memchr(utf8, '\0', len) != NULL ||
		!pg_verify_mbstr(PG_UTF8, utf8, len, true))
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("%s is not valid UTF-8", what)));
	text = pg_any_to_server(utf8, len, PG_UTF8);

	memset(&state, 0, sizeof(state));
	memset(&sem, 0, sizeof(sem));
	sem.semstate = &state;
	sem.object_start = strict_object_start;
	sem.object_end = strict_object_end;
	sem.array_start = strict_array_start;
	sem.array_end = strict_array_end;
	sem.object_field_start = strict_field_start;
	sem.scalar = strict_scalar;

	lex = makeJsonLexContextCstringLen(text, text == utf8 ? len : strlen(text),
									   GetDatabaseEncoding(), true);
	state.lex = lex;
	state.what = what;
	state.sqlstate = sqlstate;
	rc = pg_parse_json(lex, &sem);

	if (rc != JSON_SUCCESS)
		ereport(ERROR,
				(errcode(state.sqlstate),
				 errmsg("%s is not valid JSON", what)));
	if (state.result == NULL || state.result->type != jbvObject)
		ereport(ERROR,
				(errcode(state.sqlstate),
				 errmsg("%s is not a JSON object", what)));
	if (state.duplicate != NULL)
	{
		/* show at most 64 printable ASCII characters of the name */
		char	   *name = pnstrdup(state.duplicate, 64);

		pg_clean_ascii(name);
		ereport(ERROR,
				(errcode(state.sqlstate),
				 errmsg("%s has a duplicate member", what),
				 errdetail("The member \"%s\" appears more than once.",
						   name)));
	}
	return JsonbValueToJsonb(state.result);
}

JsonbValue *
jsonb_member(Jsonb *obj, const char *name, JsonbValue *buf)
{
	return getKeyJsonValueFromContainer(&obj->root, name, strlen(name), buf);
}
