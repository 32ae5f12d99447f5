/* tools.c: the tools: section (name -> definition with its permission
 * envelope) and the tools: list of generate steps.
 *
 * The envelope is judged here as far as it can be without a run: a kind the
 * loader knows, the paths the kind needs, an effect that matches the kind,
 * an arguments schema that compiles. Whether a given call fits the envelope
 * is decided at run time, in src/tool/envelope.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/schema.h"
#include "core/err.h"
#include "spec/spec_int.h"

static const char *const tool_kind_names[] = { "read_file", "list_dir", "search_source",
                                               "write_file", "command", "mcp", NULL };
static const char *const effect_names[] = { "read", "write", "network", "external", NULL };
static const char *const tool_keys[] = {
	"kind", "description", "allow", "read", "write", "schema", "values", "effect",
	"max_calls", "approval", "argv", "timeout", "allow_weaker", "filter", "mcp", "only",
	"memory_mb", NULL
};

const char *spec_tool_kind_name(enum spec_tool_kind k)
{
	return (unsigned)k < TOOL_KIND_COUNT_ ? tool_kind_names[k] : "?";
}

const char *spec_effect_name(enum spec_effect e)
{
	return (unsigned)e < EFFECT_COUNT_ ? effect_names[e] : "?";
}

int spec_tool_find(const struct spec_flow *flow, const char *name)
{
	for (size_t i = 0; flow && name && i < flow->n_tools; i++)
		if (!strcmp(flow->tools[i].name, name))
			return (int)i;
	return -1;
}

static int name_of(const char *const *names, const char *s)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

/* A name from names (kind, effect), with a suggestion for typos. */
static int enum_value(struct ld *ld, const struct ld_kv *kv, const char *const *names,
                      const char *what)
{
	const char *s, *sug;
	int k;

	if (ld_get_str(ld, kv, 1, &s) < 0)
		return -1;
	if ((k = name_of(names, s)) >= 0)
		return k;
	if ((sug = spec_suggest(s, names, ld_count(names))) != NULL)
		ld_problem(ld, kv->vpos, "unknown %s '%.80s' (did you mean '%s'?)", what, s, sug);
	else
		ld_problem(ld, kv->vpos, "unknown %s '%.80s'", what, s);
	return -1;
}

/* A mapping value as compact JSON text in the arena. */
static const char *json_text(struct ld *ld, const struct ld_kv *kv)
{
	json_t *j = ld_node_json(ld, kv->v);
	char *txt = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17))
	              : NULL;
	const char *out = txt ? arena_strdup(ld->a, txt) : NULL;

	json_decref(j);
	free(txt);
	if (!out)
		ld->oom = 1;
	return out;
}

static void tool_schema(struct ld *ld, const struct ld_kv *kv, struct spec_tool *t)
{
	struct schema_params p = schema_default_params();
	struct schema *s = NULL;
	struct wr_err e = { 0, "" };
	json_t *j;

	if (!kv->v || !fy_node_is_mapping(kv->v)) {
		ld_problem(ld, kv->vpos, "'schema' must be an inline JSON Schema (a mapping) for "
		           "the tool's arguments");
		return;
	}
	if (!(t->schema_json = json_text(ld, kv)))
		return;
	if (!(j = json_loads(t->schema_json, 0, NULL))) {
		ld->oom = 1;
		return;
	}
	if (schema_compile(j, &p, &s, &e) < 0)
		ld_problem(ld, kv->vpos, "tool '%s': schema: %s", t->name, e.msg);
	schema_free(s);
	json_decref(j);
}

/* values: {arg: [allowed, ...]}: every value a list of scalars. */
static void tool_values(struct ld *ld, const struct ld_kv *kv, struct spec_tool *t)
{
	const char *key;
	json_t *j, *v;

	if (!kv->v || !fy_node_is_mapping(kv->v) || !(t->values_json = json_text(ld, kv))) {
		if (!ld->oom)
			ld_problem(ld, kv->vpos, "'values' must map argument names to lists of "
			           "allowed values");
		return;
	}
	if (!(j = json_loads(t->values_json, 0, NULL))) {
		ld->oom = 1;
		return;
	}
	json_object_foreach(j, key, v) {
		if (!json_is_array(v) || !json_array_size(v)) {
			ld_problem(ld, kv->vpos, "tool '%s': values: '%.80s' needs a non-empty list of "
			           "allowed values", t->name, key);
			break;
		}
	}
	json_decref(j);
}

