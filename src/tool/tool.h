/* tool.h: tools a model may request, under a permission envelope.
 *
 * The envelope is the workflow's tools: entry and nothing else: a model's
 * request, a tool's output or a retrieved source can never widen it. Every
 * request passes tool_check (allow/deny, the step's tool list, the per-step
 * call budget, the arguments' JSON Schema, value allow-lists, path globs
 * resolved after symlinks and "..") before tool_run may execute it; a tool
 * with approval: required then also needs a person's recorded decision on
 * that exact call (the engine's, src/engine/tools.c). Built-ins run in-process with the same path rules; command tools run
 * in the OS sandbox (wr_sandbox_run) with the envelope's folders only. */
#ifndef WR_TOOL_TOOL_H
#define WR_TOOL_TOOL_H

#include <jansson.h>
#include <limits.h>
#include <stddef.h>

#include "core/buf.h"
#include "spec/spec.h"
#include "store/store.h"

#define TOOL_OUTPUT_MAX ((size_t)16 << 10)  /* bytes of a result a model sees */
#define TOOL_REASON_MAX 200                 /* bytes of a decision's reason */

/* A function offered to the model: one per step tool, or one per tool an
 * MCP server lists (named SERVER__TOOL). */
struct tool_offer {
	char *name;                  /* as the model sees it; owned */
	int ti;                      /* the flow's tool whose envelope applies */
	char *remote;                /* mcp: the server's name for it; owned */
	char *description;           /* owned, or NULL */
	char *params;                /* JSON Schema of the arguments; owned */
	void *schema;                /* mcp: the server's inputSchema compiled, or NULL */
};

/* One step run's view of the flow's tools. */
struct tool_env {
	const struct spec_flow *flow;
	const struct spec_step *step;
	struct store *st;            /* for search_source; borrowed */
	char root[PATH_MAX];         /* the flow's folder, symlinks resolved */
	void **schemas;              /* per flow tool: compiled arguments schema or NULL */
	int *used;                   /* per flow tool: calls allowed so far in this step */
	struct tool_offer *offers;
	size_t n_offers, cap_offers;
};

/* Compiles the schemas of the step's tools, resolves the flow's folder and
 * asks each MCP server for its tools (tools/list, in the sandbox). WR_EIO
 * when the folder cannot be resolved, WR_ESPEC for a schema that does not
 * compile, WR_EIO when an MCP server cannot be asked, WR_ESANDBOX,
 * WR_ENOMEM. Release with tool_env_release either way. */
int tool_env_init(struct tool_env *env, const struct spec_flow *flow,
                  const struct spec_step *step, struct store *st, struct wr_err *err);
void tool_env_release(struct tool_env *env);

/* Decides one request: name and args (the model's JSON text). Returns 1
 * when allowed (*oi: the offer's index; *args_out: the parsed arguments,
 * the caller's to json_decref; the call is counted against the tool's
 * budget), 0 when denied with the reason in reason (*oi is -1 for a name
 * the step does not offer), or WR_ENOMEM. */
int tool_check(struct tool_env *env, const char *name, const char *args, int *oi,
               json_t **args_out, char *reason, size_t size);

/* Executes an allowed call. out gets the result (at most TOOL_OUTPUT_MAX
 * bytes, *truncated set when more was dropped); a tool that ran and failed
 * sets *failed and puts why in out. Returns 0, or an error when the call
 * could not be attempted (WR_ESANDBOX when the kernel lacks a layer the
 * tool needs, WR_ENOMEM). */
int tool_run(struct tool_env *env, int oi, json_t *args, struct buf *out, int *truncated,
             int *failed, struct wr_err *err);

/* --- MCP servers over stdio (mcp.c) --- */

/* Adds an offer for each tool server ti lists (filtered by its 'only'). */
int tool_mcp_list(struct tool_env *env, int ti, struct wr_err *err);
/* Calls tool remote of server t with args (tools/call) into out. */
int tool_mcp_call(struct tool_env *env, const struct spec_tool *t, const char *remote,
                  json_t *args, struct buf *out, int *truncated, int *failed,
                  struct wr_err *err);
/* Adds an offer (strings copied); WR_ENOMEM. schema is taken. */
int tool_offer_add(struct tool_env *env, const char *name, int ti, const char *remote,
                   const char *description, const char *params, void *schema);
/* Paths of a command's or server's folders, resolved against root,
 * NULL-ended, with extra (when not NULL) added; free with tool_argv_free. */
char **tool_folders(const char *root, const char *const *rel, size_t n, const char *extra);

/* --- paths (envelope.c) --- */

/* Resolves the model's path arg against root (symlinks and ".." resolved;
 * for writing, the parent folder is resolved and the name must be plain)
 * and matches it against globs (relative to root; "dir/" then two stars is
 * everything beneath dir). Returns 1 with the resolved path in out, or 0 with why. */
int tool_path_allowed(const char *root, const char *const *globs, const char *arg,
                      size_t arg_len, int for_write, char *out, size_t size, char *reason,
                      size_t rsize);

/* The command tool's argv with {{args.NAME}} replaced by argument values
 * (each substitution stays inside its one argv element; no shell). Returns 1
 * with *argv_out (NULL-terminated; free() each and the array), 0 with why
 * (a missing argument, a value starting with '-'), or WR_ENOMEM. */
int tool_command_argv(const struct spec_tool *t, json_t *args, char ***argv_out,
                      char *reason, size_t size);
void tool_argv_free(char **argv);

#endif
