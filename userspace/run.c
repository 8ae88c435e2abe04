// SPDX-License-Identifier: GPL-2.0
/*
 * brkwatch run: start COMMAND, wait for it to exit, read its history while it
 * is still a zombie (waitid WNOWAIT: nothing it did can be forgotten yet),
 * then reap it and exit with its status.
 *
 * With --stacks, the child waits on a pipe until stacks are on for it
 * ("stacks PID" to the control file), then execs COMMAND; it is traced
 * (PTRACE_SEIZE, PTRACE_O_TRACEEXIT) so that its /proc/PID/maps can be read
 * at its exit stop, while its memory still exists: the mappings its stacks
 * are unwound against. Those are the mappings of the program it ran last:
 * stacks of calls before an exec marker are not unwound (the maps of the
 * program before are gone at exec).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "source.h"

#define MAX_PROCS 1024

/* The processes of the report, by pid: the command first, then its descendants. */
struct procs {
	uint32_t pid[MAX_PROCS];
	size_t n;
};

static bool have(const struct procs *p, uint32_t pid)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->pid[i] == pid)
			return true;
	return false;
}

/*
 * The processes COMMAND started, at any depth: histories whose ppid is one of
 * ours and that began after we started COMMAND (a pid may have been reused).
 * Only headers and first events are read.
 */
static void descendants(struct procs *p, uint64_t t_start)
{
	uint32_t *pids;
	size_t n;
	char msg[1024];
	bool added = true;

	if (bwr_list_pids(&pids, &n, msg, sizeof(msg))) {
		bwr_warn("%s", msg);
		return;
	}
	while (added && p->n < MAX_PROCS) {
		added = false;
		for (size_t i = 0; i < n && p->n < MAX_PROCS; i++) {
			struct bwr_history h;

			if (have(p, pids[i]) || bwr_load_header(pids[i], &h, msg, sizeof(msg)))
				continue;
			if (have(p, h.ppid) && h.n_events && h.first_ns >= t_start) {
				p->pid[p->n++] = pids[i];
				added = true;
			}
		}
	}
	free(pids);
}

/* Each history read and printed as it comes, while COMMAND is still a zombie. */
static void report(const struct bwr_cli *c, struct procs *p, char **argv, int status)
{
	char msg[1024];
	struct bwr_json j;
	int r;

	if (c->json) {
		bwr_json_begin(&j, c->out);
		bwr_json_u64(&j, "schema", BWR_JSON_SCHEMA);
		bwr_json_str(&j, "command", "run", 3);
		bwr_json_key_arr(&j, "argv");
		for (char **a = argv; *a; a++)
			bwr_json_str(&j, NULL, *a, strlen(*a));
		bwr_json_close(&j, ']');
		bwr_json_i64(&j, "exit_status", status);
		bwr_json_bool(&j, "relative", c->o.relative);
		bwr_json_key_arr(&j, "processes");
	}
	for (size_t i = 0; i < p->n; i++) {
		struct bwr_history h;

		/* checked to its end before anything of it is printed */
		r = bwr_load_history(p->pid[i], &h, msg, sizeof(msg));
		if (r) {
			bwr_warn("%s", msg);
			continue;
		}
		if (c->json)
			bwr_json_key_obj(&j, NULL);
		else if (p->n > 1)
			fprintf(c->out, "%s=== process %zu of %zu ===\n", i ? "\n" : "", i + 1, p->n);
		r = bwr_report_pid(c, p->pid[i], c->json ? &j : NULL, &h, i ? NULL : c->svg_path,
				   msg, sizeof(msg));
		if (r)
			bwr_warn("%s", msg);
		if (c->json)
			bwr_json_close(&j, '}');
	}
	if (c->json) {
		bwr_json_close(&j, ']');
		bwr_json_end(&j);
	}
}

/* "stacks PID" to the module's control file. 0, or an exit code with msg. */
static int stacks_on(pid_t pid, char *msg, size_t size)
{
	char path[4096], cmd[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/control", bwr_proc_root());
	n = snprintf(cmd, sizeof(cmd), "stacks %d", (int)pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, cmd, (size_t)n) != n) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		if (e == EACCES || e == EPERM) {
			snprintf(msg, size, "--stacks: %.400s: permission denied (turning stacks on "
				 "needs CAP_SYS_ADMIN: try sudo)", path);
			return BWR_EXIT_PERM;
		}
		if (e == EINVAL) {
			snprintf(msg, size, "--stacks: the loaded module refuses 'stacks PID': it "
				 "is older than call stacks (proc format %d)", BWR_FORMAT_STACKS);
			return BWR_EXIT_NOMODULE;
		}
		snprintf(msg, size, "--stacks: writing '%s' to %.400s: %s", cmd, path, strerror(e));
		return BWR_EXIT_ERROR;
	}
	close(fd);
	return BWR_EXIT_OK;
}

/*
 * The traced child until its exit stop, where its maps are read (*maps,
 * malloc'ed, NULL if unreadable) and it is let go. Signals are passed on,
 * group stops kept. Returns true once detached at the exit stop (the child
 * is then a zombie to come); false if it was reaped here (*status set).
 */
