// SPDX-License-Identifier: GPL-2.0
/*
 * brkwatch run: start COMMAND, wait for it to exit, read its history while it
 * is still a zombie (waitid WNOWAIT: nothing it did can be forgotten yet),
 * then reap it and exit with its status.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
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

int bwr_cmd_run(const struct bwr_cli *c, char **argv)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	struct timespec ts;
	struct procs *p;
	siginfo_t si;
	char msg[1024];
	int pipefd[2], err = 0, status, r;
	pid_t pid;
	uint64_t t_start;

	r = bwr_check_module(msg, sizeof(msg));
	if (r) {
		bwr_warn("%s", msg);
		return r;
	}
	p = calloc(1, sizeof(*p));
	if (!p || pipe2(pipefd, O_CLOEXEC)) {
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
		execvp(argv[0], argv);
		err = errno;
		if (write(pipefd[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(err == ENOENT ? 127 : 126);
	}
	close(pipefd[1]);
	if (pid < 0) {
		bwr_warn("cannot start %s: %s", argv[0], strerror(errno));
		close(pipefd[0]);
		free(p);
		return BWR_EXIT_ERROR;
	}
	while ((r = (int)read(pipefd[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(pipefd[0]);

	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
	if (r == (int)sizeof(err)) {
		bwr_warn("cannot run %s: %s", argv[0], strerror(err));
	} else {
		struct bwr_history h;

		/* no document for a command whose history cannot be read */
		r = bwr_load_history((uint32_t)pid, &h, msg, sizeof(msg));
		if (r) {
			bwr_warn("%s", msg);
		} else {
			p->pid[p->n++] = (uint32_t)pid;
			if (c->follow_forks)
				descendants(p, t_start);
			report(c, p, argv, status);
		}
	}
	while (waitid(P_PID, (id_t)pid, &si, WEXITED) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	free(p);
	return status;
}
