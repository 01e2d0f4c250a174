"""The job queue and its workers: verify_blob after every upload, a worker killed mid-job (the job
is retried by another worker after its lease expires), a crashing and a forbidden parser (the job
fails with a readable error, the server keeps serving), a corrupted blob, serve restarting a dead
worker. Test jobs are queued with `sidang worker --enqueue-test KIND --document ID`, which needs
SIDANG_TEST_JOBS=1 (docs/cli.md)."""

import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

TEST_ENV = {"SIDANG_TEST_JOBS": "1"}
JOB_KEYS = {"id", "kind", "state", "attempts", "progress", "error", "created_at", "finished_at"}


class JobsCase(h.SidangTestCase):
    def setup_data(self, args=(), env=None):
        self.data = self.new_data()
        self.user = self.data.add_user(roles=("pengelola_naskah",), clearance="sangat_rahasia")
        self.server = self.start_server(self.data, args=args, env=env)
        self.c = self.login(self.server, self.user)
        self.m = self.create_meeting(self.c)

    def jobs(self, doc_id):
        r = self.c.get("/api/documents/%d/jobs" % doc_id)
        self.assertEqual(r.status, 200, r.describe())
        return r.json()["items"]

    def wait_job(self, doc_id, kind, states=("done", "failed"), timeout=60.0, job_id=None):
        deadline = time.monotonic() + timeout
        while True:
            for j in self.jobs(doc_id):
                if j["kind"] == kind and (job_id is None or j["id"] == job_id) \
                        and j["state"] in states:
                    return j
            if time.monotonic() > deadline:
                self.fail("no %s job of document %d reached %s in %gs: %r"
                          % (kind, doc_id, states, timeout, self.jobs(doc_id)))
            time.sleep(0.1)

    def enqueue(self, kind, doc_id, *extra):
        env = dict(os.environ)
        env.update(TEST_ENV)
        r = h.cli(["worker", "--enqueue-test", kind, "--document", str(doc_id), "--data",
                   self.data.path] + list(extra), env=env)
        self.assertEqual(r.returncode, 0, r.describe())
        return int(r.stdout.strip())

    def start_worker(self, *args):
        env = dict(os.environ)
        env.update(TEST_ENV)
        p = subprocess.Popen([h.BIN, "worker", "--data", self.data.path] + list(args),
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=None if h.VERBOSE else subprocess.DEVNULL, env=env,
                             preexec_fn=h._child_setup)
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.wait()))
        return p

    def job_row(self, job_id):
        return self.data.query("SELECT state, lease_owner, attempts, progress FROM jobs"
                               " WHERE id = ?", (job_id,))[0]


class VerifyBlobTests(JobsCase):
    def test_upload_is_verified_by_a_worker(self):
        self.setup_data(args=("--workers", "1"))
        d = self.upload_ok(self.c, self.m["id"], h.pdf_bytes(200 * h.KiB))
        j = self.wait_job(d["id"], "verify_blob")
        self.assertEqual(j["state"], "done", j)
        self.assertEqual(set(j) & JOB_KEYS, JOB_KEYS, j)
        self.assertEqual(j["progress"], 100)
        self.assertEqual(j["attempts"], 1)
        self.assertIsNone(j["error"])
        self.assertRegex(j["created_at"], h.ISO_TIME_RE)
        self.assertRegex(j["finished_at"], h.ISO_TIME_RE)
        # A new version gets its own job.
        r = self.c.upload_version(d["id"], h.pdf_bytes(marker=h.unique_marker()))
        self.assertEqual(r.status, 201, r.describe())
        deadline = time.monotonic() + 60
        while True:
            items = [i for i in self.jobs(d["id"]) if i["kind"] == "verify_blob"]
            if len(items) == 2 and all(i["state"] == "done" for i in items):
                break
            self.assertLess(time.monotonic(), deadline, items)
            time.sleep(0.1)
        self.assertEqual([i["version"] for i in items], [1, 2])

    def test_jobs_hidden_like_the_document(self):
        self.setup_data(args=("--workers", "0"))
        d = self.upload_ok(self.c, self.m["id"], extra={"classification": "rahasia"})
        low = self.data.add_user(roles=("pengelola_naskah",), clearance="biasa")
        other = self.login(self.server, low)
        self.assertEqual(other.get("/api/documents/%d/jobs" % d["id"]).status, 404)
        self.assertEqual(self.c.get("/api/documents/999999/jobs").status, 404)
        anon = h.Client(self.server)
        self.assertEqual(anon.get("/api/documents/%d/jobs" % d["id"]).status, 401)
        # Without workers the job waits, queued.
        self.assertEqual([j["state"] for j in self.jobs(d["id"]) if j["kind"] == "verify_blob"],
                         ["queued"])

    def test_corrupted_blob_fails_with_mismatch(self):
        self.setup_data(args=("--workers", "0"))
        data = h.pdf_bytes(100 * h.KiB)
        d = self.upload_ok(self.c, self.m["id"], data)
        sha = h.sha256_hex(data)
        path = os.path.join(self.data.blobs_dir, sha[:2], sha[2:])
        os.chmod(path, 0o644)
        with open(path, "r+b") as f:
            f.seek(5000)
            f.write(b"XXXX")
        r = self.data.cli("worker", "--once")
        self.assertEqual(r.returncode, 0, r.describe())
        j = self.wait_job(d["id"], "verify_blob", timeout=5)
        self.assertEqual(j["state"], "failed", j)
        self.assertEqual(j["error"], "contents do not match their SHA-256")
        self.assertEqual(j["attempts"], 1, "a mismatch is not retried")