static bool trace_to_exit(pid_t pid, char **maps, size_t *len, int *status)
{
	*maps = NULL;
	for (;;) {
		int st;
		pid_t w = waitpid(pid, &st, __WALL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			*status = 128;
			return false;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			return false;
		}
		if (!WIFSTOPPED(st))
			continue;
		if (st >> 16 == PTRACE_EVENT_EXIT) {
			char path[64];

			snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
			if (bwr_read_file(path, maps, len))
				*maps = NULL;
			ptrace(PTRACE_DETACH, pid, NULL, NULL);
			return true;
		}
		if (st >> 16 == PTRACE_EVENT_STOP)	/* a group stop: it stays stopped */
			ptrace(PTRACE_LISTEN, pid, NULL, NULL);
		else			/* a signal for it: delivered */
			ptrace(PTRACE_CONT, pid, NULL, (void *)(long)WSTOPSIG(st));
	}
}

int bwr_cmd_run(const struct bwr_cli *c, char **argv)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	struct timespec ts;
	struct procs *p;
	siginfo_t si;
	char msg[1024], *maps = NULL, go = 1;
	int pipefd[2], gofd[2] = { -1, -1 }, err = 0, status, r;
	size_t maps_len = 0;
	bool reaped = false;
	pid_t pid;
	uint64_t t_start;

	r = bwr_check_module(msg, sizeof(msg));
	if (r) {
		bwr_warn("%s", msg);
		return r;
	}
	p = calloc(1, sizeof(*p));
	if (!p || pipe2(pipefd, O_CLOEXEC) || (c->stacks && pipe2(gofd, O_CLOEXEC))) {
		bwr_warn("cannot start %s: %s", argv[0], strerror(errno));
		free(p);
		return BWR_EXIT_ERROR;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t_start = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	fflush(NULL);
	/* like system(): Ctrl-C is for COMMAND; we stay to print its history */
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		close(pipefd[0]);	/* -o FILE is close-on-exec */
		if (c->stacks) {
			/* until stacks are on for this pid: a byte, or EOF if they could not be */
			close(gofd[1]);
			while ((r = (int)read(gofd[0], &go, 1)) < 0 && errno == EINTR)
				;
			if (r != 1)
				_exit(126);
		}
		execvp(argv[0], argv);
		err = errno;
		if (write(pipefd[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(err == ENOENT ? 127 : 126);
	}
	close(pipefd[1]);
	if (c->stacks)
		close(gofd[0]);
	if (pid < 0) {
		bwr_warn("cannot start %s: %s", argv[0], strerror(errno));
		close(pipefd[0]);
		if (c->stacks)
			close(gofd[1]);
		free(p);
		return BWR_EXIT_ERROR;
	}
	if (c->stacks) {
		if (ptrace(PTRACE_SEIZE, pid, NULL, (void *)(long)PTRACE_O_TRACEEXIT)) {
			snprintf(msg, sizeof(msg), "--stacks: cannot trace %s (to read its maps "
				 "before it is reaped): %s", argv[0], strerror(errno));
			r = BWR_EXIT_ERROR;
		} else {
			r = stacks_on(pid, msg, sizeof(msg));
		}
		if (r || write(gofd[1], &go, 1) != 1) {
			if (!r) {
				snprintf(msg, sizeof(msg), "cannot start %s: %s", argv[0],
					 strerror(errno));
				r = BWR_EXIT_ERROR;
			}
			bwr_warn("%s", msg);
			close(gofd[1]);	/* the child exits without running COMMAND */
			close(pipefd[0]);
			/* traced or not, past its exit stop if any, then reaped */
			if (trace_to_exit(pid, &maps, &maps_len, &status))
				while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
					;
			free(maps);
			sigaction(SIGINT, &old_int, NULL);
			sigaction(SIGQUIT, &old_quit, NULL);
			free(p);
			return r;
		}
		close(gofd[1]);
		/* a traced child stops at each signal: handled before anything else waits */
		reaped = !trace_to_exit(pid, &maps, &maps_len, &status);
		if (!maps)
			bwr_warn("--stacks: the maps of %s could not be read at its exit: its stacks "
				 "are not unwound", argv[0]);
	}
	while ((r = (int)read(pipefd[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(pipefd[0]);

	if (!reaped) {
		while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
			;
		status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
	}
	if (r == (int)sizeof(err)) {
		bwr_warn("cannot run %s: %s", argv[0], strerror(err));
	} else {
		struct bwr_history h;

		/* no document for a command whose history cannot be read */
		r = bwr_load_history((uint32_t)pid, &h, msg, sizeof(msg));
		if (r) {
			bwr_warn("%s", msg);
		} else {
			struct bwr_cli cs = *c;

			p->pid[p->n++] = (uint32_t)pid;
			if (c->follow_forks)
				descendants(p, t_start);
			cs.run_maps = maps;
			cs.run_maps_len = maps_len;
			cs.run_maps_pid = (uint32_t)pid;
			report(&cs, p, argv, status);
		}
	}
	while (!reaped && waitid(P_PID, (id_t)pid, &si, WEXITED) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	free(maps);
	free(p);
	return status;
}
