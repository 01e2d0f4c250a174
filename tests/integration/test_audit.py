"""The tamper-evident audit trail: `sidang audit verify`, tampering, what is recorded."""

import os
import re
import sqlite3
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

OK_RE = re.compile(r"audit chain ok: (\d+) entries, (\d+) checkpoints")
BROKEN_RE = re.compile(r"audit chain broken at entry (\d+)")


class AuditChainTests(h.SidangTestCase):
    def setUp(self):
        self.data = self.new_data()
        self.user = self.data.add_user(roles=("pengelola_persidangan",))
        self.server = self.start_server(self.data)
        self.c = self.login(self.server, self.user)
        self.m = self.create_meeting(self.c)
        self.doc = self.upload_ok(self.c, self.m["id"])
        self.assertEqual(self.c.get("/api/documents/%d/content" % self.doc["id"]).status, 200)
        self.assertEqual(self.c.get("/api/documents/%d" % self.doc["id"]).status, 200)

    def verify(self):
        return self.data.cli("audit", "verify")

    def assertVerifyOk(self):
        r = self.verify()
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertIn("audit chain ok", r.stdout, r.describe())
        m = OK_RE.search(r.stdout)
        self.assertIsNotNone(m, r.describe())
        n = self.data.query("SELECT count(*) FROM audit_log")[0][0]
        self.assertEqual(int(m.group(1)), n, r.describe())
        return int(m.group(1)), int(m.group(2))

    def assertVerifyBroken(self, seqs):
        r = self.verify()
        self.assertEqual(r.returncode, 1, r.describe())
        m = BROKEN_RE.search(r.output)
        self.assertIsNotNone(m, "no 'audit chain broken at entry N': " + r.describe())
        self.assertIn(int(m.group(1)), seqs, r.describe())
        self.assertNotIn("audit chain ok", r.output)
        return r

    def tamper(self, *statements):
        con = self.data.db_rw()
        try:
            for s in statements:
                con.execute(s)
            con.commit()
        finally:
            con.close()

    def test_verify_ok_while_serving(self):
        entries, _ = self.assertVerifyOk()
        self.assertGreaterEqual(entries, 4)

    def test_update_refused_by_trigger(self):
        self.server.stop()
        con = self.data.db_rw()
        try:
            with self.assertRaises(sqlite3.DatabaseError):
                con.execute("UPDATE audit_log SET detail = '{}' WHERE seq = 1")
            with self.assertRaises(sqlite3.DatabaseError):
                con.execute("DELETE FROM audit_log WHERE seq = 1")
            con.rollback()
        finally:
            con.close()
        self.assertVerifyOk()

    def test_edited_entry_3_detected(self):
        self.assertVerifyOk()
        self.server.stop()
        rows = self.data.query("SELECT seq, detail FROM audit_log WHERE seq = 3")
        self.assertEqual(len(rows), 1, "no audit entry 3")
        self.tamper("DROP TRIGGER audit_log_no_update",
                    "UPDATE audit_log SET detail = '{\"tampered\": true}' WHERE seq = 3")
        self.assertEqual(self.data.query("SELECT detail FROM audit_log WHERE seq = 3")[0][0],
                         '{"tampered": true}')
        r = self.assertVerifyBroken({3})
        self.assertIn("broken at entry 3", r.output)

    def test_edited_actor_detected(self):
        self.server.stop()
        last = self.data.query("SELECT max(seq) FROM audit_log")[0][0]
        self.tamper("DROP TRIGGER audit_log_no_update",
                    "UPDATE audit_log SET actor = 'orang-lain' WHERE seq = %d" % last)
        self.assertVerifyBroken({last})

    def test_deleted_entry_detected(self):
        self.server.stop()
        self.tamper("DROP TRIGGER audit_log_no_delete", "DELETE FROM audit_log WHERE seq = 4")
        self.assertVerifyBroken({4, 5})

    def test_checkpoints_signed_and_checked(self):
        # Enough audited reads for a checkpoint (one every 64 entries).
        for _ in range(70):
            r = self.c.get("/api/documents/%d" % self.doc["id"])
            self.assertEqual(r.status, 200, r.describe())
        cps = self.data.query("SELECT seq, signature FROM audit_checkpoints ORDER BY seq")
        self.assertGreaterEqual(len(cps), 1, "no signed checkpoint after 70+ entries")
        _, checkpoints = self.assertVerifyOk()
        self.assertEqual(checkpoints, len(cps))
        self.server.stop()
        seq, sig = cps[0]
        forged = ("0" if sig[0] != "0" else "1") + sig[1:]
        self.tamper("DROP TRIGGER audit_checkpoints_no_update",
                    "UPDATE audit_checkpoints SET signature = '%s' WHERE seq = %d" % (forged, seq))
        r = self.verify()
        self.assertEqual(r.returncode, 1, r.describe())
        self.assertIn("broken", r.output)


