"""Full-text search over HTTP (docs/api.md "Search"): who finds what, totals that leak nothing,
filters, snippets as segments, paging in one order, refusals, and the audit entry of each
search."""

import json
import os
import sys
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


def q(**params):
    return "/api/search?" + urllib.parse.urlencode(params)


class SearchTests(h.SidangTestCase):
    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()
        d = cls.data
        cls.owner = d.add_user(roles=("pengelola_persidangan",), clearance="sangat_rahasia")
        cls.low = d.add_user(roles=("pengelola_naskah",), clearance="biasa")
        cls.pic = d.add_user(roles=("reader",), clearance="rahasia")
        cls.other_pic = d.add_user(roles=("reader",), clearance="rahasia")
        owner = h.new_client(cls.server, cls.owner)

        def meeting(**kw):
            r = owner.post("/api/meetings", h.meeting_body(**kw))
            assert r.status == 201, r.describe()
            return r.json()

        def upload(mid, title, **kw):
            r = owner.upload(mid, h.pdf_bytes(), extra=dict({"title": title}, **kw.pop("extra", {})),
                             **kw)
            assert r.status == 201, r.describe()
            return r.json()

        cls.m1 = meeting(title="Rapat Koordinasi Perbatasan Darat", date="2026-03-10")
        cls.m2 = meeting(title="Sidang Kabinet Terbatas", date="2026-09-01")
        cls.granted = upload(cls.m1["id"], "Notulensi pertemuan batas wilayah Kalimantan")
        cls.internal = upload(cls.m1["id"], "Bahan perbatasan untuk delegasi",
                              stage="perencanaan", type="bahan")
        cls.secret = upload(cls.m1["id"], "Kajian perbatasan laut Ambalat zamrud",
                            extra={"classification": "rahasia"}, stage="pelaksanaan",
                            type="notulensi")
        cls.late = upload(cls.m2["id"], "Laporan perbatasan triwulan", stage="pelaporan",
                          type="laporan")
        # Publishing is the SOP engine's (tested in test_sop_walk.py); here the rows it leaves
        # are written directly: `granted` published and granted to the PIC, `internal` granted
        # but still internal.
        con = d.db_rw()
        try:
            case = con.execute("SELECT id FROM cases WHERE meeting_id = ?",
                               (cls.m1["id"],)).fetchone()
            case_id = case[0] if case else 0
            if not case:
                con.execute("PRAGMA foreign_keys = OFF")
            pic_id = con.execute("SELECT id FROM users WHERE username = ?",
                                 (cls.pic,)).fetchone()[0]
            for doc in (cls.granted, cls.internal):
                con.execute("INSERT INTO document_grants VALUES (?, ?, ?, 1, 0)",
                            (doc["id"], pic_id, case_id))
            con.execute("UPDATE documents SET state = 'published', published_at = 0 WHERE id = ?",
                        (cls.granted["id"],))
            con.commit()
        finally:
            con.close()

    def search(self, who, **params):
        r = h.new_client(self.server, who).get(q(**params))
        self.assertEqual(r.status, 200, r.describe())
        j = r.json()
        self.assertEqual(set(j), {"items", "total", "total_capped", "limit", "offset"}, j)
        # exact below the cap (1000, unit-tested in test_search.c): these tests have a handful
        self.assertIs(j["total_capped"], False, j)
        return j

    def ids(self, j):
        return sorted(it["document"]["id"] for it in j["items"])

    def test_official_finds_by_stem_and_ranks_titles(self):
        j = self.search(self.owner, q="batas")
        self.assertEqual(j["total"], 4)
        self.assertEqual(self.ids(j), sorted(d["id"] for d in
                                             (self.granted, self.internal, self.secret, self.late)))
        for it in j["items"]:
            self.assertEqual(set(it), {"document", "meeting", "snippet"})
            self.assertTrue(h.DOCUMENT_KEYS <= set(it["document"]), it)
            self.assertEqual(set(it["meeting"]), {"id", "title", "number", "date"})
            for seg in it["snippet"]:
                self.assertEqual(set(seg), {"text", "hit"})
                self.assertIsInstance(seg["text"], str)
                self.assertIsInstance(seg["hit"], bool)
                self.assertNotIn("\x01", seg["text"])
            self.assertTrue(any(s["hit"] for s in it["snippet"]), it)
        # case and diacritics
        self.assertEqual(self.search(self.owner, q="PERTÉMUAN")["total"], 1)

    def test_pic_sees_only_granted_published_documents(self):
        j = self.search(self.pic, q="perbatasan")
        self.assertEqual(self.ids(j), [self.granted["id"]])
        self.assertEqual(j["total"], 1)
        # the meeting's words find the granted document, and only it
        j = self.search(self.pic, q="koordinasi darat")
        self.assertEqual((self.ids(j), j["total"]), ([self.granted["id"]], 1))
        for words in ("delegasi", "Ambalat", "triwulan", "kabinet"):
            j = self.search(self.pic, q=words)
            self.assertEqual((j["items"], j["total"]), ([], 0), words)
        j = self.search(self.other_pic, q="perbatasan")
        self.assertEqual((j["items"], j["total"]), ([], 0))

    def test_rahasia_words_never_reach_a_biasa_user(self):
        j = self.search(self.low, q="perbatasan")
        self.assertNotIn(self.secret["id"], self.ids(j))
        self.assertEqual(j["total"], 3)
        for words in ("Ambalat", "zamrud", "laut ambalat", "\"perbatasan laut\""):
            j = self.search(self.low, q=words)
            self.assertEqual((j["items"], j["total"]), ([], 0), words)
        j = self.search(self.low, q="perbatasan", limit=50)
        text = json.dumps(j)
        self.assertNotIn("Ambalat", text)
        self.assertNotIn("zamrud", text)

    def test_filters(self):
        o = self.owner
        self.assertEqual(self.search(o, q="perbatasan", meeting=self.m2["id"])["total"], 1)
        self.assertEqual(self.search(o, q="perbatasan", stage="perencanaan")["total"], 2)
        self.assertEqual(self.search(o, q="perbatasan", type="laporan")["total"], 1)
        self.assertEqual(self.search(o, q="perbatasan", classification="rahasia")["total"], 1)
        self.assertEqual(self.search(o, q="perbatasan", **{"from": "2026-06-01"})["total"], 1)
        self.assertEqual(self.search(o, q="perbatasan", to="2026-06-01")["total"], 3)
        j = self.search(o, q="perbatasan", limit=1, offset=1)
        self.assertEqual((len(j["items"]), j["total"], j["limit"], j["offset"]), (1, 4, 1, 1))
        # an empty filter is no filter
        self.assertEqual(self.search(o, q="perbatasan", stage="")["total"], 4)

    def test_pages_are_slices_of_one_order(self):
        whole = self.search(self.owner, q="perbatasan", limit=50)
        order = [it["document"]["id"] for it in whole["items"]]
        self.assertEqual(len(order), 4)
        paged = []
        for offset in range(0, 5):
            j = self.search(self.owner, q="perbatasan", limit=1, offset=offset)
            self.assertEqual(j["total"], 4)
            paged += [it["document"]["id"] for it in j["items"]]
        self.assertEqual(paged, order)

    def test_refusals(self):
        c = h.new_client(self.server, self.owner)
        for path, field in ((q(q=""), "q"), ("/api/search", "q"), (q(q="   "), "q"),
                            (q(q="a" * 201), "q"), (q(q="x", limit=0), "limit"),
                            (q(q="x", limit=51), "limit"), (q(q="x", stage="akhir"), "stage"),
                            (q(q="x", classification="top"), "classification"),
                            (q(q="x", **{"from": "2026-02-30"}), "from"),
                            (q(q="x", meeting="abc"), "meeting")):
            self.assertError(c.get(path), 400, "validation_failed", field)
        self.assertEqual(c.get(q(q="a" * 200)).status, 200)
        self.assertEqual(h.Client(self.server).get(q(q="batas")).status, 401)

    def test_syntax_is_only_text(self):
        for words in ("*", "batas*", "title:batas", "NEAR(batas wilayah)", "batas OR Ambalat",
                      "-batas", "\"unclosed", "{title body}: batas", "^batas", "batas AND"):
            j = self.search(self.low, q=words)
            self.assertNotIn(self.secret["id"], self.ids(j), words)
        self.assertEqual(self.search(self.owner, q="batas OR Ambalat")["total"], 0)

    def test_search_is_audited(self):
        marker = "kalimantan"
        j = self.search(self.owner, q=marker, stage="pelaksanaan")
        rows = self.data.query("SELECT actor, action, object_type, detail FROM audit_log"
                               " WHERE action = 'search' ORDER BY seq")
        mine = [r for r in rows if json.loads(r[3]).get("q") == marker]
        self.assertEqual(len(mine), 1, rows)
        actor, action, otype, detail = mine[0]
        detail = json.loads(detail)
        self.assertEqual((actor, otype), (self.owner, "search"))
        self.assertEqual(detail["total"], j["total"])
        self.assertEqual(detail["returned"], len(j["items"]))
        self.assertEqual(detail["filters"], {"stage": "pelaksanaan"})
        self.assertNotIn("items", detail)
        r = self.data.cli("audit", "verify")
        self.assertEqual(r.returncode, 0, r.describe())


if __name__ == "__main__":
    h.main()
