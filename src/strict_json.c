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
 * collide), refuses nesting and numbers no token needs, and only then
 * converts to jsonb.
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

typedef struct DupCheckState
{
	JsonLexContext *lex;
	List	   *open_objects;	/* one List of member names per open object */
	bool		top_is_object;
	char	   *duplicate;		/* first duplicate member name, if any */
	const char *what;			/* "token header", "the JWK", for messages */
	int			sqlstate;		/* raised on every failure */
} DupCheckState;

static void
check_nesting(DupCheckState *state)
{
	if (state->lex->lex_level >= MAX_NESTING)
		ereport(ERROR,
				(errcode(state->sqlstate),
				 errmsg("%s is nested too deeply", state->what)));
}

static void
dup_object_start(void *arg)
{
	DupCheckState *state = (DupCheckState *) arg;

	check_nesting(state);
	if (state->lex->lex_level == 0)
		state->top_is_object = true;
	state->open_objects = lcons(NIL, state->open_objects);
}

static void
dup_array_start(void *arg)
{
	check_nesting((DupCheckState *) arg);
}

/*
 * Numbers whose exponent numeric cannot hold would fail later in jsonb_in
 * with an overflow error instead of a verification error.
 */
static void
dup_scalar(void *arg, char *token, JsonTokenType tokentype)
{
	DupCheckState *state = (DupCheckState *) arg;
	const char *e;

	if (tokentype != JSON_TOKEN_NUMBER)
		return;
	e = strpbrk(token, "eE");
	if (strlen(token) > MAX_EXPONENT ||
		(e != NULL && (strlen(e + 1) > 5 || labs(strtol(e + 1, NULL, 10)) > MAX_EXPONENT)))
		ereport(ERROR,
				(errcode(state->sqlstate),
				 errmsg("%s has a number out of range", state->what)));
}

static void
dup_object_end(void *arg)
{
	DupCheckState *state = (DupCheckState *) arg;

	state->open_objects = list_delete_first(state->open_objects);
}

static void
dup_field_start(void *arg, char *fname, bool isnull)
{
	DupCheckState *state = (DupCheckState *) arg;
	ListCell   *head = list_head(state->open_objects);
	List	   *names = (List *) lfirst(head);
	ListCell   *lc;

	foreach(lc, names)
	{
		if (strcmp((char *) lfirst(lc), fname) == 0)
		{
			if (state->duplicate == NULL)
				state->duplicate = fname;
			return;
		}
	}
	lfirst(head) = lappend(names, fname);
}

Jsonb *
strict_json_object(const char *utf8, int len, const char *what, int sqlstate)
{
	JsonLexContext *lex;
	JsonSemAction sem;
	DupCheckState state;
	JsonParseErrorType rc;
	char	   *text;

	if (memchr(utf8, '\0', len) != NULL ||
		!pg_verify_mbstr(PG_UTF8, utf8, len, true))
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("%s is not valid UTF-8", what)));

	memset(&state, 0, sizeof(state));
	memset(&sem, 0, sizeof(sem));
	sem.semstate = &state;
	sem.object_start = dup_object_start;
	sem.object_end = dup_object_end;
	sem.object_field_start = dup_field_start;
	sem.array_start = dup_array_start;
	sem.scalar = dup_scalar;

	lex = makeJsonLexContextCstringLen((char *) utf8, len, PG_UTF8, true);
	state.lex = lex;
	state.what = what;
	state.sqlstate = sqlstate;
	rc = pg_parse_json(lex, &sem);

	if (rc != JSON_SUCCESS)
		ereport(ERROR,
				(errcode(state.sqlstate),
				 errmsg("%s is not valid JSON", what)));
	if (!state.top_is_object)
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

	text = pg_any_to_server(utf8, len, PG_UTF8);
	if (text == utf8)
		text = pnstrdup(utf8, len);
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
}

JsonbValue *
jsonb_member(Jsonb *obj, const char *name, JsonbValue *buf)
{
	return getKeyJsonValueFromContainer(&obj->root, name, strlen(name), buf);
}
