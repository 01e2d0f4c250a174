"""The scanner inbox and `sidang import` (docs/internals/intake.md, docs/api.md "Scanner inbox"):
files dropped into DATA/inbox are taken once each (a file still being written waits, .tmp files
and dotfiles are left alone, a duplicate is taken and reported, a type outside the allowlist is
moved to inbox/rejected with its reason); the tray over HTTP for the officers of the SOP's alih
media step (403/404 for others); filing creates the document and its jobs; discarding; `sidang
import` of a directory twice takes nothing twice. A crash between the commit and the source's
removal is covered by the unit test (tests/unit/test_intake.c)."""

import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SETTLE_MS = 400
ENV = {"SIDANG_INBOX_SETTLE_MS": str(SETTLE_MS), "SIDANG_INBOX_POLL_MS": "100"}


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


class InboxCase(h.SidangTestCase):
    @classmethod
    def setUpClass(cls):
        h.require_binary()
        cls.data = h.DataDir()
        cls.addClassCleanup(h.remove_tempdir, os.path.dirname(cls.data.path))
        d = cls.data
        cls.officer = d.add_user(roles=("pengelola_persidangan",), clearance="rahasia")
        cls.naskah = d.add_user(roles=("pengelola_naskah",))
        cls.kasubbag = d.add_user(roles=("kasubbag_pengelolaan",))
        cls.admin = d.add_user(roles=("admin",))
        cls.reader = d.add_user(roles=("reader",))
        cls.server = h.Server(d, ("--workers", "0"), ENV).start()
        cls.addClassCleanup(cls.server.check_clean_exit)
        cls.inbox = os.path.join(d.path, "inbox")

    def setUp(self):
        self.c = self.login(self.server, self.officer)

    def items(self, client=None):
        r = (client or self.c).get("/api/intake?limit=200")
        self.assertEqual(r.status, 200, r.describe())
        return r.json()["items"]

    def item_named(self, name):
        for it in self.items():
            if it["filename"] == name:
                return it
        return None

    def wait_for(self, cond, what, timeout=20.0):
        deadline = time.monotonic() + timeout
        while True:
            v = cond()
            if v:
                return v
            if time.monotonic() > deadline:
                self.fail("not within %gs: %s; inbox: %r" % (timeout, what, self.listing()))
            time.sleep(0.05)

    def listing(self):
        out = []
        for root, dirs, files in os.walk(self.inbox):
            out += [os.path.relpath(os.path.join(root, f), self.inbox) for f in files]
        return sorted(out)

    def rows_named(self, name):
        return self.data.query("SELECT id, state FROM intake_items WHERE filename = ?", (name,))

    def drop_and_take(self, name, data):
        write(os.path.join(self.inbox, name), data)
        return self.wait_for(lambda: self.item_named(name), "%s in the tray" % name)


class WatchFolderTests(InboxCase):
    def test_drop_files(self):
        scan = h.pdf_bytes(40 * h.KiB, marker=h.unique_marker())
        write(os.path.join(self.inbox, "scan-001.pdf"), scan)
        write(os.path.join(self.inbox, "scan-001-copy.pdf"), scan)
        write(os.path.join(self.inbox, "sub", "page.png"), h.png_bytes(h.unique_marker()))
        write(os.path.join(self.inbox, "upload.tmp"), scan)
        write(os.path.join(self.inbox, ".hidden.pdf"), scan)
        write(os.path.join(self.inbox, "notes.txt"), b"not a scan at all\n")

        # A scanner writing slowly: the file grows in steps closer than the settle time.
        slow = h.pdf_bytes(64 * h.KiB, marker=h.unique_marker())
        path = os.path.join(self.inbox, "slow.pdf")
        with open(path, "wb") as f:
            for i in range(0, len(slow), 4 * h.KiB):
                f.write(slow[i:i + 4 * h.KiB])
                f.flush()
                self.assertEqual(self.rows_named("slow.pdf"), [], "taken while being written")
                time.sleep(SETTLE_MS / 1000 / 4)

        self.wait_for(lambda: self.listing() == [".hidden.pdf", ".lock", "rejected/notes.txt",
                                                 "rejected/notes.txt.reason.txt",
                                                 "upload.tmp"], "the inbox emptied")
        for name in ("scan-001.pdf", "scan-001-copy.pdf", "page.png", "slow.pdf"):
            self.assertEqual(len(self.rows_named(name)), 1, name)
        self.assertEqual(self.rows_named("notes.txt"), [])
        with open(os.path.join(self.inbox, "rejected", "notes.txt.reason.txt")) as f:
            self.assertIn("text/plain", f.read())

        first, copy = self.item_named("scan-001.pdf"), self.item_named("scan-001-copy.pdf")
        slow_item = self.item_named("slow.pdf")
        self.assertEqual(slow_item["size"], len(slow))
        self.assertEqual(slow_item["sha256"], h.sha256_hex(slow))
        png = self.item_named("page.png")
        self.assertEqual(png["mime"], "image/png")
        self.assertEqual(first["mime"], "application/pdf")
        self.assertEqual(first["source"], "watch")
        self.assertIsNone(first["taken_by"])
        self.assertEqual(first["state"], "waiting")
        self.assertRegex(first["taken_at"], h.ISO_TIME_RE)
        # Whichever of the two was taken first, the other names it.
        older, newer = sorted((first, copy), key=lambda x: x["id"])
        self.assertIsNone(older["duplicate"])
        self.assertEqual(newer["duplicate"], {"kind": "intake", "item_id": older["id"]})
        takes = self.data.query("SELECT count(*) FROM audit_log WHERE action = 'intake.take'")[0][0]
        self.assertGreaterEqual(takes, 4)
        refusals = self.data.query("SELECT detail FROM audit_log WHERE action = 'intake.refuse'")
        self.assertTrue(any("notes.txt" in r[0] for r in refusals), refusals)