class WorkerKillTests(JobsCase):
    def test_killed_worker_job_retried_and_completes(self):
        self.setup_data(args=("--workers", "0"))
        d = self.upload_ok(self.c, self.m["id"])
        job = self.enqueue("sleep", d["id"], "--seconds", "4")
        a = self.start_worker("--id", "worker-a", "--lease-seconds", "2")
        deadline = time.monotonic() + 30
        while True:  # worker-a has the sleep job and is in the middle of it
            state, owner, attempts, progress = self.job_row(job)
            if state == "running" and owner == "worker-a" and progress > 0:
                break
            self.assertLess(time.monotonic(), deadline, (state, owner, progress))
            time.sleep(0.05)
        a.kill()
        a.wait()
        b = self.start_worker("--id", "worker-b", "--lease-seconds", "2")
        j = self.wait_job(d["id"], "sleep", job_id=job, timeout=60)
        self.assertEqual(j["state"], "done", j)
        self.assertEqual(j["attempts"], 2, j)
        self.assertEqual(self.data.query("SELECT result FROM jobs WHERE id = ?", (job,))[0][0],
                         '{"slept": 4}')
        # worker-b stops cleanly on SIGTERM.
        b.send_signal(signal.SIGTERM)
        self.assertEqual(b.wait(timeout=15), 0)

    def test_sigterm_gives_the_job_back(self):
        self.setup_data(args=("--workers", "0"))
        d = self.upload_ok(self.c, self.m["id"])
        job = self.enqueue("sleep", d["id"], "--seconds", "30")
        a = self.start_worker("--id", "worker-a")
        deadline = time.monotonic() + 30
        while self.job_row(job)[:2] != ("running", "worker-a"):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        a.send_signal(signal.SIGTERM)
        self.assertEqual(a.wait(timeout=15), 0)
        state, owner, attempts, _ = self.job_row(job)
        self.assertEqual((state, owner, attempts), ("queued", None, 0))


class BadParserTests(JobsCase):
    def test_crash_fails_after_its_attempts_server_keeps_serving(self):
        clock = h.ClockFile()
        env = dict(TEST_ENV)
        env.update(clock.env())
        self.setup_data(args=("--workers", "1"), env=env)
        d = self.upload_ok(self.c, self.m["id"])
        job = self.enqueue("crash", d["id"], "--max-attempts", "2")
        deadline = time.monotonic() + 60
        while self.job_row(job)[2] < 1 or self.job_row(job)[0] != "queued":
            self.assertLess(time.monotonic(), deadline, self.job_row(job))
            time.sleep(0.05)
        clock.set(20)  # past the 10 s backoff
        j = self.wait_job(d["id"], "crash", job_id=job, states=("failed",))
        self.assertEqual(j["attempts"], 2, j)
        self.assertIn("the parser crashed (signal 11", j["error"])
        self.assertEqual(self.c.get("/api/health").status, 200)
        self.assertTrue(self.server.alive())
        # The verify job of the same document was unaffected.
        self.assertEqual(self.wait_job(d["id"], "verify_blob")["state"], "done")

    def test_forbidden_syscall_fails(self):
        self.setup_data(args=("--workers", "1"), env=TEST_ENV)
        d = self.upload_ok(self.c, self.m["id"])
        job = self.enqueue("forbidden", d["id"], "--max-attempts", "1")
        j = self.wait_job(d["id"], "forbidden", job_id=job, states=("failed",))
        self.assertIn("forbidden system call", j["error"])

    def test_test_kinds_disabled_without_the_variable(self):
        self.setup_data(args=("--workers", "1"))
        d = self.upload_ok(self.c, self.m["id"])
        job = self.enqueue("sleep", d["id"])
        j = self.wait_job(d["id"], "sleep", job_id=job, states=("failed",))
        self.assertIn("SIDANG_TEST_JOBS", j["error"])
        r = self.data.cli("worker", "--enqueue-test", "sleep", "--document", str(d["id"]))
        self.assertEqual(r.returncode, 2, r.describe())


def children(pid):
    out = set()
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out |= {int(x) for x in f.read().split()}
        except OSError:
            pass
    return out


class ServeWorkerTests(JobsCase):
    def test_serve_restarts_a_dead_worker_and_stops_them(self):
        self.setup_data(args=("--workers", "2"))
        pid = self.server.proc.pid
        deadline = time.monotonic() + 10
        while len(children(pid)) < 2:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        first = children(pid)
        victim = sorted(first)[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while True:
            now = children(pid)
            if len(now) == 2 and victim not in now:
                break
            self.assertLess(time.monotonic(), deadline, now)
            time.sleep(0.05)
        d = self.upload_ok(self.c, self.m["id"])
        self.assertEqual(self.wait_job(d["id"], "verify_blob")["state"], "done")
        workers = children(pid)
        self.server.stop()
        self.assertEqual(self.server.proc.returncode, 0)
        for w in workers:
            self.assertFalse(os.path.exists("/proc/%d/status" % w) and
                             "State:\tZ" not in open("/proc/%d/status" % w).read(),
                             "worker %d still running after serve stopped" % w)


if __name__ == "__main__":
    h.main()
