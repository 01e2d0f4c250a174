/*
 * The sandbox: fork, then in the child (before running the parser) PR_SET_PDEATHSIG, only the
 * input and the two pipes kept open, default signal dispositions, rlimits, no core dumps, and a
 * seccomp filter that kills the process on any system call outside a short list. The parent reads
 * the pipes with a wall-clock deadline and classifies how the child ended.
 */
#include "jobs/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sidang_limits.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif
#ifndef SANDBOX_ASAN
#define SANDBOX_ASAN 0
#endif

/* The child's descriptors after set-up. */
enum { CHILD_IN_FD = 3, CHILD_OUT_FD = 4, CHILD_PROGRESS_FD = 5, CHILD_DATA_FD = 6 };

void sandbox_default_limits(struct sandbox_limits *l)
{
	l->memory_bytes = LIMIT_WORKER_MEMORY_BYTES;
	l->cpu_seconds = LIMIT_WORKER_CPU_SECONDS;
	l->wall_ms = LIMIT_WORKER_WALL_SECONDS * 1000u;
	l->file_bytes = LIMIT_WORKER_FILE_BYTES;
	l->open_files = LIMIT_WORKER_OPEN_FILES;
	l->output_bytes = LIMIT_WORKER_OUTPUT_BYTES;
}

/* Leaves the child at once: no atexit handlers, no stdio flush of the parent's buffers, no leak
 * check (LeakSanitizer would need ptrace and /proc, which the filter denies). */
static _Noreturn void child_exit(int code)
{
	syscall(SYS_exit_group, code);
	for (;;)
		pause();
}

static bool write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		c += w;
		n -= (size_t)w;
	}
	return true;
}

bool sandbox_write(const struct sandbox_io *io, const void *p, size_t n)
{
	return write_all(io->out_fd, p, n);
}

bool sandbox_write_data(const struct sandbox_io *io, const void *p, size_t n)
{
	return io->data_fd >= 0 && write_all(io->data_fd, p, n);
}

void sandbox_progress(const struct sandbox_io *io, int percent)
{
	unsigned char b = (unsigned char)(percent < 0 ? 0 : percent > 100 ? 100 : percent);
	ssize_t w;
	do
		w = write(io->progress_fd, &b, 1);
	while (w < 0 && errno == EINTR);
}

