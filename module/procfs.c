// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/brkwatch: a file per process history, status and control.
 *
 * Their format, and who may read or write each, is specified in
 * module/ABI/procfs-brkwatch; its vocabulary (format version, columns,
 * verdict and next_kind names) is in brkwatch.h, shared with the reader.
 * What these files print changes only together with that document, and
 * with the format version when a line changes meaning.
 *
 * Who may read a history is decided as for /proc/PID/maps (access.c): a
 * history shows where a heap is.
 */
#include <linux/capability.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>
#include "compat.h"
#include "internal.h"
#include "pool.h"

/*
 * Anyone may open control; writing is refused with EPERM without
 * CAP_SYS_ADMIN (bw_control_write()), rather than EACCES for everyone but
 * root: the capability is the rule, not the file's owner.
 */
#define BW_CONTROL_MODE	0666

static struct proc_dir_entry *bw_dir;

static const char *const bw_next_kinds[] = BRKWATCH_NEXT_KIND_NAMES;
static_assert(ARRAY_SIZE(bw_next_kinds) == BRKWATCH_NR_NEXT_KINDS);

struct bw_iter {
	struct bw_history *proc;
	/*
	 * Execs up to this time the reader was asked about (access.c): at
	 * open, then at each exec marker it was let past.
	 */
	u64 checked_ns;
	struct bw_history_head head0;	/* the header as it was at open */
	struct bw_cursor cur;
	struct brkwatch_record rec;
	struct bw_stack_slot *stack;	/* bw_stack_slot_size() bytes */
};

/* A comm is chosen by the program: keep it one word of printable bytes. */
static void bw_show_comm(struct seq_file *m, const char *comm, size_t len)
{
	size_t i;

	for (i = 0; i < len && comm[i]; i++) {
		unsigned char c = comm[i];

		if (c <= ' ' || c == '\\' || c >= 0x7f)
			seq_printf(m, "\\%03o", c);
		else
			seq_putc(m, c);
	}
}

/*
 * The numbers a reader knows processes and threads by are those of its PID
 * namespace (bw_reader_ns()); a history keeps those of the initial one,
 * and the process itself. A thread or parent that is gone, or outside the
 * reader's namespace, has no number there: 0, as getppid() gives a
 * namespace's first process.
 */
static pid_t bw_reader_nr(struct pid_namespace *ns, pid_t nr, enum pid_type type,
			  struct pid *tgid)
{
	struct task_struct *task;
	struct pid *pid;
	pid_t vnr = 0;

	if (ns == &init_pid_ns)
		return nr;
	rcu_read_lock();
	pid = find_pid_ns(nr, &init_pid_ns);
	task = pid ? pid_task(pid, type) : NULL;
	/* still a thread of the process, not a reused number */
	if (task && (!tgid || task_tgid(task) == tgid))
		vnr = pid_nr_ns(pid, ns);
	rcu_read_unlock();
	return vnr;
}

/* A thread of @it's process, as the reader knows it. */
static pid_t bw_reader_tid(struct seq_file *m, struct bw_iter *it, pid_t tid)
{
	struct pid_namespace *ns = bw_reader_ns(m->file);

	if (tid == it->proc->pid)
		return pid_nr_ns(it->proc->tgid, ns);
	return bw_reader_nr(ns, tid, PIDTYPE_PID, it->proc->tgid);
}

/*
 * The header shows the current program's heap: to a reader not asked
 * about an exec since it opened the file, only if it may read the program
 * now running; else the header as it was at open.
 */
