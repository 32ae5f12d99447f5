/* cli.h: shared by the command files. The CLI uses only warrant.h. */
#ifndef WR_CLI_H
#define WR_CLI_H

#include <stdio.h>

#include "warrant.h"

struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

/* Commands: argv[0] is the command's name. Each returns a WR_EXIT_* code. */
int cmd_run(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_approve(int argc, char **argv);
int cmd_reject(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_ledger(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_grammar(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_failures(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_why(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_lock(int argc, char **argv);

/* eval_html.c: the eval report as one self-contained HTML file; 0 or -1. */
int eval_html_write(const char *path, const struct wr_eval_report *r);
int cmd_diff(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_attest(int argc, char **argv);
int cmd_sandbox(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_worker(int argc, char **argv);
int cmd_jobs(int argc, char **argv);

/* --- cli_common.c --- */

/* Prints "warrant: " and a formatted message to stderr; returns code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Maps a library error to an exit code (bad input -> USAGE, else INTERNAL). */
int cli_exit_for(int rc);
/* The store's path, chosen as cli_store_open chooses it; 0 or an exit code
 * (after printing why). */
int cli_store_path(const char *opt, const char *flow_path, char *path, size_t size);
/* Opens the store: --store PATH, else $WARRANT_STORE, else the one beside
 * flow_path (when given), else ./.warrant/warrant.db (which must exist). */
int cli_store_open(const char *opt, const char *flow_path, struct wr_store **out);
/* The same, for commands that write the ledger: when $WARRANT_SIGNING_KEY
 * names a key file, every entry they append is signed with it. */
int cli_store_open_signed(const char *opt, const char *flow_path, struct wr_store **out);
/* Progress lines on stderr, one per step end (unless quiet). */
void cli_on_event(void *ud, const struct wr_event *ev);
/* Prints how a run ended and returns its exit code. */
int cli_report(const struct wr_run_result *res, int quiet);
/* Continues a run and reports how it ended (cmd_run.c); an exit code. */
int cli_resume(struct wr_store *store, const char *run, int quiet, int max_steps,
               const char *prices);
/* Continues a run on behalf of actor, printing nothing (cmd_run.c): what
 * cli_resume and the review desk do after an approval. 0 or a WR_E* code. */
int cli_continue(struct wr_store *store, const char *run, const char *actor,
                 void (*on_event)(void *ud, const struct wr_event *ev), void *ud,
                 int max_steps, const char *prices, struct wr_run_result *res,
                 struct wr_err *err);
/* A person's decision on the approve step step of run_ref (an id, a prefix,
 * or "last"), recorded under actor with note (cmd_decide.c): what approve,
 * reject and the review desk share. id gets the run's full id. Prints
 * nothing; 0 or a WR_E* code. A rejection needs a note (WR_EINVAL). */
int cli_decide(struct wr_store *store, const char *run_ref, const char *step,
               enum wr_decision d, const char *actor, const char *note,
               char id[WR_ID_MAX], struct wr_err *err);
/* Writes s as a JSON string literal. */
void cli_json_str(FILE *f, const char *s);
/* Local time "YYYY-MM-DD HH:MM:SS" of epoch milliseconds. */
void cli_time(int64_t ms, char *out, size_t size);
/* For getopt's '?' or ':': the usage on stderr, then the option (arg) that
 * was unknown or lacked its value; returns WR_EXIT_USAGE. */
int cli_bad_option(const char *usage, const char *arg);
/* True when s is "-h" or "--help". */
int cli_is_help(const char *s);
/* The name of the person at the keyboard, for the ledger. */
const char *cli_user(void);
/* Color for terminals: the escape or "" when stdout/stderr is not a tty. */
const char *cli_color(FILE *f, const char *code);

#endif
