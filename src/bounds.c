/*-------------------------------------------------------------------------
 *
 * bounds.c
 *	  Bounds on what tenant users write that a plain CHECK cannot state.
 *
 * Most columns carry their bound in the table's own CHECK constraint
 * (length(title) <= 500 and the like).  An array's elements cannot be
 * checked there without a function, and a SQL function in a CHECK costs
 * every insert its planning, so the issues' labels are checked here.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"

#define MAX_LABELS		20
#define MAX_LABEL_CHARS	64

PG_FUNCTION_INFO_V1(tracker_labels_valid);

/*
 * tracker.labels_valid(labels text[]) RETURNS boolean: at most 20 labels,
 * each 1 to 64 characters, none NULL, none with a control character.
 */
Datum
tracker_labels_valid(PG_FUNCTION_ARGS)
{
	ArrayType  *labels = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (ARR_NDIM(labels) > 1)
		PG_RETURN_BOOL(false);
	deconstruct_array(labels, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n > MAX_LABELS)
		PG_RETURN_BOOL(false);
	for (int i = 0; i < n; i++)
	{
		text	   *t;
		const char *s;
		int			len;
		int			chars;

		if (nulls[i])
			PG_RETURN_BOOL(false);
		t = DatumGetTextPP(elems[i]);
		s = VARDATA_ANY(t);
		len = VARSIZE_ANY_EXHDR(t);
		chars = pg_mbstrlen_with_len(s, len);
		if (chars < 1 || chars > MAX_LABEL_CHARS)
			PG_RETURN_BOOL(false);
		for (int j = 0; j < len; j++)
			if ((unsigned char) s[j] < 0x20 || s[j] == 0x7f)
				PG_RETURN_BOOL(false);
	}
	PG_RETURN_BOOL(true);
}