/* Virtual memory the child has mapped already, in bytes (from /proc/self/statm); 0 if unknown. */
static uint64_t mapped_bytes(void)
{
	char text[128];
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	unsigned long long pages = strtoull(text, NULL, 10);
	return (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

static bool set_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit rl = {soft, hard};
	return setrlimit(resource, &rl) == 0;
}

static bool apply_limits(const struct sandbox_limits *l)
{
	/* Under ASan the child has terabytes of shadow memory reserved (not used), so an absolute
	 * address-space limit would fail every allocation: the limit counts from what is mapped. */
	uint64_t mem = l->memory_bytes;
	if (SANDBOX_ASAN)
		mem += mapped_bytes();
	/* RLIMIT_NPROC 0: no new process even if the filter were wrong (checked at fork time only,
	 * so it does not affect this one). */
	return set_limit(RLIMIT_CORE, 0, 0) && set_limit(RLIMIT_AS, mem, mem) &&
	       set_limit(RLIMIT_CPU, l->cpu_seconds, l->cpu_seconds + 1) &&
	       set_limit(RLIMIT_FSIZE, l->file_bytes, l->file_bytes) &&
	       set_limit(RLIMIT_NOFILE, l->open_files, l->open_files) &&
	       set_limit(RLIMIT_NPROC, 0, 0);
}

/* "The first argument equals V" (SCMP_A0 leaves a field to zero-initialisation, which clang's
 * -Wmissing-field-initializers rejects). */
static struct scmp_arg_cmp arg0_is(scmp_datum_t v)
{
	struct scmp_arg_cmp c = {0, SCMP_CMP_EQ, v, 0};
	return c;
}

/* The system calls a parser may make. Everything else kills the process (SIGSYS). */
static bool apply_filter(bool private_stdout)
{
	static const int allowed[] = {
		/* reading the input */
		SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(lseek), SCMP_SYS(fstat),
		SCMP_SYS(newfstatat), SCMP_SYS(close),
		/* memory */
		SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
		SCMP_SYS(madvise),
		/* time, locks, randomness (libraries' hash seeds) */
		SCMP_SYS(futex), SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
		SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep), SCMP_SYS(getrandom),
		SCMP_SYS(sched_yield), SCMP_SYS(getpid), SCMP_SYS(gettid),
		/* glibc's qsort asks for the physical memory size (MuPDF sorts text and fonts) */
		SCMP_SYS(sysinfo),
		/* ending, signals to itself (abort) */
		SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
		SCMP_SYS(restart_syscall), SCMP_SYS(sigaltstack), /* the sanitizers, on exit */
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return false;
	bool ok = true;
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0] && ok; i++)
		ok = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0) == 0;
	/* Writes only to the pipes, to stderr (diagnostics of a library or the sanitizers) and,
	 * when a prepare hook pointed it at a memory file of its own, to stdout (tesseract's PDF
	 * renderer writes there). */
	static const int write_fds[] = {STDERR_FILENO, CHILD_OUT_FD, CHILD_PROGRESS_FD,
					CHILD_DATA_FD, STDOUT_FILENO};
	size_t n_fds = sizeof write_fds / sizeof write_fds[0] - (private_stdout ? 0 : 1);
	for (size_t i = 0; i < n_fds && ok; i++)
		ok = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
				      arg0_is((scmp_datum_t)write_fds[i])) == 0 &&
		     seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(writev), 1,
				      arg0_is((scmp_datum_t)write_fds[i])) == 0;
	/* abort() raises SIGABRT at itself: tgkill to its own pid only. */
	if (ok)
		ok = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				      arg0_is((scmp_datum_t)getpid())) == 0;
	if (ok)
		ok = seccomp_load(ctx) == 0; /* sets no_new_privs first (libseccomp's default) */
	seccomp_release(ctx);
	return ok;
}

static _Noreturn void child_main(const struct sandbox_limits *l, const struct sandbox_hooks *hooks,
				 int in_fd, int out_w, int prog_w, int data_w, pid_t parent,
				 sandbox_fn fn, const void *arg)
{
	/* Die with the worker: a worker killed mid-job must not leave its parser running. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		child_exit(125);
	/* Keep stdin, stdout, stderr, the input and the pipes at fixed numbers; close the rest (the
	 * worker's database, other blobs). */
	int in_tmp = in_fd >= 0 ? fcntl(in_fd, F_DUPFD, 16) : -1;
	int out_tmp = fcntl(out_w, F_DUPFD, 16);
	int prog_tmp = fcntl(prog_w, F_DUPFD, 16);
	int data_tmp = data_w >= 0 ? fcntl(data_w, F_DUPFD, 16) : -1;
	if ((in_fd >= 0 && in_tmp < 0) || out_tmp < 0 || prog_tmp < 0 || (data_w >= 0 && data_tmp < 0))
		child_exit(125);
	if ((in_tmp >= 0 && dup2(in_tmp, CHILD_IN_FD) < 0) || dup2(out_tmp, CHILD_OUT_FD) < 0 ||
	    dup2(prog_tmp, CHILD_PROGRESS_FD) < 0 || (data_tmp >= 0 && dup2(data_tmp, CHILD_DATA_FD) < 0))
		child_exit(125);
	if (in_tmp < 0)
		close(CHILD_IN_FD);
	if (data_tmp < 0)
		close(CHILD_DATA_FD);
	if (close_range(CHILD_DATA_FD + 1, ~0U, 0) != 0)
		child_exit(125);
	/* Default dispositions: a crash must end the process with its signal (a sanitizer's or a
	 * library's handler would need system calls the filter denies), and nothing blocked. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	struct sandbox_io io = {in_fd >= 0 ? CHILD_IN_FD : -1, CHILD_OUT_FD, CHILD_PROGRESS_FD,
				data_w >= 0 ? CHILD_DATA_FD : -1, arg};
	if (!apply_limits(l))
		child_exit(125);
	if (hooks && hooks->prepare) {
		int rc = hooks->prepare(&io);
		if (rc != 0)
			child_exit(rc);
	}
	if (!apply_filter(hooks && hooks->stdout_is_private))
		child_exit(125);
	child_exit(fn(&io));
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef bool (*drain_sink)(void *ctx, const void *p, size_t n);

/* The result pipe's sink: into the task's capped buffer. */
static bool to_buf(void *ctx, const void *p, size_t n)
{
	return buf_add(ctx, p, n) == ST_OK;
}

/* The progress pipe's sink: the last byte is the progress. */
static bool to_progress(void *ctx, const void *p, size_t n)
{
	int v = ((const unsigned char *)p)[n - 1];
	*(int *)ctx = v > 100 ? 100 : v;
	return true;
}

/* Reads what is there from FD into SINK. Returns 1 at EOF, 0 when more may come, -1 when the
 * sink refused (a full buffer, a failed derived file). */
static int drain(int fd, drain_sink sink, void *ctx)
{
	static char chunk[LIMIT_IO_CHUNK * 4];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n == 0)
			return 1;
		if (n < 0)
			return errno == EINTR ? 0 : errno == EAGAIN ? 0 : 1;
		if (!sink(ctx, chunk, (size_t)n))
			return -1;
	}
}

