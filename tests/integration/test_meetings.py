"""Meetings: create, list, get, patch, and the validation and size limits of JSON bodies."""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


class MeetingTests(h.SidangTestCase):
    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()
        cls.user = cls.data.add_user(roles=("pengelola_persidangan",), clearance="sangat_rahasia")

    def setUp(self):
        self.c = self.login(self.server, self.user)

    def check_meeting_shape(self, m):
        self.assertEqual(set(m) & h.MEETING_KEYS, h.MEETING_KEYS, m)
        self.assertRegex(m["created_at"], h.ISO_TIME_RE)
        self.assertRegex(m["updated_at"], h.ISO_TIME_RE)

    # --- the happy path -------------------------------------------------------------------

    def test_create_201(self):
        body = h.meeting_body(title="Sidang Kabinet Paripurna", date="2026-11-24",
                              classification="terbatas")
        r = self.c.post("/api/meetings", body)
        self.assertEqual(r.status, 201, r.describe())
        m = r.json()
        self.check_meeting_shape(m)
        self.assertIsInstance(m["id"], int)
        for k in ("title", "number", "date", "place", "chair", "classification"):
            self.assertEqual(m[k], body[k], k)
        self.assertEqual(m["created_by"], self.user)
        self.assertEqual(m["document_count"], 0)

    def test_create_only_required_fields(self):
        r = self.c.post("/api/meetings", {"title": "Rapat Singkat", "date": "2026-01-02",
                                          "classification": "biasa"})
        self.assertEqual(r.status, 201, r.describe())
        m = r.json()
        self.assertEqual(m["title"], "Rapat Singkat")

    def test_get(self):
        m = self.create_meeting(self.c, title="Rapat untuk dibaca")
        r = self.c.get("/api/meetings/%d" % m["id"])
        self.assertEqual(r.status, 200, r.describe())
        got = r.json()
        self.check_meeting_shape(got)
        self.assertEqual(got, m)

    def test_get_missing_404(self):
        self.assertError(self.c.get("/api/meetings/987654321"), 404, "not_found")

    def test_list_contains_and_orders_by_date_desc(self):
        ids = {}
        for d in ("2025-01-15", "2025-03-15", "2025-02-15"):
            ids[d] = self.create_meeting(self.c, date=d, title="urut " + d)["id"]
        r = self.c.get("/api/meetings?limit=200")
        self.assertEqual(r.status, 200, r.describe())
        j = r.json()
        self.assertIsInstance(j["items"], list)
        self.assertIsInstance(j["total"], int)
        for m in j["items"]:
            self.check_meeting_shape(m)
        dates = [m["date"] for m in j["items"]]
        self.assertEqual(dates, sorted(dates, reverse=True), "not newest meeting date first")
        mine = [m["id"] for m in j["items"] if m["id"] in ids.values()]
        self.assertEqual(mine, [ids["2025-03-15"], ids["2025-02-15"], ids["2025-01-15"]])

    def test_list_limit_offset(self):
        for i in range(3):
            self.create_meeting(self.c, title="halaman %d" % i)
        full = self.c.get("/api/meetings?limit=200").json()
        self.assertGreaterEqual(full["total"], 3)
        one = self.c.get("/api/meetings?limit=1")
        self.assertEqual(one.status, 200, one.describe())
        self.assertEqual(len(one.json()["items"]), 1)
        self.assertEqual(one.json()["total"], full["total"], "total must not depend on limit")
        second = self.c.get("/api/meetings?limit=1&offset=1").json()["items"]
        self.assertEqual(second[0]["id"], full["items"][1]["id"])

    def test_list_bad_limit_400(self):
        for q in ("limit=0", "limit=201", "limit=abc", "limit=-1", "offset=-1",
                  "limit=99999999999999999999999"):
            with self.subTest(q=q):
                self.assertError(self.c.get("/api/meetings?" + q), 400)

    def test_patch(self):
        m = self.create_meeting(self.c, title="Judul lama", place="Jakarta")
        r = self.c.patch("/api/meetings/%d" % m["id"], {"title": "Judul baru",
                                                         "date": "2026-12-01"})
        self.assertEqual(r.status, 200, r.describe())
        p = r.json()
        self.check_meeting_shape(p)
        self.assertEqual(p["title"], "Judul baru")
        self.assertEqual(p["date"], "2026-12-01")
        self.assertEqual(p["place"], "Jakarta", "PATCH changed a field it was not given")
        self.assertEqual(p["created_at"], m["created_at"])
        self.assertGreaterEqual(p["updated_at"], m["updated_at"])
        self.assertEqual(self.c.get("/api/meetings/%d" % m["id"]).json()["title"], "Judul baru")

    def test_patch_validation(self):
        m = self.create_meeting(self.c)
        path = "/api/meetings/%d" % m["id"]
        for body, field in (({"date": "2026-13-01"}, "date"),
                            ({"classification": "rahasia_sekali"}, "classification"),
                            ({"title": "x" * 501}, "title"),
                            ({"title": ""}, "title"),
                            ({"hacker": True}, "hacker"),
                            ({"id": 12345}, "id"),
                            ({"created_by": "admin"}, "created_by")):
            with self.subTest(body=str(body)[:60]):
                self.assertError(self.c.patch(path, body), 400, "validation_failed", field)
        self.assertEqual(self.c.get(path).json(), m, "a refused PATCH changed the meeting")

    def test_patch_missing_404(self):
        self.assertError(self.c.patch("/api/meetings/987654321", {"title": "x"}), 404,
                         "not_found")

    # --- validation -----------------------------------------------------------------------

    def test_bad_date_400(self):
        for d in ("2026-13-01", "24-11-2026", "2026-02-30", "2026-1-5", "", "2026-11-24T10:00",
                  "２０２６-11-24", 20261124, None):
            with self.subTest(date=d):
                r = self.c.post("/api/meetings", h.meeting_body(date=d))
                self.assertError(r, 400, "validation_failed", "date")

    def test_bad_classification_400(self):
        for c in ("top_secret", "RAHASIA", "", 2, None):
            with self.subTest(classification=c):
                r = self.c.post("/api/meetings", h.meeting_body(classification=c))
                self.assertError(r, 400, "validation_failed", "classification")

    def test_missing_title_400(self):
        r = self.c.post("/api/meetings", h.meeting_body(title=...))
        self.assertError(r, 400, "validation_failed", "title")
        r = self.c.post("/api/meetings", h.meeting_body(title=""))
        self.assertError(r, 400, "validation_failed", "title")
        r = self.c.post("/api/meetings", h.meeting_body(title=42))
        self.assertError(r, 400, "validation_failed", "title")

    def test_missing_date_or_classification_400(self):
        self.assertError(self.c.post("/api/meetings", h.meeting_body(date=...)), 400,
                         "validation_failed", "date")
        self.assertError(self.c.post("/api/meetings", h.meeting_body(classification=...)), 400,
                         "validation_failed", "classification")

    def test_unknown_field_400(self):
        r = self.c.post("/api/meetings", h.meeting_body(lokasi_rahasia="x"))
        self.assertError(r, 400, "validation_failed", "lokasi_rahasia")
        r = self.c.post("/api/meetings", h.meeting_body(created_by="someone-else"))
        self.assertError(r, 400, "validation_failed", "created_by")

    def test_title_limit_in_bytes(self):
        # exactly 500 bytes: accepted
        r = self.c.post("/api/meetings", h.meeting_body(title="a" * 500))
        self.assertEqual(r.status, 201, r.describe())
        self.assertEqual(r.json()["title"], "a" * 500)
        r = self.c.post("/api/meetings", h.meeting_body(title="é" * 250))  # 500 bytes
        self.assertEqual(r.status, 201, r.describe())
        # 501 bytes: refused, never truncated
        r = self.c.post("/api/meetings", h.meeting_body(title="a" * 501))
        self.assertError(r, 400, "validation_failed", "title")
        # 251 characters but 502 bytes: the limit is in bytes
        r = self.c.post("/api/meetings", h.meeting_body(title="é" * 251))
        self.assertError(r, 400, "validation_failed", "title")

    def test_short_text_limits(self):
        for field in ("number", "place", "chair"):
            with self.subTest(field=field):
                r = self.c.post("/api/meetings", h.meeting_body(**{field: "x" * 200}))
                self.assertEqual(r.status, 201, r.describe())
                r = self.c.post("/api/meetings", h.meeting_body(**{field: "x" * 201}))
                self.assertError(r, 400, "validation_failed", field)

    def test_nul_in_text_refused(self):
        r = self.c.post("/api/meetings", h.meeting_body(title="ab\u0000cd"))
        self.assertError(r, 400)

    def test_body_over_64k_413(self):
        body = ('{"title": "%s", "date": "2026-11-24", "classification": "biasa"}'
                % ("x" * (65 * 1024))).encode()
        r = self.c.raw("POST", "/api/meetings", body, {"Content-Type": "application/json"})
        self.assertError(r, 413, "payload_too_large")
        # also without a Content-Length (chunked): the cap is on bytes read, not on the header
        r = self.c.raw("POST", "/api/meetings", body, {"Content-Type": "application/json"},
                       chunked=True)
        self.assertError(r, 413, "payload_too_large")
        self.assertEqual(h.Client(self.server).get("/api/health").status, 200)

    def test_invalid_json_400(self):
        for raw in (b"{", b"{\"title\": }", b"not json", b"", b"\xff\xfe{}",
                    b'{"title": "a"} trailing'):
            with self.subTest(body=raw):
                r = self.c.request("POST", "/api/meetings", body=raw,
                                   headers={"Content-Type": "application/json"})
                self.assertError(r, 400)

    def test_non_object_json_400(self):
        for v in ([], "x", 1, None, [h.meeting_body()]):
            with self.subTest(body=v):
                self.assertError(self.c.post("/api/meetings", v), 400)

    def test_json_deeper_than_8_400(self):
        def nested(depth):  # the body object is level 1, each array one more
            v = "x"
            for _ in range(depth - 1):
                v = [v]
            return h.meeting_body(title=v)
        # depth 9: refused by the parser, before any field is looked at
        r = self.c.post("/api/meetings", nested(9))
        self.assertError(r, 400, ("invalid_json", "bad_request"))
        r = self.c.post("/api/meetings", nested(40))
        self.assertError(r, 400, ("invalid_json", "bad_request"))
        # depth 8 is within the limit: parsed, then refused only because title is no string
        r = self.c.post("/api/meetings", nested(8))
        self.assertError(r, 400, "validation_failed", "title")
        # A very deep body must not crash the parser (stack) either.
        raw = b'{"title": ' + b"[" * 30000 + b"]" * 30000 + b"}"  # under 64 KiB
        r = self.c.raw("POST", "/api/meetings", raw, {"Content-Type": "application/json"})
        self.assertError(r, (400, 413))
        self.assertEqual(h.Client(self.server).get("/api/health").status, 200)

    def test_duplicate_keys_400(self):
        raw = (b'{"title": "satu", "title": "dua", "date": "2026-11-24", '
               b'"classification": "biasa"}')
        r = self.c.request("POST", "/api/meetings", body=raw,
                           headers={"Content-Type": "application/json"})
        self.assertError(r, 400)


class MeetingRoleTests(h.SidangTestCase):
    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()

    def test_create_needs_bureau_role_403(self):
        for role in ("reader", "admin", "auditor"):
            with self.subTest(role=role):
                c = self.login(self.server, self.data.add_user(roles=(role,)))
                self.assertError(c.post("/api/meetings", h.meeting_body()), 403, "forbidden")

    def test_every_bureau_role_can_create(self):
        for role in h.BUREAU_ROLES:
            with self.subTest(role=role):
                c = self.login(self.server, self.data.add_user(roles=(role,)))
                self.create_meeting(c)


if __name__ == "__main__":
    h.main()
