/* pool.h: a fixed set of threads that run one function split n ways.
 *
 *     pool_run(p, fn, ctx);   // fn(ctx, i, n) for i in 0..n, on n threads
 *
 * The caller's thread is thread 0; pool_run returns when all are done. One
 * pool_run at a time per pool. */
#ifndef WR_LOCAL_POOL_H
#define WR_LOCAL_POOL_H

struct pool;

typedef void (*pool_fn)(void *ctx, int ith, int nth);

/* n threads in all (the caller counts as one; n >= 1). Returns 0 and *out,
 * or WR_ENOMEM / WR_EINVAL when threads cannot be made. */
int pool_new(int n, struct pool **out);
void pool_free(struct pool *p);
int pool_size(const struct pool *p);
void pool_run(struct pool *p, pool_fn fn, void *ctx);

#endif