static void bw_show_head(struct seq_file *m, struct bw_iter *it)
{
	struct bw_history_head h;

	bw_history_snapshot(it->proc, &h);
	if (max(h.last_exec_ns, h.lost_exec_ns) > it->checked_ns &&
	    bw_access_open(m->file, it->proc))
		h = it->head0;
	seq_printf(m, "# brkwatch %d\n# pid %d\n# ppid %d\n# comm ",
		   BRKWATCH_FORMAT_VERSION, bw_reader_tid(m, it, h.pid),
		   bw_reader_nr(bw_reader_ns(m->file), h.ppid, PIDTYPE_TGID, NULL));
	bw_show_comm(m, h.comm, sizeof(h.comm));
	seq_printf(m, "\n# state %s\n# uid %u\n",
		   h.exited ? "exited" : "running",
		   from_kuid_munged(seq_user_ns(m), h.uid));
	seq_printf(m, "# start_brk 0x%016llx\n# start_data 0x%016llx\n",
		   h.start_brk, h.start_data);
	seq_printf(m, "# end_data 0x%016llx\n# brk 0x%016llx\n",
		   h.end_data, h.brk);
	seq_printf(m, "# calls %llu\n# dropped %llu\n# columns " BRKWATCH_COLUMNS "\n",
		   h.calls, h.dropped);
}

static void bw_show_exec(struct seq_file *m, const struct brkwatch_record *r,
			 pid_t tid)
{
	seq_printf(m, "# exec time_ns=%llu tid=%d comm=", r->time_ns, tid);
	bw_show_comm(m, r->exec.comm, sizeof(r->exec.comm));
	seq_printf(m, " start_brk=0x%016llx start_data=0x%016llx end_data=0x%016llx\n",
		   r->exec.start_brk, r->exec.start_data, r->exec.end_data);
}

static void bw_show_details(struct seq_file *m, const struct brkwatch_record *r)
{
	unsigned int kind;

	switch (r->verdict) {
	case BRKWATCH_RLIMIT_DATA:
		seq_printf(m, "limit=%llu,size=%llu",
			   r->call.detail[0], r->call.detail[1]);
		break;
	case BRKWATCH_OVERLAP:
		kind = (r->flags & BRKWATCH_F_NEXT_MASK) >> BRKWATCH_F_NEXT_SHIFT;
		seq_printf(m, "next_start=0x%016llx,next_end=0x%016llx,next_kind=%s,gap_only=%d",
			   r->call.detail[0], r->call.detail[1],
			   bw_next_kinds[kind],
			   !!(r->flags & BRKWATCH_F_GAP_ONLY));
		break;
	case BRKWATCH_LIMITS:
	case BRKWATCH_MLOCK_LIMIT:
	case BRKWATCH_NOMEM:
		seq_printf(m, "err=%lld", (s64)r->call.detail[0]);
		break;
	default:
		seq_putc(m, '-');
	}
}

static void bw_show_call(struct seq_file *m, const struct brkwatch_record *r,
			 pid_t tid)
{
	u64 before = r->call.brk_before;
	u64 after = bw_record_brk_after(r);
	s64 ret = bw_record_ret(r);

	seq_printf(m, "%llu %llu %d %s 0x%016llx 0x%016llx 0x%016llx 0x%016llx 0x%016llx %lld ",
		   bw_record_seq(r), r->time_ns, tid,
		   r->flags & BRKWATCH_F_IA32 ? "ia32" : "x64",
		   r->call.request, before, after,
		   PAGE_ALIGN(before), PAGE_ALIGN(after),
		   (s64)(PAGE_ALIGN(after) - PAGE_ALIGN(before)));
	if (ret < 0)
		seq_printf(m, "%lld", ret);
	else
		seq_printf(m, "0x%016llx", ret);
	seq_printf(m, " %u %s ", r->call.duration_ns,
		   bw_verdict_name(r->verdict));
	bw_show_details(m, r);
	seq_putc(m, '\n');
}

/*
 * Position 0 is the header; position n > 0 the record appended n-th
 * (from 1) in the history's life. Records overwritten since are skipped,
 * so a reader never sees one twice and always sees them in order.
 */
/*
 * Past an exec the reader was not asked about, what follows is shown only
 * if it may read the program that exec started: else end of file there.
 * An exec whose marker was not kept (no memory) counts as one it may read
 * only with the right to read anyone's, from its time on.
 */