static int has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static void walk_tool(struct ld *ld, const struct ld_kv *top, struct spec_tool *t)
{
	struct ld_kv kv;
	void *it = NULL;
	int kind = -1, effect = -1, b;
	long long n;
	const char *s;
	char where[120];

	t->name = top->key;
	t->pos = top->kpos;
	t->allow = 1;
	if (!ld_id_ok(t->name, 1))
		ld_problem(ld, top->kpos, "tool name '%.80s' must match [A-Za-z_][A-Za-z0-9_-]*",
		           t->name);
	if (!top->v || !fy_node_is_mapping(top->v)) {
		ld_problem(ld, top->vpos, "tool '%s' must be a mapping with 'kind'", t->name);
		return;
	}
	snprintf(where, sizeof(where), " in tool '%s'", t->name);
	while (ld_next_pair(ld, top->v, &it, &kv)) {
		switch (name_of(tool_keys, kv.key)) {
		case 0:
			kind = enum_value(ld, &kv, tool_kind_names, "tool kind");
			if (kind >= 0)
				t->kind = (enum spec_tool_kind)kind;
			else
				kind = -2;
			break;
		case 1: ld_get_str(ld, &kv, 0, &t->description); break;
		case 2: if (ld_get_bool(ld, &kv, &b) == 0) t->allow = b; break;
		case 3: t->read = ld_str_list(ld, &kv, &t->n_read); break;
		case 4: t->write = ld_str_list(ld, &kv, &t->n_write); break;
		case 5: tool_schema(ld, &kv, t); break;
		case 6: tool_values(ld, &kv, t); break;
		case 7:
			effect = enum_value(ld, &kv, effect_names, "effect");
			if (effect >= 0)
				t->effect = (enum spec_effect)effect;
			else
				effect = -2;
			break;
		case 8:
			if (ld_get_int(ld, &kv, 1, "a whole number of calls", &n) == 0)
				t->max_calls = n > 1000000 ? 1000000 : (int)n;
			break;
		case 9:
			if (ld_get_str(ld, &kv, 1, &s) < 0)
				break;
			if (!strcmp(s, "required"))
				t->approval = 1;
			else if (strcmp(s, "none"))
				ld_problem(ld, kv.vpos, "'approval' must be 'required' or 'none'");
			break;
		case 10: t->argv = ld_str_list(ld, &kv, &t->n_argv); break;
		case 11: ld_get_num(ld, &kv, 0.001, 3600, "seconds (at most 3600)", &t->timeout); break;
		case 12: if (ld_get_bool(ld, &kv, &b) == 0) t->allow_weaker = b; break;
		case 13: ld_get_str(ld, &kv, 1, &t->filter); break;
		case 14:
			if ((t->argv = ld_str_list(ld, &kv, &t->n_argv)) != NULL) {
				t->kind = TOOL_MCP;
				if (kind >= 0 && kind != TOOL_MCP)
					ld_problem(ld, kv.kpos, "tool '%s': 'mcp' makes it an MCP server; "
					           "drop 'kind: %s'", t->name, tool_kind_names[kind]);
				kind = TOOL_MCP;
			}
			break;
		case 15: t->only = ld_str_list(ld, &kv, &t->n_only); break;
		case 16:
			if (ld_get_int(ld, &kv, 16, "a number of MiB (16 to 65536)", &n) == 0)
				t->memory_mb = n > 65536 ? 65536 : (int)n;
			break;
		default: ld_unknown_key(ld, &kv, where, tool_keys); break;
		}
	}
	if (kind == -1) {
		ld_problem_missing(ld, top->v, top->kpos, "tool '%s': missing 'kind' (read_file, "
		                   "list_dir, search_source, write_file or command) or 'mcp'",
		                   t->name);
		return;
	}
	if (kind < 0)
		return;
	if (effect == -1)
		t->effect = t->kind == TOOL_WRITE_FILE ? EFFECT_WRITE
		            : t->kind == TOOL_COMMAND || t->kind == TOOL_MCP ? EFFECT_EXTERNAL
		            : EFFECT_READ;
	if (t->kind == TOOL_MCP) {
		if (!t->n_argv)
			ld_problem(ld, top->kpos, "tool '%s': an MCP server needs 'mcp: [program, "
			           "args...]'", t->name);
		for (size_t i = 0; i < t->n_read + t->n_write; i++) {
			const char *p = i < t->n_read ? t->read[i] : t->write[i - t->n_read];

			if (has_glob(p))
				ld_problem(ld, top->kpos, "tool '%s': an MCP server's 'read' and 'write' "
				           "entries are folders, not globs ('%.80s')", t->name, p);
		}
		return;
	}
	if (t->n_only)
		ld_problem(ld, top->kpos, "tool '%s': 'only' is for MCP servers", t->name);
	if ((t->kind == TOOL_READ_FILE || t->kind == TOOL_LIST_DIR) && !t->n_read)
		ld_problem(ld, top->kpos, "tool '%s': %s needs 'read' (the paths it may read)",
		           t->name, tool_kind_names[t->kind]);
	if (t->kind == TOOL_WRITE_FILE && !t->n_write)
		ld_problem(ld, top->kpos, "tool '%s': write_file needs 'write' (the paths it may "
		           "write)", t->name);
	if (t->kind != TOOL_COMMAND && t->kind != TOOL_WRITE_FILE && t->n_write)
		ld_problem(ld, top->kpos, "tool '%s': %s cannot have 'write' paths", t->name,
		           tool_kind_names[t->kind]);
	if (t->kind == TOOL_WRITE_FILE && effect >= 0 && t->effect != EFFECT_WRITE)
		ld_problem(ld, top->kpos, "tool '%s': write_file has effect 'write', not '%s'",
		           t->name, effect_names[t->effect]);
	if (t->kind != TOOL_COMMAND && t->kind != TOOL_WRITE_FILE && effect >= 0 &&
	    t->effect != EFFECT_READ)
		ld_problem(ld, top->kpos, "tool '%s': %s has effect 'read', not '%s'", t->name,
		           tool_kind_names[t->kind], effect_names[t->effect]);
	if (t->kind == TOOL_COMMAND && !t->n_argv)
		ld_problem(ld, top->kpos, "tool '%s': command needs 'argv' (the program and its "
		           "argument template)", t->name);
	if (t->kind != TOOL_COMMAND && (t->n_argv || t->timeout > 0 || t->allow_weaker ||
	                                t->memory_mb))
		ld_problem(ld, top->kpos, "tool '%s': 'argv', 'timeout', 'memory_mb' and "
		           "'allow_weaker' are only for command and MCP tools", t->name);
	if (t->kind == TOOL_COMMAND) {
		for (size_t i = 0; i < t->n_read; i++)
			if (has_glob(t->read[i]))
				ld_problem(ld, top->kpos, "tool '%s': a command's 'read' entries are "
				           "folders, not globs ('%.80s')", t->name, t->read[i]);
		for (size_t i = 0; i < t->n_write; i++)
			if (has_glob(t->write[i]))
				ld_problem(ld, top->kpos, "tool '%s': a command's 'write' entries are "
				           "folders, not globs ('%.80s')", t->name, t->write[i]);
	}
}

