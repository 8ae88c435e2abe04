// SPDX-License-Identifier: GPL-2.0
/*
 * Who may read a history: exactly who may read the process's
 * /proc/PID/maps, since a history shows where its heap is.
 *
 * For a live process the kernel itself is asked. The reader opens, with
 * its own credentials, <pid>/maps on the procfs mount through which it
 * opened the history: in its own PID namespace, under that mount's
 * hidepid, with the ptrace read check (PTRACE_MODE_READ_FSCREDS: ids,
 * dumpable state, CAP_SYS_PTRACE, the security modules) and the file open
 * hooks, as for any reader of maps. (A module cannot call
 * ptrace_may_access(), and a copy of its rule would drift.) A process
 * outside the reader's PID namespace does not exist for it: ENOENT.
 *
 * A process that has exited has no maps left to open: the rule as it
 * stood at exit decides, from the owner and dumpable state noted then
 * (same ids and dumpable, or CAP_SYS_PTRACE).
 *
 * /proc/PID/maps opened before an exec shows nothing of the new program.
 * A history outlives execs, so a reader that opened it before one is shown
 * what follows only if it may read that program too: re-decided at each
 * exec marker it reaches (procfs.c), end of file where it may not.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include "compat.h"
#include "internal.h"

/**
 * bw_reader_ns - the PID namespace of a history's reader
 * @file: the history file it opened
 *
 * Return: the namespace of the procfs it opened @file on, whose numbers it
 * knows processes by.
 */
struct pid_namespace *bw_reader_ns(const struct file *file)
{
	return proc_pid_ns(file_inode(file)->i_sb);
}

/* Ask the kernel: may the reader open <pid>/maps on the same procfs? */
static int bw_open_maps(const struct file *file, struct pid *pid)
{
	pid_t nr = pid_nr_ns(pid, bw_reader_ns(file));
	struct file *maps;
	char name[24];

	if (!nr)
		return -ENOENT;
	snprintf(name, sizeof(name), "%d/maps", nr);
	maps = bw_file_open_root_mnt(file->f_path.mnt, name, O_RDONLY);
	if (IS_ERR(maps))
		return PTR_ERR(maps);
	fput(maps);
	return 0;
}

/* The rule at exit: the owner's ids and dumpable, or CAP_SYS_PTRACE. */
static bool bw_owner_may_read(struct bw_history *p)
{
	const struct cred *cred = current_cred();
	bool owner;

	raw_spin_lock(&p->lock);
	owner = p->owner_reads && uid_eq(cred->fsuid, p->uid) &&
		gid_eq(cred->fsgid, p->gid);
	raw_spin_unlock(&p->lock);
	return owner || capable(CAP_SYS_PTRACE);
}

/**
 * bw_access_open - may the reader of @file read the history @p?
 * @file: the history file being opened or read
 * @p: the history
 *
 * Return: 0, or the error its open of /proc/PID/maps gave (-EACCES,
 * -EPERM, -ENOENT outside its PID namespace).
 */
int bw_access_open(const struct file *file, struct bw_history *p)
{
	int err;

	if (!pid_nr_ns(p->tgid, bw_reader_ns(file)))
		return -ENOENT;
	if (!READ_ONCE(p->exited)) {
		err = bw_open_maps(file, p->tgid);
		/*
		 * Still running after the open: the number named this process
		 * all along (it is freed only once the process is reaped).
		 */
		if (pid_has_task(p->tgid, PIDTYPE_TGID) && !READ_ONCE(p->exited))
			return err;
	}
	return bw_owner_may_read(p) ? 0 : -EACCES;
}

/**
 * bw_access_exec - may the reader go past an exec it has not been asked about?
 * @file: the history file being read
 * @p: the history
 * @exec_ns: the time of the exec
 * @secure: the program it started was not dumpable by its owner (setuid,
 *	    or unreadable), or nothing is known of it
 *
 * Return: true if what follows may be shown.
 */
bool bw_access_exec(const struct file *file, struct bw_history *p, u64 exec_ns,
		    bool secure)
{
	bool running;

	raw_spin_lock(&p->lock);
	running = p->last_exec_ns == exec_ns && !p->exited;
	raw_spin_unlock(&p->lock);
	/* Still that program: ask about it as at open. */
	if (running)
		return !bw_access_open(file, p);
	/*
	 * That program is gone. One its owner could read is readable by
	 * whoever read the program before it; any other needs the right to
	 * read anyone's.
	 */
	return !secure || capable(CAP_SYS_PTRACE);
}
