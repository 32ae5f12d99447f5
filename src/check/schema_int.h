/* schema_int.h: the compiled form of a schema, shared by the schema_*.c
 * files and by nothing else.
 *
 * Every schema object becomes one struct snode, compiled once even when
 * many $refs point at it, so recursive schemas are graphs with cycles.
 * Children are reached through edges that carry the keyword path to print
 * in errors ("/properties/price"). All of it lives in the schema's arena. */
#ifndef WR_CHECK_SCHEMA_INT_H
#define WR_CHECK_SCHEMA_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <jansson.h>
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "check/schema.h"
#include "core/arena.h"

/* Instance types as a mask; integer is separate so "type": "integer" can
 * accept 1.0 while "number" covers both. */
enum {
	ST_NULL = 1, ST_BOOLEAN = 2, ST_OBJECT = 4, ST_ARRAY = 8,
	ST_NUMBER = 16, ST_STRING = 32, ST_INTEGER = 64,
	ST_ALL = 127,
};

/* Which keyword groups a node has, so validation skips absent ones with
 * one test. */
enum {
	SK_NUMBER = 1 << 0,   /* minimum, maximum, exclusive*, multipleOf */
	SK_STRING = 1 << 1,   /* minLength, maxLength, pattern, format */
	SK_ARRAY = 1 << 2,    /* items, prefixItems, contains, *Items, uniqueItems */
	SK_OBJECT = 1 << 3,   /* properties and the rest of the object keywords */
	SK_ENUM = 1 << 4,
	SK_CONST = 1 << 5,
	SK_APPLY = 1 << 6,    /* allOf, anyOf, oneOf, not, if */
	SK_REF = 1 << 7,      /* $ref, $dynamicRef */
	SK_TYPE = 1 << 8,
};

enum schema_format {
	SF_NONE = 0, SF_DATE_TIME, SF_DATE, SF_TIME, SF_EMAIL, SF_URI, SF_UUID,
	SF_IPV4, SF_IPV6, SF_HOSTNAME,
};

struct snode;

/* An edge to a child schema; seg is the keyword path from the parent. */
struct sedge {
	const struct snode *n;  /* NULL: absent */
	const char *seg;        /* "/items", "/properties/a~1b", "/$ref" */
};

/* A number bound from the schema, kept both ways so integer instances
 * compare exactly. */
struct snum {
	double d;
	json_int_t i;
	int is_int;
	const char *text;  /* as written, for messages */
};

/* A value of enum or const, pre-typed so most comparisons are one test. */
struct sval {
	int type;          /* json_type, with JSON_REAL folded into JSON_INTEGER when integral */
	const char *s;     /* strings: bytes */
	size_t len;
	double d;          /* numbers */
	json_t *v;         /* objects and arrays: compared deeply */
};

struct sprop {
	const char *name;
	size_t len;
	uint32_t hash;
	int required;      /* also named by "required": counted during the key walk */
	struct sedge e;
};

struct spattern {
	pcre2_code *re;
	int jit;          /* JIT-compiled: pcre2_jit_match may be used */
	const char *src;
	struct sedge e;   /* patternProperties: the schema; pattern: unused */
};

struct sdepreq {
	const char *name;
	size_t len;
	const char **req;
	size_t *req_len;
	int n_req;
};

struct sdepschema {
	const char *name;
	size_t len;
	struct sedge e;
};

/* A schema resource ($id or the root): its dynamic anchors. */
struct sdyn {
	const char *name;
	const struct snode *n;
};
struct sres {
	const char *uri;
	struct sdyn *dyn;
	int n_dyn, cap_dyn;
};

struct snode {
	int always;            /* boolean schemas: 1 true, -1 false; 0 otherwise */
	unsigned kw;           /* SK_* present */
	unsigned types;        /* ST_* allowed; ST_ALL when no "type" */
	const struct sres *res;/* the resource this node belongs to */
	const char *where;     /* static location, "#/$defs/node", for compile errors */

	/* numbers */
	struct snum min, max, xmin, xmax, mult;
	unsigned char has_min, has_max, has_xmin, has_xmax, has_mult;

	/* strings */
	long min_len, max_len;   /* code points; -1 absent */
	struct spattern *pattern;
	int format;              /* SF_*; SF_NONE unless format assertion is on */
	const char *format_name;

	/* arrays */
	long min_items, max_items; /* -1 absent */
	int unique;
	struct sedge *prefix;
	int n_prefix;
	struct sedge items, contains, uneval_items;
	long min_contains, max_contains; /* min defaults to 1, max -1 absent */

	/* objects */
	long min_props, max_props; /* -1 absent */
	struct sprop *props;
	int n_props;
	uint32_t *prop_tab;        /* open addressing, index+1; NULL: linear scan */
	uint32_t prop_mask;
	struct spattern *pats;
	int n_pats;
	struct sedge addl, names, uneval_props;
	const char **required;
	size_t *required_len;
	int n_required;
	struct sdepreq *dep_req;
	int n_dep_req;
	struct sdepschema *dep_schema;
	int n_dep_schema;
	int walk_keys;             /* object keywords that need every key visited */
	int required_by_walk;      /* every required name is in properties: count, not look up */

	/* any type */
	struct sval *enums;
	int n_enums;
	struct sval cnst;
	struct sedge *all_of, *any_of, *one_of;
	int n_all_of, n_any_of, n_one_of;
	struct sedge not_, if_, then_, else_;
	struct sedge ref, dynref;
	const char *dyn_name;      /* $dynamicRef to a $dynamicAnchor: look it up at run time */
};

struct schema {
	struct arena arena;
	const struct snode *root;
	struct snode yes, no;      /* the boolean schemas, shared */
	int dynamic;               /* some $dynamicRef needs the dynamic scope */
	struct schema_params params;
	pcre2_code **codes;        /* every compiled pattern, to free */
	int n_codes, cap_codes;
	json_t *doc;               /* our deep copy of the source: names and values point into it */
};

/* --- schema_uri.c --- */

/* Resolves ref against base (RFC 3986 section 5.2) into the arena. Returns
 * NULL when out of memory. */
char *schema_uri_resolve(struct arena *a, const char *base, const char *ref);
/* Splits off the fragment: *frag points past '#' or is NULL; returns the
 * URI without it, in the arena. */
char *schema_uri_split(struct arena *a, const char *uri, const char **frag);
/* Follows a JSON pointer written in a URI fragment (percent-encoded, ~0 ~1)
 * from root. NULL when it leads nowhere. */
json_t *schema_pointer_get(json_t *root, const char *frag);

/* --- schema_format.c --- */

int schema_format_parse(const char *name);
/* 1 when s (len bytes) is a valid value of format f. */
int schema_format_check(int f, const char *s, size_t len);

/* --- schema_validate.c helpers used by the compiler --- */

/* JSON equality as the spec defines it: 1 == 1.0, key order ignored. */
int schema_json_equal(json_t *a, json_t *b);
uint32_t schema_hash_bytes(const char *s, size_t len);

/* A cheap hash of a property name for the lookup table: length and three
 * bytes, no loop. The table compares names in full, so a weak hash only
 * costs probes. */
static inline uint32_t schema_hash_key(const char *s, size_t len)
{
	uint32_t h = (uint32_t)len * 0x9E3779B1u;

	if (len > 0)
		h ^= ((uint32_t)(unsigned char)s[0] << 16 | (uint32_t)(unsigned char)s[len / 2] << 8 |
		      (unsigned char)s[len - 1]) * 0x85EBCA6Bu;
	return h ^ h >> 15;
}

#endif
