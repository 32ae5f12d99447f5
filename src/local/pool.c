/* pool.c: workers wait for a new generation number, run their share, and
 * count down; the last one wakes the caller. Workers spin a little before
 * sleeping, since a forward pass asks for hundreds of runs a token. */
#include "local/pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "warrant.h"

#define SPINS 2000

struct pool {
	int n;
	pthread_t *th;
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned gen;         /* bumped for each run (under mu, read atomically) */
	int pending;          /* workers still running this generation */
	int quit;
	pool_fn fn;
	void *ctx;
};

struct worker_arg { struct pool *p; int ith; };

static void *worker(void *arg)
{
	struct worker_arg *a = arg;
	struct pool *p = a->p;
	int ith = a->ith;
	unsigned seen = 0;
	free(a);
	for (;;) {
		for (int i = 0; i < SPINS &&
		     __atomic_load_n(&p->gen, __ATOMIC_ACQUIRE) == seen &&
		     !__atomic_load_n(&p->quit, __ATOMIC_ACQUIRE); i++)
			sched_yield();
		pthread_mutex_lock(&p->mu);
		while (p->gen == seen && !p->quit)
			pthread_cond_wait(&p->go, &p->mu);
		if (p->quit) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		seen = p->gen;
		pool_fn fn = p->fn;
		void *ctx = p->ctx;
		pthread_mutex_unlock(&p->mu);
		fn(ctx, ith, p->n);
		if (__atomic_sub_fetch(&p->pending, 1, __ATOMIC_ACQ_REL) == 0) {
			pthread_mutex_lock(&p->mu);
			pthread_cond_signal(&p->done);
			pthread_mutex_unlock(&p->mu);
		}
	}
}

int pool_new(int n, struct pool **out)
{
	struct pool *p = calloc(1, sizeof *p);
	if (n < 1)
		n = 1;
	if (!p)
		return WR_ENOMEM;
	p->n = n;
	p->th = calloc((size_t)n, sizeof *p->th);
	if (!p->th) {
		free(p);
		return WR_ENOMEM;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	for (int i = 1; i < n; i++) {
		struct worker_arg *a = malloc(sizeof *a);
		if (!a || (a->p = p, a->ith = i, pthread_create(&p->th[i], NULL, worker, a))) {
			free(a);
			p->n = i;   /* the threads made so far are joined by pool_free */
			pool_free(p);
			return WR_ENOMEM;
		}
	}
	*out = p;
	return 0;
}

void pool_free(struct pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	__atomic_store_n(&p->quit, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (int i = 1; i < p->n; i++)
		pthread_join(p->th[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
	free(p->th);
	free(p);
}

int pool_size(const struct pool *p) { return p->n; }

void pool_run(struct pool *p, pool_fn fn, void *ctx)
{
	if (p->n == 1) {
		fn(ctx, 0, 1);
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->fn = fn;
	p->ctx = ctx;
	p->pending = p->n - 1;
	__atomic_add_fetch(&p->gen, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	fn(ctx, 0, p->n);
	for (int i = 0; i < SPINS && __atomic_load_n(&p->pending, __ATOMIC_ACQUIRE); i++)
		sched_yield();
	pthread_mutex_lock(&p->mu);
	while (__atomic_load_n(&p->pending, __ATOMIC_ACQUIRE))
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}