class AuditKeyTests(h.SidangTestCase):
    """The Ed25519 key: checkpoints at shutdown, verify --public-key, a foreign key refused."""

    def setUp(self):
        self.data = self.new_data()
        self.user = self.data.add_user()
        server = self.start_server(self.data)
        c = self.login(server, self.user)
        self.create_meeting(c)
        rc = server.stop()
        self.assertEqual(rc, 0, server.describe())

    def public_key(self, data):
        rows = data.query("SELECT value FROM settings WHERE key = 'audit_public_key'")
        self.assertEqual(len(rows), 1, "no audit_public_key in settings")
        self.assertRegex(rows[0][0], r"^[0-9a-f]{64}$")
        return rows[0][0]

    def test_checkpoint_at_shutdown(self):
        last = self.data.query("SELECT max(seq) FROM audit_log")[0][0]
        cp = self.data.query("SELECT max(seq) FROM audit_checkpoints")[0][0]
        self.assertEqual(cp, last, "no checkpoint at the end of the chain after shutdown")
        r = self.data.cli("audit", "verify")
        self.assertEqual(r.returncode, 0, r.describe())
        m = OK_RE.search(r.stdout)
        self.assertIsNotNone(m, r.describe())
        self.assertGreaterEqual(int(m.group(2)), 1)

    def test_verify_against_kept_public_key(self):
        pk = self.public_key(self.data)
        r = self.data.cli("audit", "verify", "--public-key", pk)
        self.assertEqual(r.returncode, 0, r.describe())
        other = self.public_key(self.new_data())
        self.assertNotEqual(other, pk)
        r = self.data.cli("audit", "verify", "--public-key", other)
        self.assertEqual(r.returncode, 1, r.describe())
        self.assertNotIn("audit chain ok", r.output)
        for bad in ("xyz", pk[:-2], pk + "00"):
            with self.subTest(key=bad):
                r = self.data.cli("audit", "verify", "--public-key", bad)
                self.assertIn(r.returncode, (1, 2), r.describe())
                self.assertTrue(r.stderr.strip(), r.describe())

    def test_swapped_recorded_key_detected(self):
        # An attacker with the database swaps the recorded public key for one of theirs.
        other = self.public_key(self.new_data())
        con = self.data.db_rw()
        try:
            con.execute("UPDATE settings SET value = ? WHERE key = 'audit_public_key'", (other,))
            con.commit()
        finally:
            con.close()
        r = self.data.cli("audit", "verify")
        self.assertEqual(r.returncode, 1, r.describe())
        self.assertNotIn("audit chain ok", r.output)

    def test_serve_refuses_foreign_key_file(self):
        other = self.new_data()
        key = os.path.join(self.data.path, "keys", "audit.key")
        with open(os.path.join(other.path, "keys", "audit.key"), "rb") as f:
            foreign = f.read()
        with open(key, "wb") as f:
            f.write(foreign)
        os.chmod(key, 0o600)
        r = h.cli(["serve", "--port", "0", "--addr", "127.0.0.1", "--data", self.data.path],
                  timeout=20)
        self.assertNotEqual(r.returncode, 0, r.describe())
        self.assertNotIn("listening", r.stdout)
        self.assertIn("key", r.stderr.lower())


