/* SPDX-License-Identifier: GPL-2.0 */
#ifndef BRKWATCH_POOL_H
#define BRKWATCH_POOL_H

#include <linux/llist.h>
#include <linux/atomic.h>
#include <linux/slab.h>

struct bw_pool_cpu {
	struct llist_head free;
	atomic_t nr;
};

/*
 * Objects of one size, allocated ahead for atomic context. A free object
 * holds its struct llist_node in its first bytes.
 */
struct bw_pool {
	struct kmem_cache *cache;
	struct bw_pool_cpu __percpu *cpus;
	size_t size;			/* counted per object, @extra included */
	unsigned int target;		/* objects kept ready per CPU */
	atomic_long_t objects;		/* allocated, in the pool or in use */
};

int bw_pool_init(struct bw_pool *pool, const char *name, size_t size,
		 size_t extra, unsigned int target);
void bw_pool_destroy(struct bw_pool *pool);
void *bw_pool_get(struct bw_pool *pool);
void *bw_pool_get_nowait(struct bw_pool *pool);
void bw_pool_put(struct bw_pool *pool, void *obj);
void bw_pool_free(struct bw_pool *pool, void *obj);
bool bw_pool_low(struct bw_pool *pool);
bool bw_pool_refill(struct bw_pool *pool);
unsigned long bw_memory_used(void);
bool bw_memory_add(size_t size);
void bw_memory_sub(size_t size);

#endif /* BRKWATCH_POOL_H */