class TrayTests(InboxCase):
    def test_who_sees_the_tray(self):
        it = self.drop_and_take("access.pdf", h.pdf_bytes(marker=h.unique_marker()))
        naskah = self.login(self.server, self.naskah)
        self.assertTrue(any(x["id"] == it["id"] for x in self.items(naskah)))
        admin = self.login(self.server, self.admin)
        self.assertTrue(any(x["id"] == it["id"] for x in self.items(admin)))
        for user in (self.kasubbag, self.reader):
            c = self.login(self.server, user)
            self.assertError(c.get("/api/intake"), 403, "forbidden")
        # Anything about one item: hidden from everyone but the officers, like a missing one.
        for user in (self.admin, self.kasubbag, self.reader):
            c = self.login(self.server, user)
            self.assertError(c.get("/api/intake/%d/file" % it["id"]), 404, "not_found")
            self.assertError(c.post("/api/intake/%d/discard" % it["id"], {"reason": "x"}), 404)
            self.assertError(c.post("/api/intake/%d/file" % it["id"], {
                "meeting_id": 1, "stage": "perencanaan", "type": "undangan",
                "scanned_at": "2026-11-20", "scan_device": "x", "scan_pages": 1}), 404)
        self.assertError(self.c.get("/api/intake/999999/file"), 404, "not_found")
        self.assertError(self.c.post("/api/intake/%d/discard" % it["id"], {"reason": "x"},
                                     csrf=False), 403, "csrf_failed")
        self.assertError(self.c.get("/api/intake?limit=0"), 400, "validation_failed", "limit")

    def test_preview_file_and_discard(self):
        data = h.pdf_bytes(30 * h.KiB, marker=h.unique_marker())
        it = self.drop_and_take("undangan rapat.pdf", data)
        r = self.c.get("/api/intake/%d/file?inline=1" % it["id"])
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(r.body, data)
        self.assertEqual(r.header("Content-Type"), "application/pdf")
        self.assertTrue(r.header("Content-Disposition").startswith("inline;"), r.describe())
        self.assertIn("sandbox", r.header("Content-Security-Policy"))
        self.assertEqual(r.header("ETag"), '"%s"' % h.sha256_hex(data))
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")

        m = self.create_meeting(self.c)
        facts = {"meeting_id": m["id"], "stage": "perencanaan", "type": "undangan",
                 "title": "Undangan Rapat Koordinasi", "scanned_by": "Budi",
                 "scanned_at": "2026-11-20T09:30", "scan_device": "Canon DR-C225",
                 "scan_pages": 3}
        r = self.c.post("/api/intake/%d/file" % it["id"], dict(facts, meeting_id=999999))
        self.assertError(r, 400, "validation_failed", "meeting_id")
        r = self.c.post("/api/intake/%d/file" % it["id"], dict(facts, scan_pages=0))
        self.assertError(r, 400, "validation_failed", "scan_pages")
        r = self.c.post("/api/intake/%d/file" % it["id"], dict(facts, colour=True))
        self.assertError(r, 400, "validation_failed", "colour")
        r = self.c.post("/api/intake/%d/file" % it["id"], dict(facts, classification="sangat_rahasia"))
        self.assertError(r, 400, "validation_failed", "classification")
        r = self.c.post("/api/intake/%d/file" % it["id"], facts)
        self.assertEqual(r.status, 201, r.describe())
        doc = r.json()
        self.assertEqual(doc["meeting_id"], m["id"])
        self.assertEqual(doc["source"], "scan")
        self.assertEqual(doc["title"], "Undangan Rapat Koordinasi")
        self.assertEqual(doc["alih_media"], {"scanned_by": "Budi", "scanned_at": "2026-11-20T09:30",
                                             "device": "Canon DR-C225", "pages": 3})
        self.assertEqual(doc["current_version"]["sha256"], h.sha256_hex(data))
        self.assertEqual(doc["current_version"]["filename"], "undangan rapat.pdf")
        jobs = self.c.get("/api/documents/%d/jobs" % doc["id"])
        self.assertEqual(jobs.status, 200, jobs.describe())
        kinds = {j["kind"] for j in jobs.json()["items"]}
        self.assertIn("verify_blob", kinds)
        self.assertIn("extract_text", kinds)
        r = self.c.get("/api/documents/%d/content" % doc["id"])
        self.assertEqual(r.body, data)
        self.assertIsNone(self.item_named("undangan rapat.pdf"))
        self.assertEqual(self.data.query("SELECT state, document_id FROM intake_items WHERE id = ?",
                                         (it["id"],)), [("filed", doc["id"])])
        self.assertError(self.c.post("/api/intake/%d/file" % it["id"], facts), 409, "conflict")
        self.assertError(self.c.post("/api/intake/%d/discard" % it["id"], {"reason": "x"}), 409)

        # The same bytes again: a duplicate of that document, which the officer may see.
        again = self.drop_and_take("undangan-lagi.pdf", data)
        self.assertEqual(again["duplicate"], {"kind": "document", "document_id": doc["id"],
                                              "title": "Undangan Rapat Koordinasi",
                                              "meeting_id": m["id"]})
        naskah = self.login(self.server, self.naskah)
        r = naskah.post("/api/intake/%d/discard" % again["id"], {"reason": ""})
        self.assertError(r, 400, "validation_failed", "reason")
        r = naskah.post("/api/intake/%d/discard" % again["id"], {"reason": "x" * 501})
        self.assertError(r, 400, "validation_failed", "reason")
        r = naskah.post("/api/intake/%d/discard" % again["id"], {"reason": "sudah diunggah"})
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(r.json()["state"], "discarded")
        self.assertEqual(r.json()["discard_reason"], "sudah diunggah")
        self.assertIsNone(self.item_named("undangan-lagi.pdf"))
        actions = [a for (a,) in self.data.query(
            "SELECT action FROM audit_log WHERE object_type = 'intake' AND object_id IN (?, ?)"
            " ORDER BY seq", (str(it["id"]), str(again["id"])))]
        for a in ("intake.take", "intake.view", "intake.file", "intake.discard"):
            self.assertIn(a, actions)
        v = self.data.cli("audit", "verify")
        self.assertEqual(v.returncode, 0, v.describe())