static bool bw_hist_may_pass(struct seq_file *m, struct bw_iter *it)
{
	const struct brkwatch_record *r = &it->rec;
	struct bw_history_head h;
	u64 exec_ns = 0;
	bool secure = false;

	if (r->time_ns <= it->checked_ns)
		return true;
	bw_history_snapshot(it->proc, &h);
	if (h.lost_exec_ns > it->checked_ns && r->time_ns >= h.lost_exec_ns) {
		exec_ns = h.lost_exec_ns;
		secure = true;
	} else if (r->flags & BRKWATCH_F_EXEC) {
		exec_ns = r->time_ns;
		secure = r->flags & BRKWATCH_F_EXEC_SECURE;
	}
	if (!exec_ns)
		return true;
	if (!bw_access_exec(m->file, it->proc, exec_ns, secure))
		return false;
	it->checked_ns = exec_ns;
	return true;
}

static void *bw_hist_record(struct seq_file *m, loff_t *pos)
{
	struct bw_iter *it = m->private;
	u64 actual;

	if (!bw_history_read(it->proc, *pos - 1, &it->rec, &actual, &it->cur))
		return NULL;
	if (!bw_hist_may_pass(m, it))
		return NULL;
	*pos = actual + 1;
	return &it->rec;
}

static void *bw_hist_start(struct seq_file *m, loff_t *pos)
{
	return *pos ? bw_hist_record(m, pos) : SEQ_START_TOKEN;
}

static void *bw_hist_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return bw_hist_record(m, pos);
}

static void bw_hist_stop(struct seq_file *m, void *v)
{
}

static int bw_hist_show(struct seq_file *m, void *v)
{
	struct bw_iter *it = m->private;
	const struct brkwatch_record *r = v;

	if (v == SEQ_START_TOKEN)
		bw_show_head(m, it);
	else if (r->flags & BRKWATCH_F_EXEC)
		bw_show_exec(m, r, bw_reader_tid(m, it, (pid_t)r->tid));
	else
		bw_show_call(m, r, bw_reader_tid(m, it, (pid_t)r->tid));
	if (v != SEQ_START_TOKEN && !(r->flags & BRKWATCH_F_EXEC) &&
	    bw_stacks_find(it->proc, bw_record_seq(r), it->stack))
		bw_stacks_show(m, it->stack);
	return 0;
}

static const struct seq_operations bw_hist_seq_ops = {
	.start = bw_hist_start,
	.next = bw_hist_next,
	.stop = bw_hist_stop,
	.show = bw_hist_show,
};

