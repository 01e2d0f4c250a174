"""Who sees what (docs/api.md "Who sees what"): roles and clearance, and no existence leak."""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

MISSING = 987654321


class AccessTests(h.SidangTestCase):
    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()
        d = cls.data
        cls.owner = d.add_user(roles=("pengelola_persidangan",), clearance="sangat_rahasia")
        cls.outsiders = {role: d.add_user(roles=(role,), clearance="sangat_rahasia")
                         for role in ("reader", "admin", "auditor")}
        cls.low = d.add_user(roles=("pengelola_persidangan",), clearance="biasa")
        cls.terbatas = d.add_user(roles=("kasubbag_pengelolaan",), clearance="terbatas")
        cls.rahasia = d.add_user(roles=("kabag_persidangan",), clearance="rahasia")
        cls.high = d.add_user(roles=("karo_hph",), clearance="sangat_rahasia")

        owner = h.new_client(cls.server, cls.owner)

        def meeting(classification):
            r = owner.post("/api/meetings", h.meeting_body(classification=classification))
            assert r.status == 201, r.describe()
            return r.json()

        def upload(mid, **kw):
            r = owner.upload(mid, h.pdf_bytes(), **kw)
            assert r.status == 201, r.describe()
            return r.json()

        cls.biasa_meeting = meeting("biasa")
        cls.biasa_doc = upload(cls.biasa_meeting["id"])
        # a rahasia document inside a biasa meeting
        cls.hidden_doc = upload(cls.biasa_meeting["id"], extra={"classification": "rahasia"},
                                stage="pelaksanaan", type="notulensi")
        cls.rahasia_meeting = meeting("rahasia")
        cls.rahasia_doc = upload(cls.rahasia_meeting["id"])

    def paths(self, meeting, doc):
        return ["/api/meetings/%d" % meeting["id"],
                "/api/meetings/%d/documents" % meeting["id"],
                "/api/documents/%d" % doc["id"],
                "/api/documents/%d/content" % doc["id"],
                "/api/documents/%d/content?version=1" % doc["id"],
                "/api/documents/%d/content?inline=1" % doc["id"]]

    def missing_paths(self):
        return ["/api/meetings/%d" % MISSING, "/api/meetings/%d/documents" % MISSING,
                "/api/documents/%d" % MISSING, "/api/documents/%d/content" % MISSING,
                "/api/documents/%d/content?version=1" % MISSING,
                "/api/documents/%d/content?inline=1" % MISSING]

    def assertInvisible(self, c, meeting, doc):
        for path, missing in zip(self.paths(meeting, doc), self.missing_paths()):
            with self.subTest(path=path):
                r = c.get(path)
                self.assertError(r, 404, "not_found")
                ref = c.get(missing)
                self.assertEqual(ref.status, 404, ref.describe())
                self.assertEqual(r.json(), ref.json(),
                                 "a hidden object answers differently from a missing one")
                self.assertNotIn(b"%PDF", r.body)

    def listed_meeting_ids(self, c):
        r = c.get("/api/meetings?limit=200")
        self.assertEqual(r.status, 200, r.describe())
        return [m["id"] for m in r.json()["items"]], r.json()["total"]

    # --- non-bureau roles -------------------------------------------------------------------

    def test_outsiders_list_nothing(self):
        for role, name in self.outsiders.items():
            with self.subTest(role=role):
                c = self.login(self.server, name)
                r = c.get("/api/meetings")
                self.assertEqual(r.status, 200, r.describe())
                self.assertEqual(r.json()["items"], [])
                self.assertEqual(r.json()["total"], 0)

    def test_outsiders_get_404_like_missing(self):
        for role, name in self.outsiders.items():
            with self.subTest(role=role):
                c = self.login(self.server, name)
                self.assertInvisible(c, self.biasa_meeting, self.biasa_doc)
                self.assertInvisible(c, self.rahasia_meeting, self.rahasia_doc)

    def test_outsiders_cannot_write(self):
        before, blobs = self.data.counts(), self.data.blob_files()
        for role, name in self.outsiders.items():
            with self.subTest(role=role):
                c = self.login(self.server, name)
                mid = self.biasa_meeting["id"]
                self.assertError(c.post("/api/meetings", h.meeting_body()), 403, "forbidden")
                r = c.patch("/api/meetings/%d" % mid, {"title": "dibajak"})
                self.assertError(r, 404, "not_found")
                r = c.upload(mid, h.pdf_bytes())
                self.assertError(r, 404, "not_found")
                r = c.upload_version(self.biasa_doc["id"], h.pdf_bytes())
                self.assertError(r, 404, "not_found")
        self.assertNothingStored(self.data, before, blobs, "by outsiders")
        owner = self.login(self.server, self.owner)
        self.assertEqual(owner.get("/api/meetings/%d" % self.biasa_meeting["id"]).json()["title"],
                         self.biasa_meeting["title"])

    # --- clearance --------------------------------------------------------------------------

    def test_low_clearance_cannot_see_rahasia(self):
        for name in (self.low, self.terbatas):
            with self.subTest(user=name):
                c = self.login(self.server, name)
                ids, _ = self.listed_meeting_ids(c)
                self.assertIn(self.biasa_meeting["id"], ids)
                self.assertNotIn(self.rahasia_meeting["id"], ids)
                self.assertInvisible(c, self.rahasia_meeting, self.rahasia_doc)

    def test_low_clearance_total_excludes_hidden(self):
        c = self.login(self.server, self.low)
        ids, total = self.listed_meeting_ids(c)
        self.assertEqual(total, len(ids), "total counts meetings the user cannot see")

    def test_sufficient_clearance_sees_rahasia(self):
        for name in (self.rahasia, self.high, self.owner):
            with self.subTest(user=name):
                c = self.login(self.server, name)
                ids, _ = self.listed_meeting_ids(c)
                self.assertIn(self.rahasia_meeting["id"], ids)
                r = c.get("/api/meetings/%d" % self.rahasia_meeting["id"])
                self.assertEqual(r.status, 200, r.describe())
                r = c.get("/api/documents/%d" % self.rahasia_doc["id"])
                self.assertEqual(r.status, 200, r.describe())
                r = c.get("/api/documents/%d/content" % self.rahasia_doc["id"])
                self.assertEqual(r.status, 200, r.describe())
                self.assertEqual(h.sha256_hex(r.body),
                                 self.rahasia_doc["current_version"]["sha256"])
                docs = c.get("/api/meetings/%d/documents" % self.biasa_meeting["id"]).json()
                self.assertIn(self.hidden_doc["id"], [d["id"] for d in docs["items"]])

    def test_rahasia_document_in_biasa_meeting_hidden(self):
        c = self.login(self.server, self.low)
        r = c.get("/api/meetings/%d/documents" % self.biasa_meeting["id"])
        self.assertEqual(r.status, 200, r.describe())
        ids = [d["id"] for d in r.json()["items"]]
        self.assertIn(self.biasa_doc["id"], ids)
        self.assertNotIn(self.hidden_doc["id"], ids)
        r = c.get("/api/meetings/%d/documents?stage=pelaksanaan" % self.biasa_meeting["id"])
        self.assertEqual(r.json()["items"], [])
        for path, missing in (("/api/documents/%d" % self.hidden_doc["id"],
                               "/api/documents/%d" % MISSING),
                              ("/api/documents/%d/content" % self.hidden_doc["id"],
                               "/api/documents/%d/content" % MISSING)):
            r = c.get(path)
            self.assertError(r, 404, "not_found")
            self.assertEqual(r.json(), c.get(missing).json())
        # and no new version can be pushed onto it
        r = c.upload_version(self.hidden_doc["id"], h.pdf_bytes())
        self.assertError(r, 404, "not_found")

    def test_document_count_counts_only_visible(self):
        # Contract silent; counting hidden documents would leak their existence.
        c = self.login(self.server, self.low)
        m = c.get("/api/meetings/%d" % self.biasa_meeting["id"]).json()
        visible = c.get("/api/meetings/%d/documents" % self.biasa_meeting["id"]).json()["items"]
        self.assertEqual(m["document_count"], len(visible))

    def test_cannot_create_above_own_clearance(self):
        # Contract silent; creating what one then cannot see makes no sense, and an upload
        # classified above the uploader's clearance would let anyone raise a document out of
        # their colleagues' sight. A serious system refuses (403 or 400).
        c = self.login(self.server, self.low)
        r = c.post("/api/meetings", h.meeting_body(classification="rahasia"))
        self.assertError(r, (400, 403))
        r = c.upload(self.biasa_meeting["id"], h.pdf_bytes(),
                     extra={"classification": "sangat_rahasia"})
        self.assertError(r, (400, 403))

    def test_revoked_role_takes_effect_on_open_session(self):
        # Contract silent on timing; a serious system re-reads roles on every request, so a
        # revoked officer loses sight at once, not at the next login.
        name = self.data.add_user(roles=("pengelola_persidangan",), clearance="biasa")
        c = self.login(self.server, name)
        path = "/api/meetings/%d" % self.biasa_meeting["id"]
        self.assertEqual(c.get(path).status, 200)
        r = self.data.cli("user", "revoke-role", name, "pengelola_persidangan")
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertError(c.get(path), 404, "not_found")
        self.assertEqual(c.get("/api/meetings").json()["items"], [])
        r = self.data.cli("user", "grant-role", name, "pengelola_naskah")
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertEqual(c.get(path).status, 200)


if __name__ == "__main__":
    h.main()