enum sandbox_result sandbox_run(const struct sandbox_limits *limits, int in_fd, sandbox_fn fn,
				const void *arg, sandbox_tick_fn tick, void *tick_ctx,
				struct buf *out, int *detail_out)
{
	return sandbox_run_hooked(limits, NULL, in_fd, fn, arg, tick, tick_ctx, out, detail_out);
}

enum sandbox_result sandbox_run_hooked(const struct sandbox_limits *limits,
				       const struct sandbox_hooks *hooks, int in_fd, sandbox_fn fn,
				       const void *arg, sandbox_tick_fn tick, void *tick_ctx,
				       struct buf *out, int *detail_out)
{
	struct sandbox_task t = {hooks, in_fd, fn, arg, out, SANDBOX_OK, 0};
	enum sandbox_result r = sandbox_run_many(limits, &t, 1, tick, tick_ctx, NULL);
	if (detail_out)
		*detail_out = t.detail;
	return r;
}

/* One running child of sandbox_run_many. */
struct running {
	pid_t pid;
	int out_fd, prog_fd, data_fd; /* read ends, -1 once at EOF (or never opened) */
	int progress;
	enum sandbox_result killed; /* why we killed it, if we did */
	int status;
	bool reaped;
};

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
}

/* Forks task T's child; false if the pipes or the fork could not be made. */
static bool spawn(const struct sandbox_limits *limits, const struct sandbox_task *t,
		  struct running *r)
{
	bool with_data = t->hooks && t->hooks->sink;
	int out_p[2] = {-1, -1}, prog_p[2] = {-1, -1}, data_p[2] = {-1, -1};
	if (pipe2(out_p, O_CLOEXEC) != 0 || pipe2(prog_p, O_CLOEXEC) != 0 ||
	    (with_data && pipe2(data_p, O_CLOEXEC) != 0)) {
		close_pair(out_p);
		close_pair(prog_p);
		close_pair(data_p);
		return false;
	}
	pid_t parent = getpid();
	fflush(NULL); /* nothing buffered twice */
	pid_t pid = fork();
	if (pid == 0)
		child_main(limits, t->hooks, t->in_fd, out_p[1], prog_p[1], data_p[1], parent, t->fn,
			   t->arg);
	close(out_p[1]);
	close(prog_p[1]);
	if (with_data)
		close(data_p[1]);
	if (pid < 0) {
		close(out_p[0]);
		close(prog_p[0]);
		if (with_data)
			close(data_p[0]);
		return false;
	}
	fcntl(out_p[0], F_SETFL, O_NONBLOCK);
	fcntl(prog_p[0], F_SETFL, O_NONBLOCK);
	if (with_data)
		fcntl(data_p[0], F_SETFL, O_NONBLOCK);
	*r = (struct running){pid, out_p[0], prog_p[0], with_data ? data_p[0] : -1, 0, SANDBOX_OK,
			      0, false};
	return true;
}