static int bw_hist_open(struct inode *inode, struct file *file)
{
	struct bw_history *proc = bw_pde_data(inode);
	u64 now = ktime_get_ns();
	struct bw_iter *it;
	int err;

	err = bw_access_open(file, proc);
	if (err)
		return err;
	it = __seq_open_private(file, &bw_hist_seq_ops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->stack = kvmalloc(bw_stack_slot_size(), GFP_KERNEL);
	if (!it->stack) {
		seq_release_private(inode, file);
		return -ENOMEM;
	}
	it->proc = proc;
	/* Taken before asking: an exec after the answer is asked about again. */
	it->checked_ns = now;
	bw_history_snapshot(proc, &it->head0);
	return 0;
}

static int bw_hist_release(struct inode *inode, struct file *file)
{
	struct bw_iter *it = ((struct seq_file *)file->private_data)->private;

	kvfree(it->stack);
	return seq_release_private(inode, file);
}

static const struct proc_ops bw_hist_ops = {
	.proc_open = bw_hist_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = bw_hist_release,
};

/* A history's file is named by its pid, in the initial PID namespace. */
#define BW_FILE_NAME_LEN	sizeof("-2147483648")

static void bw_file_name(char *name, pid_t pid)
{
	snprintf(name, BW_FILE_NAME_LEN, "%d", pid);
}

/*
 * Besides its spinlock_t, a struct proc_dir_entry holds 168 bytes on x86-64
 * (6.1; 160 in 7.3, without proc_dops): its in_use and refcnt, the list of
 * openers, then from the unload completion's pointer to namelen.
 */
#define BW_PDE_BYTES_BESIDES_LOCK	168

/**
 * bw_procfs_file_bytes - what procfs allocates for one history's file
 *
 * A struct proc_dir_entry (fs/proc/internal.h, private to procfs) from
 * procfs's own cache, whose objects are the struct's size rounded up to
 * 128, 192, 256 or 512 bytes (SIZEOF_PDE there). Nothing tells a module
 * that size, so it is worked out from the lock's: 192 bytes with a plain
 * spinlock, 256 where it is an rt_mutex (PREEMPT_RT) or carries lockdep's
 * map. The selftests hold it against the cache's object_size in
 * /sys/kernel/slab on every kernel.
 *
 * Return: the bytes, counted with each history (history.c).
 */
size_t bw_procfs_file_bytes(void)
{
	size_t pde = BW_PDE_BYTES_BESIDES_LOCK +
		     ALIGN(sizeof(spinlock_t), sizeof(void *));

	return pde < 192 ? 192 : pde < 256 ? 256 : 512;
}

/**
 * bw_procfs_add - the worker's: a history gets its file
 * @proc: the history
 *
 * Return: 0, or -ENOMEM if it could not be made (retried).
 */
int bw_procfs_add(struct bw_history *proc)
{
	char name[BW_FILE_NAME_LEN];

	bw_file_name(name, proc->pid);
	if (!proc_create_data(name, 0444, bw_dir, &bw_hist_ops, proc))
		return -ENOMEM;
	return 0;
}

/**
 * bw_procfs_remove - the worker's: the file of @pid goes
 * @pid: whose file bw_procfs_add() made, which is still there
 *
 * Process context, no lock held: waits for the file's readers to leave
 * (a read can fault on a FUSE or userfaultfd buffer).
 */
void bw_procfs_remove(pid_t pid)
{
	char name[BW_FILE_NAME_LEN];

	bw_file_name(name, pid);
	remove_proc_entry(name, bw_dir);
}

static int bw_status_show(struct seq_file *m, void *v)
{
	unsigned long running, exited;
	struct bw_stats s;

	bw_stats_sum(&s);
	bw_history_counts(&running, &exited);
	seq_printf(m, "version: %s\nformat: %d\nkernel: %s\n", BRKWATCH_VERSION,
		   BRKWATCH_FORMAT_VERSION, init_utsname()->release);
	bw_probes_describe(m);
	seq_printf(m, "paused: %s\n", READ_ONCE(bw_paused) ? "yes" : "no");
	seq_printf(m, "calls_seen: %llu\nrecords_stored: %llu\n",
		   s.calls_seen, s.records_stored);
	seq_printf(m, "records_dropped_ring: %llu\nrecords_dropped_memcap: %llu\n",
		   s.dropped_ring, s.dropped_memcap);
	seq_printf(m, "records_dropped_nomem: %llu\nkretprobe_missed: %lu\n",
		   s.dropped_nomem, bw_probes_missed());
	seq_printf(m, "inflight_overflow: %llu\nunknown_verdicts: %llu\n",
		   s.inflight_overflow, s.unknown_verdicts);
	seq_printf(m, "processes_running: %lu\nprocesses_exited: %lu\n",
		   running, exited);
	seq_printf(m, "memory_bytes: %lu\nmemory_cap_bytes: %lu\n",
		   bw_memory_used(), bw_memory_cap());
	seq_printf(m, "record_bytes: %zu\nfile_bytes: %zu\npid_bytes: %zu\n",
		   sizeof(struct brkwatch_record), bw_procfs_file_bytes(),
		   bw_history_pid_bytes());
	seq_printf(m, "records_per_process: %u\n", bw_records_per_process);
	seq_printf(m, "exited_keep_seconds: %u\n", bw_exited_keep_seconds);
	seq_printf(m, "stack_bytes: %u\nstack_records: %u\n",
		   bw_stack_bytes, bw_stack_records);
	seq_printf(m, "stacks_processes: %lu\nstacks_stored: %llu\n",
		   bw_stacks_processes(), s.stacks_stored);
	seq_printf(m, "stacks_dropped_ring: %llu\nstacks_dropped_nomem: %llu\n",
		   s.stacks_dropped_ring, s.stacks_dropped_nomem);
	seq_printf(m, "stacks_short: %llu\n", s.stacks_short);
	return 0;
}

static int bw_control_show(struct seq_file *m, void *v)
{
	seq_puts(m, "commands: clear, forget PID, pause, resume, stacks PID, nostacks PID\n");
	return 0;
}

static int bw_control_open(struct inode *inode, struct file *file)
{
	if ((file->f_mode & FMODE_WRITE) && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	return single_open(file, bw_control_show, NULL);
}

/*
 * A PID as the writer knows it: in the PID namespace of the procfs it
 * opened control through, as readers of histories do (access.c); into
 * the initial namespace's number, which the module keeps. In another
 * namespace only a live process has one: -ESRCH otherwise.
 */
static int bw_control_pid(const struct file *file, const char *arg, pid_t *pid)
{
	struct pid_namespace *ns = bw_reader_ns(file);
	struct pid *found;
	int nr;

	if (kstrtoint(arg, 10, &nr) || nr <= 0 || nr > PID_MAX_LIMIT)
		return -EINVAL;
	if (ns == &init_pid_ns) {
		*pid = nr;
		return 0;
	}
	rcu_read_lock();
	found = find_pid_ns(nr, ns);
	*pid = found ? pid_nr(found) : 0;
	rcu_read_unlock();
	return *pid ? 0 : -ESRCH;
}

static int bw_control_do(const struct file *file, char *cmd)
{
	pid_t pid;
	int err;

	if (!strcmp(cmd, "clear")) {
		bw_history_clear();
	} else if (!strcmp(cmd, "pause")) {
		WRITE_ONCE(bw_paused, true);
	} else if (!strcmp(cmd, "resume")) {
		WRITE_ONCE(bw_paused, false);
	} else if (!strncmp(cmd, "forget ", 7)) {
		err = bw_control_pid(file, cmd + 7, &pid);
		return err ? err : bw_history_forget(pid);
	} else if (!strncmp(cmd, "stacks ", 7)) {
		err = bw_control_pid(file, cmd + 7, &pid);
		return err ? err : bw_stacks_on(pid);
	} else if (!strncmp(cmd, "nostacks ", 9)) {
		err = bw_control_pid(file, cmd + 9, &pid);
		return err ? err : bw_stacks_off(pid);
	} else {
		return -EINVAL;
	}
	return 0;
}

/* One command per write, with or without a final newline. */
static ssize_t bw_control_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	char cmd[32];
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (!count || count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	if (memchr(cmd, '\0', count))
		return -EINVAL;
	cmd[count] = '\0';
	if (cmd[count - 1] == '\n')
		cmd[count - 1] = '\0';
	err = bw_control_do(file, cmd);
	return err ? err : count;
}

static const struct proc_ops bw_control_ops = {
	.proc_open = bw_control_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
	.proc_write = bw_control_write,
};

int bw_procfs_init(void)
{
	bw_dir = proc_mkdir(BRKWATCH_PROC_DIR, NULL);
	if (!bw_dir)
		return -ENOMEM;
	if (!proc_create_single("status", 0444, bw_dir, bw_status_show) ||
	    !proc_create("control", BW_CONTROL_MODE, bw_dir, &bw_control_ops)) {
		proc_remove(bw_dir);
		return -ENOMEM;
	}
	return 0;
}

/* Removes every file below, and waits for their readers to leave. */
void bw_procfs_exit(void)
{
	proc_remove(bw_dir);
}
