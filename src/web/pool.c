/* pool.c: store handles lent to requests. A wr_store is one SQLite
 * connection and may be used by one thread at a time; each request borrows
 * its own, and up to 8 idle ones are kept for the next requests, so a page
 * does not pay for opening the database. */
#include <stdio.h>
#include <string.h>

#include "web/web.h"

int pool_init(struct pool *p, const char *path, const char *sign_key, struct wr_err *err)
{
	struct wr_store *first = NULL;
	int rc;

	memset(p, 0, sizeof(*p));
	snprintf(p->path, sizeof(p->path), "%s", path);
	p->sign_key = sign_key && sign_key[0] ? sign_key : NULL;
	pthread_mutex_init(&p->lock, NULL);
	/* Open one now, so a bad path or key is reported before serving. */
	if ((rc = pool_get(p, &first, err)) < 0)
		return rc;
	pool_put(p, first);
	return 0;
}

void pool_release(struct pool *p)
{
	for (int i = 0; i < p->n_idle; i++)
		wr_store_free(p->idle[i]);
	p->n_idle = 0;
	pthread_mutex_destroy(&p->lock);
}

int pool_get(struct pool *p, struct wr_store **out, struct wr_err *err)
{
	struct wr_store *st = NULL;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->n_idle > 0)
		st = p->idle[--p->n_idle];
	pthread_mutex_unlock(&p->lock);
	if (st) {
		*out = st;
		return 0;
	}
	if ((rc = wr_store_open(p->path, &st, err)) < 0)
		return rc;
	if (p->sign_key && (rc = wr_store_sign_with(st, p->sign_key, err)) < 0) {
		wr_store_free(st);
		return rc;
	}
	*out = st;
	return 0;
}

void pool_put(struct pool *p, struct wr_store *store)
{
	if (!store)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->n_idle < (int)(sizeof(p->idle) / sizeof(*p->idle))) {
		p->idle[p->n_idle++] = store;
		store = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	wr_store_free(store);
}