class AuditContentTests(h.SidangTestCase):
    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()
        cls.user = cls.data.add_user(roles=("pengelola_persidangan",))
        cls.reader = cls.data.add_user(roles=("reader",))

    def setUp(self):
        self.c = self.login(self.server, self.user)
        self.m = self.create_meeting(self.c)
        self.doc = self.upload_ok(self.c, self.m["id"])

    def rows_for(self, object_id, action_like):
        return self.data.query(
            "SELECT seq, actor, action, object_type, object_id FROM audit_log "
            "WHERE object_id = ? AND action LIKE ? ORDER BY seq", (str(object_id), action_like))

    def test_download_audited(self):
        before = self.rows_for(self.doc["id"], "%download%")
        r = self.c.get("/api/documents/%d/content" % self.doc["id"])
        self.assertEqual(r.status, 200, r.describe())
        after = self.rows_for(self.doc["id"], "%download%")
        self.assertEqual(len(after), len(before) + 1, after)
        self.assertEqual(after[-1][1], self.user)
        self.assertEqual(after[-1][3], "document")
        r = self.c.get("/api/documents/%d/content?version=1" % self.doc["id"])
        self.assertEqual(len(self.rows_for(self.doc["id"], "%download%")), len(before) + 2)

    def test_view_audited(self):
        before = self.rows_for(self.doc["id"], "%view%")
        self.assertEqual(self.c.get("/api/documents/%d" % self.doc["id"]).status, 200)
        after = self.rows_for(self.doc["id"], "%view%")
        self.assertEqual(len(after), len(before) + 1, after)
        self.assertEqual(after[-1][1], self.user)

    def test_upload_and_meeting_audited(self):
        self.assertGreaterEqual(len(self.data.query(
            "SELECT 1 FROM audit_log WHERE object_type = 'meeting' AND object_id = ?",
            (str(self.m["id"]),))), 1)
        self.assertGreaterEqual(len(self.data.query(
            "SELECT 1 FROM audit_log WHERE object_type = 'document' AND object_id = ?",
            (str(self.doc["id"]),))), 1)

    def test_denied_access_audited(self):
        c = self.login(self.server, self.reader)
        n0 = self.data.query("SELECT count(*) FROM audit_log WHERE actor = ?", (self.reader,))[0][0]
        for path in ("/api/documents/%d" % self.doc["id"],
                     "/api/documents/%d/content" % self.doc["id"]):
            r = c.get(path)
            self.assertEqual(r.status, 404, r.describe())
        rows = self.data.query("SELECT action, object_id FROM audit_log WHERE actor = ? "
                               "ORDER BY seq", (self.reader,))
        self.assertGreaterEqual(len(rows) - n0, 2, "denied accesses not audited: %s" % rows)
        self.assertIn(str(self.doc["id"]), [r[1] for r in rows[n0:]])

    def test_secrets_not_in_audit_log(self):
        secret = "Rahasia-Sekali-987"
        r = h.Client(self.server).login(self.user, secret)
        self.assertEqual(r.status, 401)
        text = " ".join(str(v) for row in self.data.query("SELECT * FROM audit_log")
                        for v in row)
        self.assertNotIn(secret, text, "a tried password is in the audit log")
        self.assertNotIn(h.PASSWORD, text, "a password is in the audit log")
        self.assertNotIn(self.c.cookie, text, "a session token is in the audit log")
        self.assertNotIn(self.c.csrf, text, "a CSRF token is in the audit log")


if __name__ == "__main__":
    h.main()
