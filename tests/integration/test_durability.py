"""Fault tests: full disk, kill -9 mid-upload, start-up sweep, clean stop, restart."""

import os
import signal
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from harness import KiB, MiB  # noqa: E402


def force_fault_injection():
    return os.environ.get("SIDANG_TEST_FORCE_FAULT") == "1"


class DiskFullTests(h.SidangTestCase):
    """A real full disk (a 12 MiB tmpfs) when root; the binary's ENOSPC fault injection
    otherwise."""

    def test_full_disk_upload_507(self):
        base = h.make_tempdir()
        self.addCleanup(h.remove_tempdir, base)
        mnt = os.path.join(base, "mnt")
        real = False
        if os.geteuid() == 0 and not force_fault_injection():
            ok, msg = h.mount_tmpfs(mnt, "12m")
            if ok:
                real = True
                self.addCleanup(h.umount, mnt)  # runs after the server is killed (LIFO)
            else:
                h.note("mounting a tmpfs failed (%s); using SIDANG_FAULT_ENOSPC_AFTER" % msg)
        else:
            h.note("not root (or SIDANG_TEST_FORCE_FAULT=1): full disk simulated with "
                   "SIDANG_FAULT_ENOSPC_AFTER, not a real tmpfs")
        if real:
            h.note("full disk: real 12 MiB tmpfs at %s" % mnt)
            data = self.new_data(os.path.join(mnt, "data"))
            env = None
        else:
            data = self.new_data()
            env = {"SIDANG_FAULT_ENOSPC_AFTER": str(4 * MiB)}
        user = data.add_user()
        server = self.start_server(data, env=env)
        c = self.login(server, user)
        m = self.create_meeting(c)
        before, blobs = data.counts(), data.blob_files()

        r = c.upload(m["id"], h.pdf_bytes(20 * MiB), filename="penuh.pdf")
        self.assertError(r, 507, "insufficient_storage")
        self.assertTrue(server.alive(), "server died on a full disk")
        self.assertNothingStored(data, before, blobs, "by an upload that hit a full disk")
        self.assertEqual(data.tmp_files(), [])

        # The server goes on serving.
        self.assertEqual(h.Client(server).get("/api/health").status, 200)
        if not real:
            # With fault injection every later write fails too; go on without it.
            server.stop()
            server = self.start_server(data)
        c2 = self.login(server, user)
        self.assertEqual(c2.get("/api/meetings/%d" % m["id"]).status, 200)
        small = h.pdf_bytes(20 * KiB)
        d = self.upload_ok(c2, m["id"], small)
        dl = c2.get("/api/documents/%d/content" % d["id"])
        self.assertEqual(dl.body, small)
        self.assertEqual(data.stray_blob_files(), [])
        server.stop()
        r = data.cli("audit", "verify")
        self.assertEqual(r.returncode, 0, r.describe())


class FsyncFailureTests(h.SidangTestCase):
    def test_failing_fsync_stores_nothing(self):
        """SIDANG_FAULT_FSYNC=N (src/util/fsio.h): the Nth fsync fails with EIO. An upload
        whose fsync fails must answer an error (never a 201) and store no row and no temporary
        file. A blob file already linked under its address may stay until the next start-up
        sweep (it may be shared with a concurrent upload of the same bytes), but no longer."""
        data = self.new_data()
        user = data.add_user()
        setup = self.start_server(data)
        m = self.create_meeting(self.login(setup, user))
        setup.stop()
        failed = 0
        for nth in (1, 2, 3, 4):
            with self.subTest(fsync=nth):
                server = self.start_server(data, env={"SIDANG_FAULT_FSYNC": str(nth)})
                self.assertEqual(data.stray_blob_files(), [],
                                 "start-up sweep left unreferenced blobs")
                c = self.login(server, user)
                before = data.counts()
                pdf = h.pdf_bytes(64 * KiB)
                r = c.upload(m["id"], pdf)
                if r.status == 201:
                    got = c.get("/api/documents/%d/content" % r.json()["id"])
                    self.assertEqual(got.body, pdf)
                else:
                    failed += 1
                    self.assertError(r, (500, 507))
                    self.assertEqual(data.counts(), before, "rows stored though fsync failed")
                    self.assertEqual(data.wait_tmp_empty(), [])
                    # the next upload (no more faults) works
                    self.upload_ok(c, m["id"])
                server.stop()
        self.assertGreater(failed, 0, "SIDANG_FAULT_FSYNC never made an upload fail")
        server = self.start_server(data)
        self.assertEqual(data.stray_blob_files(), [], "start-up sweep left unreferenced blobs")