static void stop(struct running *r, enum sandbox_result why)
{
	if (r->killed == SANDBOX_OK && !r->reaped) {
		r->killed = why;
		kill(r->pid, SIGKILL);
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* How child R ended, as a result, with *DETAIL. */
static enum sandbox_result classify(const struct running *r, const struct sandbox_limits *limits,
				    int *detail)
{
	*detail = 0;
	if (r->killed != SANDBOX_OK) {
		if (r->killed == SANDBOX_TIMEOUT)
			*detail = (int)limits->wall_ms;
		return r->killed;
	}
	if (WIFEXITED(r->status)) {
		int code = WEXITSTATUS(r->status);
		if (code == 0)
			return SANDBOX_OK;
		if (code == SANDBOX_EXIT_NOMEM)
			return SANDBOX_LIMIT;
		*detail = code;
		return SANDBOX_FAILED;
	}
	int sig = WIFSIGNALED(r->status) ? WTERMSIG(r->status) : 0;
	*detail = sig;
	switch (sig) {
	case SIGSYS:
		return SANDBOX_FORBIDDEN;
	case SIGXCPU:
	case SIGXFSZ:
	case SIGKILL: /* not from us: the CPU hard limit (or the kernel's OOM killer) */
		return SANDBOX_LIMIT;
	default:
		return SANDBOX_CRASHED;
	}
}

enum sandbox_result sandbox_run_many(const struct sandbox_limits *limits,
				     struct sandbox_task *tasks, size_t n, sandbox_tick_fn tick,
				     void *tick_ctx, size_t *failed_out)
{
	struct sandbox_limits defaults;
	if (!limits) {
		sandbox_default_limits(&defaults);
		limits = &defaults;
	}
	if (failed_out)
		*failed_out = 0;
	if (n == 0 || n > SANDBOX_MAX_TASKS)
		return SANDBOX_ERROR;
	struct running run[SANDBOX_MAX_TASKS];
	size_t started = 0;
	for (; started < n; started++) {
		tasks[started].result = SANDBOX_OK;
		tasks[started].detail = 0;
		if (!spawn(limits, &tasks[started], &run[started]))
			break;
	}
	if (started < n) {
		/* The others are stopped; the one that could not start is the failure. */
		for (size_t i = 0; i < n; i++)
			tasks[i].result = i < started ? SANDBOX_ABORTED : SANDBOX_ERROR;
		for (size_t i = 0; i < started; i++)
			stop(&run[i], SANDBOX_ABORTED);
	}
	int64_t start = monotonic_ms(), last_tick = start;
	size_t live = started;
	while (live > 0) {
		struct pollfd pf[3 * SANDBOX_MAX_TASKS];
		size_t np = 0;
		for (size_t i = 0; i < started; i++) {
			pf[np++] = (struct pollfd){run[i].out_fd, POLLIN, 0};
			pf[np++] = (struct pollfd){run[i].prog_fd, POLLIN, 0};
			pf[np++] = (struct pollfd){run[i].data_fd, POLLIN, 0};
		}
		bool any_open = false;
		for (size_t i = 0; i < np; i++)
			any_open |= pf[i].fd >= 0;
		if (any_open && poll(pf, np, 100) > 0) {
			for (size_t i = 0; i < started; i++) {
				struct running *r = &run[i];
				struct pollfd *p = &pf[3 * i];
				if (r->data_fd >= 0 && p[2].revents) {
					int d = drain(r->data_fd, tasks[i].hooks->sink,
						      tasks[i].hooks->sink_ctx);
					if (d < 0)
						stop(r, SANDBOX_BAD_OUTPUT);
					if (d != 0)
						close_fd(&r->data_fd);
				}
				if (r->out_fd >= 0 && p[0].revents) {
					int d = drain(r->out_fd, to_buf, tasks[i].out);
					if (d < 0)
						stop(r, SANDBOX_BAD_OUTPUT);
					if (d != 0)
						close_fd(&r->out_fd);
				}
				if (r->prog_fd >= 0 && p[1].revents &&
				    drain(r->prog_fd, to_progress, &r->progress) != 0)
					close_fd(&r->prog_fd);
			}
		} else if (!any_open) {
			struct timespec ts = {0, 10 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		/* A child is reaped once its pipes are closed (it exited or was killed). */
		for (size_t i = 0; i < started; i++) {
			struct running *r = &run[i];
			if (r->reaped || r->out_fd >= 0 || r->prog_fd >= 0 || r->data_fd >= 0)
				continue;
			pid_t w = waitpid(r->pid, &r->status, WNOHANG);
			if (w == r->pid || (w < 0 && errno != EINTR)) {
				r->reaped = true;
				live--;
				tasks[i].result = classify(r, limits, &tasks[i].detail);
				/* One part failing fails the whole: the others are stopped. */
				if (tasks[i].result != SANDBOX_OK)
					for (size_t k = 0; k < started; k++)
						stop(&run[k], SANDBOX_ABORTED);
			}
		}
		int64_t now = monotonic_ms();
		if (now - start > (int64_t)limits->wall_ms)
			for (size_t i = 0; i < started; i++)
				stop(&run[i], SANDBOX_TIMEOUT);
		if (tick && now - last_tick >= 1000) {
			last_tick = now;
			int sum = 0;
			for (size_t i = 0; i < started; i++)
				sum += run[i].reaped ? 100 : run[i].progress;
			if (!tick(tick_ctx, sum / (int)started))
				for (size_t i = 0; i < started; i++)
					stop(&run[i], SANDBOX_ABORTED);
		}
	}
	/* The result: the first failure that is not a consequence of another's. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++)
			if (tasks[i].result != SANDBOX_OK &&
			    (pass == 1 || tasks[i].result != SANDBOX_ABORTED)) {
				if (failed_out)
					*failed_out = i;
				return tasks[i].result;
			}
	return SANDBOX_OK;
}

const char *sandbox_describe(enum sandbox_result result, int detail, char *buf, size_t n)
{
	switch (result) {
	case SANDBOX_OK:
		snprintf(buf, n, "ok");
		break;
	case SANDBOX_FAILED:
		snprintf(buf, n, "the parser failed (exit status %d)", detail);
		break;
	case SANDBOX_CRASHED:
		snprintf(buf, n, "the parser crashed (signal %d, %s)", detail, strsignal(detail));
		break;
	case SANDBOX_TIMEOUT:
		snprintf(buf, n, "the parser took longer than %d s and was stopped", detail / 1000);
		break;
	case SANDBOX_LIMIT:
		snprintf(buf, n, "the parser went over its %s limit and was stopped",
			 detail == SIGXCPU || detail == SIGKILL ? "CPU time"
			 : detail == SIGXFSZ		     ? "file size"
							     : "memory");
		break;
	case SANDBOX_FORBIDDEN:
		snprintf(buf, n, "the parser tried a forbidden system call and was killed");
		break;
	case SANDBOX_BAD_OUTPUT:
		snprintf(buf, n, "the parser's output was larger than allowed");
		break;
	case SANDBOX_ABORTED:
		snprintf(buf, n, "stopped: the worker is stopping or lost the job");
		break;
	case SANDBOX_ERROR:
	default:
		snprintf(buf, n, "the sandbox could not be set up");
		break;
	}
	return buf;
}