class ImportTests(h.SidangTestCase):
    def test_import_twice_and_move(self):
        data = self.new_data()
        src = os.path.join(h.make_tempdir("sidang-backlog-"), "backlog")
        a = h.pdf_bytes(marker=h.unique_marker())
        write(os.path.join(src, "2019", "a.pdf"), a)
        write(os.path.join(src, "2019", "a-copy.pdf"), a)
        write(os.path.join(src, "2020", "b.jpg"), h.jpeg_bytes(h.unique_marker()))
        write(os.path.join(src, "c.docx"), h.docx_bytes(h.unique_marker()))
        write(os.path.join(src, "half.pdf.part"), a)
        write(os.path.join(src, ".DS_Store"), b"x")
        os.symlink(data.db_path, os.path.join(src, "db.pdf"))
        os.symlink("/etc", os.path.join(src, "etc"))

        r = data.cli("import", src)
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertIn("taken: 4 (1 duplicate(s)", r.stdout)
        self.assertIn("already taken: 0", r.stdout)
        self.assertIn("duplicate: 2019/a.pdf", r.stdout)
        self.assertIn("4/4 ", r.stderr)
        rows = data.query("SELECT filename, source, taken_by, state FROM intake_items ORDER BY id")
        self.assertEqual(sorted(x[0] for x in rows), ["a-copy.pdf", "a.pdf", "b.jpg", "c.docx"])
        self.assertTrue(all(x[1] == "import" and x[2] and x[3] == "waiting" for x in rows), rows)
        self.assertTrue(os.path.exists(os.path.join(src, "2019", "a.pdf")))  # --keep

        r = data.cli("import", src)
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertIn("taken: 0", r.stdout)
        self.assertIn("already taken: 4", r.stdout)
        self.assertEqual(data.query("SELECT count(*) FROM intake_items")[0][0], 4)

        write(os.path.join(src, "notes.txt"), b"plain text\n")
        r = data.cli("import", src, "--move")
        self.assertEqual(r.returncode, 1, r.describe())
        self.assertIn("refused: 1", r.stdout)
        self.assertIn("notes.txt: this file type (text/plain) is not accepted", r.stdout)
        self.assertIn("already taken: 4", r.stdout)
        left = sorted(os.path.relpath(os.path.join(root, f), src)
                      for root, dirs, files in os.walk(src) for f in files)
        self.assertEqual(left, [".DS_Store", "db.pdf", "half.pdf.part", "notes.txt"])
        self.assertEqual(data.query("SELECT count(*) FROM intake_items")[0][0], 4)
        self.assertEqual(data.stray_blob_files(), [])

        r = data.cli("import", src, "--keep", "--move")
        self.assertEqual(r.returncode, 2, r.describe())
        r = data.cli("import", os.path.join(src, "missing"))
        self.assertEqual(r.returncode, 1, r.describe())
        v = data.cli("audit", "verify")
        self.assertEqual(v.returncode, 0, v.describe())


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
