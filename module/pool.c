// SPDX-License-Identifier: GPL-2.0
/*
 * Objects made ready for the probes, which cannot allocate.
 *
 * The probes run with preemption disabled, and on PREEMPT_RT even
 * GFP_ATOMIC allocations take sleeping locks there. So the objects a probe
 * needs are allocated beforehand, in process context, and left on a
 * per-CPU list: the probe takes one from its own CPU's list without a lock
 * (it is the only consumer of that list; refills only add). Where the
 * list is empty and the kernel allows it (not PREEMPT_RT), the probe
 * allocates with GFP_NOWAIT instead. The memory cap is enforced here, at
 * every allocation.
 */
#include <linux/slab.h>
#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include "internal.h"
#include "pool.h"

static atomic_long_t bw_memory = ATOMIC_LONG_INIT(0);

/* Reserve @size bytes under the cap; false when they do not fit. */
bool bw_memory_add(size_t size)
{
	if (atomic_long_add_return(size, &bw_memory) > bw_memory_cap()) {
		atomic_long_sub(size, &bw_memory);
		return false;
	}
	return true;
}

void bw_memory_sub(size_t size)
{
	atomic_long_sub(size, &bw_memory);
}

unsigned long bw_memory_used(void)
{
	return atomic_long_read(&bw_memory);
}

/*
 * Objects of @size bytes, @target of them ready per CPU. Each is counted
 * as its slab object and @extra bytes more: memory that an object in use
 * makes the kernel allocate elsewhere, reserved with it.
 */
int bw_pool_init(struct bw_pool *pool, const char *name, size_t size,
		 size_t extra, unsigned int target)
{
	int cpu;

	pool->cache = kmem_cache_create(name, size, 0, 0, NULL);
	if (!pool->cache)
		return -ENOMEM;
	pool->cpus = alloc_percpu(struct bw_pool_cpu);
	if (!pool->cpus) {
		kmem_cache_destroy(pool->cache);
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu) {
		struct bw_pool_cpu *pc = per_cpu_ptr(pool->cpus, cpu);

		init_llist_head(&pc->free);
		atomic_set(&pc->nr, 0);
	}
	pool->size = kmem_cache_size(pool->cache) + extra;
	pool->target = target;
	atomic_long_set(&pool->objects, 0);
	return 0;
}

void bw_pool_destroy(struct bw_pool *pool)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct bw_pool_cpu *pc = per_cpu_ptr(pool->cpus, cpu);
		struct llist_node *node, *next;

		llist_for_each_safe(node, next, llist_del_all(&pc->free))
			bw_pool_free(pool, node);
	}
	free_percpu(pool->cpus);
	kmem_cache_destroy(pool->cache);
}

static void *bw_pool_alloc(struct bw_pool *pool, gfp_t gfp)
{
	void *obj;

	if (!bw_memory_add(pool->size))
		return NULL;
	obj = kmem_cache_alloc(pool->cache, gfp);
	if (!obj) {
		bw_memory_sub(pool->size);
		return NULL;
	}
	atomic_long_inc(&pool->objects);
	return obj;
}

/*
 * Any context, raw spinlocks held too: an object made ready on this CPU,
 * or NULL. Never allocates.
 */
void *bw_pool_get(struct bw_pool *pool)
{
	struct bw_pool_cpu *pc;
	struct llist_node *node;

	preempt_disable();
	pc = this_cpu_ptr(pool->cpus);
	node = llist_del_first(&pc->free);
	if (node)
		atomic_dec(&pc->nr);
	preempt_enable();
	return node;
}

/*
 * Atomic context, but never under a raw spinlock (the slab's locks are
 * sleeping ones on PREEMPT_RT, and lockdep's PROVE_RAW_LOCK_NESTING says
 * so everywhere): a new object when none was ready. Never on PREEMPT_RT,
 * where even GFP_NOWAIT may sleep.
 */
void *bw_pool_get_nowait(struct bw_pool *pool)
{
	void *obj = bw_pool_get(pool);

	if (!obj && !IS_ENABLED(CONFIG_PREEMPT_RT))
		obj = bw_pool_alloc(pool, GFP_NOWAIT | __GFP_NOWARN);
	return obj;
}

/* Any context: give back an object taken with bw_pool_get(). */
void bw_pool_put(struct bw_pool *pool, void *obj)
{
	struct bw_pool_cpu *pc;

	preempt_disable();
	pc = this_cpu_ptr(pool->cpus);
	llist_add(obj, &pc->free);
	atomic_inc(&pc->nr);
	preempt_enable();
}

/* Process context: back to the slab. */
void bw_pool_free(struct bw_pool *pool, void *obj)
{
	kmem_cache_free(pool->cache, obj);
	atomic_long_dec(&pool->objects);
	bw_memory_sub(pool->size);
}

/* True when this CPU's list is below 3/4 of its target: time to refill. */
bool bw_pool_low(struct bw_pool *pool)
{
	return atomic_read(&raw_cpu_ptr(pool->cpus)->nr) < pool->target / 4 * 3;
}

/*
 * Process context: fill every CPU's list up to its target, as far as the
 * memory cap allows. Returns false when the cap stopped it. Refills may
 * run at the same time: a list may end a few objects over its target.
 */
bool bw_pool_refill(struct bw_pool *pool)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct bw_pool_cpu *pc = per_cpu_ptr(pool->cpus, cpu);

		while (atomic_read(&pc->nr) < pool->target) {
			void *obj = bw_pool_alloc(pool, GFP_KERNEL);

			if (!obj)
				return false;
			llist_add(obj, &pc->free);
			atomic_inc(&pc->nr);
		}
	}
	return true;
}

/* Called from the probe handlers: a probe hit in them would recurse. */
NOKPROBE_SYMBOL(bw_memory_add);
NOKPROBE_SYMBOL(bw_memory_sub);
NOKPROBE_SYMBOL(bw_memory_used);
NOKPROBE_SYMBOL(bw_pool_alloc);
NOKPROBE_SYMBOL(bw_pool_get);
NOKPROBE_SYMBOL(bw_pool_get_nowait);
NOKPROBE_SYMBOL(bw_pool_put);
NOKPROBE_SYMBOL(bw_pool_low);