class KillTests(h.SidangTestCase):
    def test_kill_9_mid_upload_leaves_nothing(self):
        data = self.new_data()
        user = data.add_user()
        server = self.start_server(data)
        c = self.login(server, user)
        m = self.create_meeting(c)
        kept = h.pdf_bytes(100 * KiB)
        kept_doc = self.upload_ok(c, m["id"], kept)
        before, blobs = data.counts(), data.blob_files()

        size = 30 * MiB
        ctype, body = h.multipart([("stage", "pelaksanaan"), ("type", "notulensi"),
                                   ("source", "born_digital")],
                                  h.FilePart(h.pdf_bytes(size), "besar.pdf"))
        up = h.PartialUpload(server.host, server.port,
                             "/api/meetings/%d/documents" % m["id"],
                             {"Content-Type": ctype, "Cookie": "sidang_session=" + c.cookie,
                              "X-CSRF-Token": c.csrf}, body)
        try:
            up.send(len(body) // 2)
            deadline = time.monotonic() + 20
            while not data.tmp_files():
                self.assertLess(time.monotonic(), deadline,
                                "no file in blobs/tmp while an upload is half sent")
                time.sleep(0.01)
            server.kill()
            self.assertEqual(server.proc.returncode, -signal.SIGKILL)
        finally:
            up.close()

        self.assertNotEqual(data.tmp_files(), [], "the kill left no leftover to sweep?")
        server = self.start_server(data)
        self.assertEqual(data.tmp_files(), [], "blobs/tmp not swept at start-up")
        self.assertEqual(data.counts(), before, "a half-sent upload left rows")
        self.assertEqual(data.blob_files(), blobs, "a half-sent upload left a blob")
        self.assertEqual(data.stray_blob_files(), [])
        r = data.query("PRAGMA integrity_check")
        self.assertEqual(r, [("ok",)])

        c = self.login(server, user)
        self.assertEqual(c.get("/api/documents/%d/content" % kept_doc["id"]).body, kept)
        self.upload_ok(c, m["id"], h.pdf_bytes(10 * KiB))
        self.assertEqual(data.stray_blob_files(), [])
        server.stop()
        r = data.cli("audit", "verify")
        self.assertEqual(r.returncode, 0, r.describe())


class RestartTests(h.SidangTestCase):
    def test_startup_sweeps_tmp_leftovers(self):
        data = self.new_data()
        os.makedirs(data.tmp_dir, exist_ok=True)
        for name in ("upload-leftover", "x.partial", ".hidden"):
            with open(os.path.join(data.tmp_dir, name), "wb") as f:
                f.write(os.urandom(1000))
        server = self.start_server(data)
        # the address is printed only after the sweep
        self.assertEqual(data.tmp_files(), [])
        self.assertEqual(h.Client(server).get("/api/health").status, 200)

    def test_sigterm_stops_cleanly(self):
        data = self.new_data()
        server = self.start_server(data)
        self.assertEqual(h.Client(server).get("/api/health").status, 200)
        server.proc.send_signal(signal.SIGTERM)
        rc = server.proc.wait(timeout=15)
        self.assertEqual(rc, 0, server.describe())
        self.assertEqual(data.query("PRAGMA integrity_check"), [("ok",)])

    def test_sigint_stops_cleanly(self):
        data = self.new_data()
        server = self.start_server(data)
        server.proc.send_signal(signal.SIGINT)
        rc = server.proc.wait(timeout=15)
        self.assertEqual(rc, 0, server.describe())

    def test_documents_survive_restart_and_kill(self):
        data = self.new_data()
        user = data.add_user()
        server = self.start_server(data)
        c = self.login(server, user)
        m = self.create_meeting(c)
        pdf = h.pdf_bytes(500 * KiB)
        d = self.upload_ok(c, m["id"], pdf)
        # a 201 means durable: even kill -9 right after must not lose it
        server.kill()
        server = self.start_server(data)
        c = self.login(server, user)
        r = c.get("/api/documents/%d/content" % d["id"])
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(r.body, pdf)
        self.assertEqual(c.get("/api/meetings/%d" % m["id"]).json()["title"], m["title"])

    def test_corrupted_blob_never_served(self):
        # docs/api.md: bytes are re-checked against their SHA-256 on the way out; a mismatch is
        # a 500, never corrupt bytes.
        data = self.new_data()
        user = data.add_user()
        server = self.start_server(data)
        c = self.login(server, user)
        m = self.create_meeting(c)
        pdf = h.pdf_bytes(200 * KiB)
        d = self.upload_ok(c, m["id"], pdf)
        sha = d["current_version"]["sha256"]
        files = [p for p in data.blob_files()
                 if p.replace(os.sep, "").lower() == sha or os.path.basename(p).lower() == sha]
        self.assertEqual(len(files), 1, "blob file of %s not found in %s" % (sha,
                                                                              data.blob_files()))
        path = os.path.join(data.blobs_dir, files[0])
        os.chmod(path, 0o600)
        with open(path, "r+b") as f:
            f.seek(100 * KiB)
            b = f.read(1)
            f.seek(100 * KiB)
            f.write(bytes([b[0] ^ 0xff]))
        try:
            r = c.get("/api/documents/%d/content" % d["id"])
        except Exception as e:  # a connection cut mid-body is acceptable; corrupt bytes are not
            h.note("download of a corrupted blob ended with %r" % e)
            return
        self.assertNotEqual(r.status, 200, "a corrupted blob was served with 200")
        self.assertNotEqual(r.body, pdf)
        self.assertEqual(r.status, 500, r.describe())
        self.assertTrue(server.alive())


if __name__ == "__main__":
    h.main()
