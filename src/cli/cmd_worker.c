/* cmd_worker.c: warrant worker: claims queued jobs and runs them, under a
 * lease kept alive by a heartbeat thread on a connection of its own. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

static const char usage[] =
	"usage: warrant worker [options]\n"
	"\n"
	"Claims jobs queued by `warrant submit` and runs them, one at a time, until\n"
	"stopped. Any number of workers may share a store: on PostgreSQL, from any\n"
	"machine that can reach it (FOR UPDATE SKIP LOCKED: no job is claimed\n"
	"twice). A claim is a lease the worker renews every third of its length;\n"
	"when a worker dies, its lease lapses and another worker resumes the job's\n"
	"run from its last committed step: no step and no effect happens twice.\n"
	"SIGTERM or SIGINT: the job in hand is finished, then the worker exits 0.\n"
	"\n"
	"options:\n"
	"      --store PATH     the store: a SQLite file or a postgres:// URL\n"
	"                       (default: $WARRANT_STORE or ./.warrant/warrant.db)\n"
	"      --name NAME      this worker's name in the job table (default HOST:PID)\n"
	"      --lease SECONDS  how long a claim holds without a heartbeat (default 30)\n"
	"      --poll MS        wait between looks at an empty queue (default 200)\n"
	"      --drain          exit 0 when no job is left to claim\n"
	"      --max-jobs N     exit 0 after N jobs\n"
	"  -q, --quiet          print nothing for each job\n"
	"  -h, --help           this help\n";

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

struct beat {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop, lost;
	struct wr_store *store;     /* the thread's own connection */
	const struct wr_job *job;
	const char *worker;
	int64_t lease_ms;
};

static void *beat_main(void *arg)
{
	struct beat *b = arg;
	struct wr_err err;
	struct timespec at;

	pthread_mutex_lock(&b->lock);
	while (!b->stop) {
		clock_gettime(CLOCK_REALTIME, &at);
		at.tv_sec += b->lease_ms / 3000;
		at.tv_nsec += (long)(b->lease_ms / 3 % 1000) * 1000000L;
		if (at.tv_nsec >= 1000000000L) {
			at.tv_sec++;
			at.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&b->wake, &b->lock, &at) == ETIMEDOUT && !b->stop &&
		    wr_job_heartbeat(b->store, b->job, b->worker, b->lease_ms, &err) == WR_ESTATE)
			b->lost = 1;
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

static int beat_start(struct beat *b)
{
	b->stop = b->lost = 0;
	return pthread_create(&b->thread, NULL, beat_main, b);
}

static void beat_stop(struct beat *b)
{
	pthread_mutex_lock(&b->lock);
	b->stop = 1;
	pthread_cond_signal(&b->wake);
	pthread_mutex_unlock(&b->lock);
	pthread_join(b->thread, NULL);
}

struct worker_opts {
	const char *store, *name;
	long lease_s, poll_ms, max_jobs;
	int drain, quiet;
};

static int parse(int argc, char **argv, struct worker_opts *o)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "lease", required_argument, NULL, 'l' },
		{ "poll", required_argument, NULL, 'p' },
		{ "drain", no_argument, NULL, 'd' },
		{ "max-jobs", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long *num;
	char *end;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->store = optarg; break;
		case 'n': o->name = optarg; break;
		case 'd': o->drain = 1; break;
		case 'q': o->quiet = 1; break;
		case 'h': fputs(usage, stdout); return -1;
		case 'l': case 'p': case 'm':
			num = c == 'l' ? &o->lease_s : c == 'p' ? &o->poll_ms : &o->max_jobs;
			*num = strtol(optarg, &end, 10);
			if (*end || end == optarg || *num < 1 || *num > 86400000)
				return cli_fail(WR_EXIT_USAGE, "%s takes a whole number from 1, not '%s'",
				                argv[optind - 1], optarg);
			break;
		default:
			return cli_bad_option(usage, argv[optind - 1]);
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return cli_fail(WR_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
	}
	return 0;
}

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);  /* a signal cuts it short: the loop looks at stopping */
}

/* Runs one claimed job and records its end. 0, or an exit code to stop with. */
static int work(struct wr_store *store, struct beat *b, const struct wr_job *job,
                const struct worker_opts *o)
{
	struct wr_run_params p = wr_run_default_params();
	struct wr_run_result res;
	struct wr_err err, ferr;
	int rc, failed;

	p.actor = o->name;
	b->job = job;
	if (beat_start(b) != 0)
		return cli_fail(WR_EXIT_INTERNAL, "cannot start the heartbeat thread");
	rc = wr_job_run(store, job, &p, &res, &err);
	beat_stop(b);
	if (b->lost)
		fprintf(stderr, "warrant worker: job %lld: a heartbeat found the lease taken by "
		        "another worker (this one stalled past --lease)\n", (long long)job->id);
	/* A store error leaves the job to be taken again when its lease lapses. */
	if (rc == WR_ESTORE || rc == WR_EIO)
		return cli_fail(WR_EXIT_INTERNAL, "job %lld: %s", (long long)job->id, err.msg);
	failed = rc < 0;
	if (wr_job_finish(store, job, o->name, failed,
	                  failed ? "" : wr_run_status_name(res.status),
	                  failed ? err.msg : res.message, &ferr) < 0) {
		fprintf(stderr, "warrant worker: %s\n", ferr.msg);
		return ferr.code == WR_ESTATE ? 0 : WR_EXIT_INTERNAL;
	}
	if (!o->quiet)
		printf("job %lld run %s: %s\n", (long long)job->id, job->run_id,
		       failed ? err.msg : wr_run_status_name(res.status));
	fflush(stdout);
	return 0;
}

int cmd_worker(int argc, char **argv)
{
	struct worker_opts o = { .lease_s = 30, .poll_ms = 200 };
	struct wr_store *store = NULL;
	struct beat b = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };
	struct sigaction sa;
	struct wr_job job;
	struct wr_err err;
	char path[4096], name[300], host[256] = "";
	long done = 0;
	int rc;

	if ((rc = parse(argc, argv, &o)))
		return rc < 0 ? 0 : rc;
	if (!o.name) {
		gethostname(host, sizeof(host) - 1);
		snprintf(name, sizeof(name), "%s:%d", host[0] ? host : "worker", (int)getpid());
		o.name = name;
	}
	if ((rc = cli_store_path(o.store, NULL, path, sizeof(path))))
		return rc;
	if ((rc = cli_store_open_signed(path, NULL, &store)))
		return rc;
	if (wr_store_open(path, &b.store, &err) < 0) {
		wr_store_free(store);
		return cli_fail(WR_EXIT_INTERNAL, "%s", err.msg);
	}
	b.worker = o.name;
	b.lease_ms = o.lease_s * 1000;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;  /* the job in hand goes on; the loop ends after it */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stopping && (!o.max_jobs || done < o.max_jobs)) {
		rc = wr_job_claim(store, o.name, b.lease_ms, &job, &err);
		if (rc == WR_ENOTFOUND) {
			rc = 0;
			if (o.drain)
				break;
			nap(o.poll_ms);
			continue;
		}
		if (rc < 0) {
			rc = cli_fail(WR_EXIT_INTERNAL, "%s", err.msg);
			break;
		}
		if ((rc = work(store, &b, &job, &o)))
			break;
		done++;
	}
	if (!o.quiet)
		fprintf(stderr, "warrant worker %s: %ld job%s%s\n", o.name, done, done == 1 ? "" : "s",
		        stopping ? ", stopped by a signal" : "");
	wr_store_free(b.store);
	wr_store_free(store);
	return rc;
}