void ld_walk_tools(struct ld *ld, const struct ld_kv *top)
{
	struct spec_flow *f = ld->flow;
	struct ld_kv kv;
	void *it = NULL;
	size_t n;

	if (ld_is_alias(top->v))
		return;
	if (!top->v || !fy_node_is_mapping(top->v)) {
		ld_problem(ld, top->vpos, "'tools' must map tool names to definitions");
		return;
	}
	n = (size_t)fy_node_mapping_item_count(top->v);
	if (!(f->tools = arena_alloc(ld->a, (n + 1) * sizeof(*f->tools)))) {
		ld->oom = 1;
		return;
	}
	memset(f->tools, 0, (n + 1) * sizeof(*f->tools));
	while (ld_next_pair(ld, top->v, &it, &kv) && f->n_tools < n) {
		if (spec_tool_find(f, kv.key) >= 0) {
			ld_problem(ld, kv.kpos, "tool '%.80s' is defined twice", kv.key);
			continue;
		}
		walk_tool(ld, &kv, &f->tools[f->n_tools++]);
	}
}

/* Each generate step's tools: names resolve to tools: entries. */
void ld_resolve_tools(struct ld *ld)
{
	struct spec_flow *f = ld->flow;
	const char **names = NULL;

	if (f->n_tools && !(names = arena_alloc(ld->a, (f->n_tools + 1) * sizeof(*names)))) {
		ld->oom = 1;
		return;
	}
	for (size_t i = 0; i < f->n_tools; i++)
		names[i] = f->tools[i].name;
	for (size_t i = 0; i < f->n_steps; i++) {
		struct spec_step *st = &f->steps[i];
		const char **want = ld->xs[i].tool_names;
		const char *sug;
		int j;

		if (st->kind == STEP_GENERATE && !st->max_tool_rounds)
			st->max_tool_rounds = 8;
		if (!want) {
			st->n_tools = 0;
			continue;
		}
		if (st->output_schema || st->revise || st->best_of)
			ld_problem(ld, ld->xs[i].tools_pos, "step '%s': 'tools' cannot be combined "
			           "with output_schema, revise or best_of", st->id ? st->id : "?");
		if (!(st->tools = arena_alloc(ld->a, st->n_tools * sizeof(*st->tools)))) {
			ld->oom = 1;
			return;
		}
		for (size_t k = 0; k < st->n_tools; k++) {
			if ((j = spec_tool_find(f, want[k])) >= 0) {
				st->tools[k] = j;
				continue;
			}
			st->tools[k] = -1;
			sug = f->n_tools ? spec_suggest(want[k], names, f->n_tools) : NULL;
			if (sug)
				ld_problem(ld, ld->xs[i].tools_pos, "step '%s': unknown tool '%.80s' (did "
				           "you mean '%s'?)", st->id ? st->id : "?", want[k], sug);
			else
				ld_problem(ld, ld->xs[i].tools_pos, "step '%s': unknown tool '%.80s' "
				           "(define it under 'tools:')", st->id ? st->id : "?", want[k]);
		}
	}
}
