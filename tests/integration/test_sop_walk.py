"""The seed SOP walked end to end over HTTP (docs/api.md "The SOP engine").

FullWalkTests: all nine steps as five officials (plus a second session officer) with two PICs
watching: after every step, who sees which document; wrong performers refused at every step; a
completed task refused again; step 8 finished after 6 minutes (moved clock) is a breach that shows
on the task, in the compliance report and in the Karo's notifications; every task's timestamps;
every transition in the audit trail; `sidang audit verify` at the end.

KeptInternalWalkTests: the "tidak" branch of step 3: the dossier stays internal, nothing can
publish it, the PICs never see anything.
"""

import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

MISSING = 987654321
SEED_OFFICIAL_NAMES = [n for n, _ in h.SEED_OFFICIALS]

# Which officials may perform each step of the walk. Step 1 is shared by the Pengelola Naskah;
# step 6 goes to the one Pengelola Persidangan named by step 5's disposition.
PERFORMERS = {
    1: {"persidangan", "persidangan2", "naskah"},
    2: {"kasubbag"},
    3: {"karo"},
    4: {"kabag"},
    5: {"kasubbag"},
    6: {"persidangan"},
    7: {"naskah"},
    8: {"kabag"},
    9: {"karo"},
}
WHO = {1: "persidangan", 2: "kasubbag", 3: "karo", 4: "kabag", 5: "kasubbag", 6: "persidangan",
       7: "naskah", 8: "kabag", 9: "karo"}


class WalkBase(h.SopTestCase):
    """The dossier, and the checks run after every step."""

    # (key, stage, type, classification, uploaded at step, PICs granted)
    DOSSIER = ()

    def upload_dossier(self, mid, at_step, who):
        for key, stage, type_, cls_, step, _ in self.DOSSIER:
            if step == at_step:
                self.docs[key] = self.upload_doc(who, mid, stage, type_, classification=cls_,
                                                 title="%s %s" % (type_, key))
                self.doc_stage[key] = stage

    def granted(self, pic, stages):
        """The dossier's documents granted to PIC by the publish steps of STAGES."""
        return {key for key, stage, _, _, _, pics in self.DOSSIER
                if stage in stages and pic in pics and key in self.docs}

    # --- visibility -------------------------------------------------------------------------

    def check_visibility(self, label, mid, pic_docs, states):
        """After LABEL: each PIC sees exactly PIC_DOCS[pic] (keys) of the meeting and nothing
        else; the officials see every document in STATES[key]; admin and auditor see nothing."""
        P = self.people
        all_keys = sorted(self.docs)
        missing_doc = P.c["karo"].get("/api/documents/%d" % MISSING)
        self.assertEqual(missing_doc.status, 404, missing_doc.describe())
        missing_content = P.c["karo"].get("/api/documents/%d/content" % MISSING)
        missing_meeting = P.c["karo"].get("/api/meetings/%d" % MISSING)
        for pic in P.pics():
            c = P.c[pic]
            want = pic_docs.get(pic, set())
            with self.subTest(after=label, pic=pic, what="meeting list"):
                r = c.get("/api/meetings?limit=200")
                self.assertEqual(r.status, 200, r.describe())
                items = {m["id"]: m for m in r.json()["items"]}
                if want:
                    # Contract silent on the list; a PIC must be able to find what they were
                    # granted, and the count must not include what they may not see.
                    self.assertIn(mid, items, "%s cannot find the meeting of its grants" % pic)
                    self.assertEqual(items[mid]["document_count"], len(want),
                                     "document_count counts documents %s may not see" % pic)
                else:
                    self.assertNotIn(mid, items, "%s lists a meeting with no grant" % pic)
                self.assertEqual(r.json()["total"], len(items), r.describe())
            with self.subTest(after=label, pic=pic, what="meeting"):
                r = c.get("/api/meetings/%d" % mid)
                if want:
                    self.assertEqual(r.status, 200, r.describe())
                else:
                    self.assertError(r, 404, "not_found")
                    self.assertEqual(r.json(), missing_meeting.json())
            with self.subTest(after=label, pic=pic, what="document list"):
                r = c.get("/api/meetings/%d/documents" % mid)
                if want:
                    self.assertEqual(r.status, 200, r.describe())
                    got = {d["id"]: d for d in r.json()["items"]}
                    self.assertEqual(sorted(got), sorted(self.docs[k]["id"] for k in want),
                                     "%s lists other documents than those granted" % pic)
                    for k in want:
                        self.assertEqual(got[self.docs[k]["id"]]["state"], states[k], k)
                    for stage in ("perencanaan", "pelaksanaan", "pelaporan"):
                        r = c.get("/api/meetings/%d/documents?stage=%s" % (mid, stage))
                        self.assertEqual(r.status, 200, r.describe())
                        self.assertEqual(
                            sorted(d["id"] for d in r.json()["items"]),
                            sorted(self.docs[k]["id"] for k in want
                                   if self.doc_stage[k] == stage))
                else:
                    self.assertError(r, 404, "not_found")
            for k in all_keys:
                d = self.docs[k]
                with self.subTest(after=label, pic=pic, document=k):
                    r = c.get("/api/documents/%d" % d["id"])
                    rc = c.get("/api/documents/%d/content" % d["id"])
                    if k in want:
                        self.assertEqual(r.status, 200, r.describe())
                        self.assertEqual(r.json()["state"], states[k])
                        self.assertEqual(rc.status, 200, rc.describe())
                        self.assertEqual(h.sha256_hex(rc.body), d["_sha256"])
                    else:
                        self.assertError(r, 404, "not_found")
                        self.assertEqual(r.json(), missing_doc.json(),
                                         "a hidden document answers unlike a missing one")
                        self.assertError(rc, 404, "not_found")
                        self.assertEqual(rc.json(), missing_content.json())
                        self.assertNotIn(b"%PDF", rc.body)
            with self.subTest(after=label, pic=pic, what="case and inbox"):
                r = c.get("/api/meetings/%d/case" % mid)
                if want:
                    # Contract: the case is for "anyone who may read the meeting"; its artefacts
                    # (decisions, dispositions, the report naming every grant) are the bureau's
                    # internal work, so a serious system keeps them from PICs (403 or 404).
                    self.assertIn(r.status, (403, 404), "a PIC reads the case: " + r.describe())
                else:
                    self.assertError(r, 404, "not_found")
                self.assertEqual(self.inbox_ids(pic), [])
        for name in self.officials():
            c = self.people.c[name]
            with self.subTest(after=label, official=name):
                r = c.get("/api/meetings/%d/documents" % mid)
                self.assertEqual(r.status, 200, r.describe())
                got = {d["id"]: d["state"] for d in r.json()["items"]}
                self.assertEqual(got, {self.docs[k]["id"]: states[k] for k in all_keys})
        # every document's metadata and bytes, read by one official in turn
        officials = self.officials()
        for i, k in enumerate(all_keys):
            name = officials[(i + len(label)) % len(officials)]
            with self.subTest(after=label, official=name, document=k):
                r = self.people.c[name].get("/api/documents/%d" % self.docs[k]["id"])
                self.assertEqual(r.status, 200, r.describe())
                self.assertEqual(r.json()["state"], states[k])
                rc = self.people.c[name].get("/api/documents/%d/content" % self.docs[k]["id"])
                self.assertEqual(rc.status, 200, rc.describe())
                self.assertEqual(h.sha256_hex(rc.body), self.docs[k]["_sha256"])
        for name in self.people.outsiders():
            c = self.people.c[name]
            with self.subTest(after=label, outsider=name):
                r = c.get("/api/meetings?limit=200")
                self.assertEqual(r.status, 200, r.describe())
                self.assertEqual(r.json()["items"], [])
                self.assertError(c.get("/api/meetings/%d" % mid), 404, "not_found")
                self.assertError(c.get("/api/meetings/%d/documents" % mid), 404, "not_found")
                self.assertError(c.get("/api/meetings/%d/case" % mid), 404, "not_found")
                for k in all_keys:
                    self.assertError(c.get("/api/documents/%d" % self.docs[k]["id"]), 404,
                                     "not_found")
                    rc = c.get("/api/documents/%d/content" % self.docs[k]["id"])
                    self.assertError(rc, 404, "not_found")
                self.assertEqual(self.inbox_ids(name), [])

    def officials(self):
        return self.people.officials()

    # --- one step ---------------------------------------------------------------------------

    def pic_sees_meeting(self, pic, mid):
        r = self.people.c[pic].get("/api/meetings/%d" % mid)
        return r.status == 200

    def wrong_performers_refused(self, mid, task, body):
        """Every official who may not perform TASK gets 403, the PICs 404 (or 403 once they
        may see the meeting), admin and auditor 404; nothing changes."""
        step = task["step"]
        for name in self.officials():
            if name in PERFORMERS[step]:
                continue
            with self.subTest(step=step, wrong_performer=name):
                r = self.complete(task["id"], name, body)
                self.assertError(r, 403, "forbidden")
        for name in self.people.pics():
            with self.subTest(step=step, wrong_performer=name):
                r = self.complete(task["id"], name, body)
                if self.pic_sees_meeting(name, mid):
                    self.assertError(r, (403, 404))
                else:
                    # The task's meeting is invisible to them: 404, as if it did not exist.
                    self.assertError(r, 404, "not_found")
        for name in self.people.outsiders():
            with self.subTest(step=step, wrong_performer=name):
                self.assertError(self.complete(task["id"], name, body), 404, "not_found")
        after = self.available_task(mid, step)
        self.assertEqual(after["id"], task["id"])
        self.assertIsNone(after["completed_at"])
        self.assertIsNone(after["completed_by"])

    def do_step(self, mid, step, body, bad=(), check_open=None, before_complete=None,
                check_done=None):
        """Walks STEP: inbox, wrong performers, bad bodies (each (body, field-or-None)), the
        performer opening it (CHECK_OPEN(task_with_context)), BEFORE_COMPLETE(), completing
        it, and a second completion (409). BODY may be a callable taking the opened task.
        Returns (opened task, completion JSON)."""
        performer = WHO[step]
        role, _, actions = h.SEED_STEPS[step]
        case = self.get_case(mid)
        self.assertEqual(case["state"], "open")
        self.assertEqual(case["current_steps"], [step], "case not at step %d" % step)
        task = self.available_task(mid, step)
        tid = task["id"]
        self.task_ids[step] = tid
        self.assertEqual(task["role"], role)
        self.assertEqual(sorted(task["actions"]), sorted(actions))
        self.assertEqual(task["case_id"], case["id"])
        self.assertEqual(task["meeting"]["id"], mid)
        self.assertIsNotNone(h.parse_iso(task["available_at"]))
        self.assertIsNone(task["opened_at"])
        self.assertIsNone(task["completed_at"])
        self.assertIsNone(task["completed_by"])
        self.assertIs(task["breached"], False)
        self.assertEqual(task["waktu_minutes"], h.SEED_WAKTU.get(step))
        if step in h.SEED_WAKTU:
            self.assertEqual(h.parse_iso(task["due_at"]),
                             h.parse_iso(task["available_at"]) + 60 * h.SEED_WAKTU[step])
        else:
            self.assertIsNone(task["due_at"])

        # inboxes: the performers have it, nobody else
        for name in self.officials():
            with self.subTest(step=step, inbox=name):
                if name in PERFORMERS[step]:
                    self.assertIn(tid, self.inbox_ids(name))
                else:
                    self.assertNotIn(tid, self.inbox_ids(name))

        # an official who is not the performer reads it: may, but cannot complete, and it is not
        # "opened" (opened_at is the performer's first look)
        watcher = next(n for n in SEED_OFFICIAL_NAMES if n not in PERFORMERS[step])
        t = self.open_task(tid, watcher)
        self.assertIs(t["can_complete"], False, "%s may complete step %d" % (watcher, step))
        self.assertIsNone(t["opened_at"], "a non-performer's look recorded as opened_at")

        if callable(body):
            # the body depends on what the performer sees; build it from their view
            body = body(self.open_task(tid, performer))
        self.wrong_performers_refused(mid, task, body)
        for bad_body, field in bad:
            with self.subTest(step=step, bad_body=bad_body):
                r = self.complete(tid, performer, bad_body)
                if field:
                    self.assertError(r, 400, field=field)
                else:
                    self.assertError(r, 400)
        self.assertIsNone(self.available_task(mid, step)["completed_at"])

        if before_complete:
            before_complete(task)
        opened = self.open_task(tid, performer)
        self.assertIs(opened["can_complete"], True, "the performer may not complete it")
        self.assertIsNotNone(opened["opened_at"], "opened_at not recorded")
        self.assertIn("context", opened)
        again = self.open_task(tid, performer)
        self.assertEqual(again["opened_at"], opened["opened_at"], "opened_at moved on re-open")
        if check_open:
            check_open(opened)

        done = self.complete_ok(tid, performer, body)
        t = done["task"]
        self.assertUserRef(t["completed_by"], performer)
        self.assertIsNotNone(h.parse_iso(t["completed_at"]))
        self.assertEqual(t["opened_at"], opened["opened_at"])
        self.assertLessEqual(h.parse_iso(t["available_at"]), h.parse_iso(t["opened_at"]))
        self.assertLessEqual(h.parse_iso(t["opened_at"]), h.parse_iso(t["completed_at"]))
        self.assertEqual(t["elapsed_seconds"],
                         h.parse_iso(t["completed_at"]) - h.parse_iso(t["available_at"]))
        self.assertIs(t["can_complete"], False)
        # completed once: a second completion is a conflict and changes nothing
        r = self.complete(tid, performer, body)
        self.assertError(r, 409, "conflict")
        self.assertEqual(self.open_task(tid, "karo")["completed_at"], t["completed_at"])
        if check_done:
            check_done(done)
        return opened, done


class FullWalkTests(WalkBase):
    DOSSIER = (
        # key            stage          type                 class        step PICs
        ("undangan", "perencanaan", "undangan", "biasa", 1, ("pic1", "pic2")),
        ("kak", "perencanaan", "kak_tor", "biasa", 1, ("pic1",)),
        ("bahan", "perencanaan", "bahan_rapat", "rahasia", 1, ("pic1",)),
        ("nota", "perencanaan", "nota_dinas", "terbatas", 1, ()),
        ("hadir", "pelaksanaan", "daftar_hadir", "biasa", 1, ("pic2",)),
        ("notulensi", "pelaksanaan", "notulensi", "rahasia", 1, ("pic1",)),
        ("risalah", "pelaporan", "risalah", "biasa", 1, ("pic1", "pic2")),
        ("laporan", "pelaporan", "laporan_hasil_rapat", "biasa", 7, ("pic2",)),
    )

    @classmethod
    def setUpClass(cls):
        cls.clock = h.ClockFile()
        cls.data, cls.server = cls.class_server(env=cls.clock.env())
        cls.people = h.SopPeople(cls.data, cls.server,
                                 extra=[("persidangan2", "pengelola_persidangan",
                                         "sangat_rahasia")])

    def setUp(self):
        self.docs = {}
        self.doc_stage = {}
        self.task_ids = {}

    def grants_for(self, stages, with_pics=True):
        P = self.people
        out = []
        for key, stage, _, _, _, pics in self.DOSSIER:
            if stage in stages and key in self.docs:
                out.append({"document_id": self.docs[key]["id"],
                            "users": [P.ids[p] for p in pics] if with_pics else []})
        return out

    def states(self, published=(), verified=False):
        return {k: ("verified" if verified else
                    "published" if self.doc_stage[k] in published else "internal")
                for k in self.docs}

    def test_walk(self):
        P = self.people
        persidangan = P.c["persidangan"]
        m = self.create_meeting(persidangan, title="Rapat Koordinasi Penanganan Konflik Sosial",
                                classification="biasa")
        mid = m["id"]
        # another meeting, for cross-dossier attempts
        other = self.create_meeting(P.c["naskah"], title="Rapat lain")
        other_doc = self.upload_doc("naskah", other["id"], "perencanaan", "undangan")

        # --- the case starts with the meeting -------------------------------------------
        case = self.get_case(mid)
        self.assertEqual(case["meeting_id"], mid)
        self.assertEqual(case["state"], "open")
        self.assertEqual(case["sop"]["code"], h.SEED_SOP_CODE)
        self.assertEqual(case["sop"]["version"], 1)
        self.assertUserRef(case["started_by"], "persidangan")
        self.assertIsNotNone(h.parse_iso(case["started_at"]))
        self.assertIsNone(case["closed_at"])
        self.assertEqual(case["current_steps"], [1])
        self.assertEqual([t["step"] for t in case["tasks"]], [1])
        self.assertEqual(case["artefacts"], [])
        # a second case cannot be started while one is open
        self.assertError(persidangan.post("/api/meetings/%d/case" % mid), 409, "conflict")

        self.upload_dossier(mid, 1, "persidangan")
        internal = self.states()
        self.check_visibility("upload", mid, {}, internal)

        # --- 1: compile (the Pengelola Persidangan) ---------------------------------------
        def open1(t):
            ids = {d["id"] for d in t["context"]["documents"]}
            self.assertEqual(ids, {d["id"] for d in self.docs.values()})
        self.do_step(mid, 1, {"note": "Dokumen rapat telah dialihmediakan dan dihimpun."},
                     bad=[({"note": "x" * 2001}, "note"), ({"catatan": "x"}, None)],
                     check_open=open1)
        self.check_visibility("step 1", mid, {}, internal)

        # --- 2: check (the Kasubbag) ----------------------------------------------------
        uploaded = {}
        for k, stage in self.doc_stage.items():
            uploaded.setdefault(stage, set()).add(self.DOSSIER_TYPE[k])
        ticked_box = {}

        def body2(t):
            ticked = []
            for item in t["context"]["checklist"]:
                req = set(item["required"])
                have = uploaded.get(item["stage"], set())
                self.assertEqual(set(item["present"]) & req, have & req, item)
                self.assertEqual(set(item["missing"]), req - have, item)
                ticked += [{"stage": item["stage"], "type": ty} for ty in sorted(req & have)]
            self.assertEqual({i["stage"] for i in t["context"]["checklist"]},
                             {"perencanaan", "pelaksanaan", "pelaporan"})
            ticked_box["ticked"] = ticked
            return {"ticked": ticked, "note": "Dokumen perencanaan lengkap."}
        lacking = {"stage": "pelaporan", "type": "tindak_lanjut"}  # never uploaded
        self.do_step(mid, 2, body2,
                     bad=[({"ticked": [lacking]}, "ticked"),
                          ({"ticked": [{"stage": "tahap_lain", "type": "undangan"}]}, "ticked")])
        case = self.get_case(mid)
        checks = [a for a in case["artefacts"] if a["kind"] == "check"]
        self.assertEqual(len(checks), 1, case["artefacts"])
        self.assertUserRef(checks[0]["author"], "kasubbag")
        # the result goes on as a report: per stage what is missing (agenda was never uploaded)
        self.assertIn("agenda", json.dumps(checks[0]["data"]))
        self.assertEqual(checks[0]["text"], "Dokumen perencanaan lengkap.")
        self.check_visibility("step 2", mid, {}, internal)

        # --- 3: decide (the Karo): ya -----------------------------------------------------
        def open3(t):
            self.assertEqual({a["code"] for a in t["context"]["answers"]}, {"ya", "tidak"})
        _, done3 = self.do_step(
            mid, 3, {"answer": "ya", "reason": "Rapat telah dilaksanakan; dokumen dapat diunggah."},
            bad=[({"answer": "mungkin", "reason": "x"}, "answer"),
                 ({"answer": "ya"}, "reason"),
                 ({"answer": "ya", "reason": ""}, "reason"),
                 ({"answer": "ya", "reason": "x" * 2001}, "reason"),
                 ({"answer": "ya", "reason": "x", "tambahan": 1}, None)],
            check_open=open3)
        self.assertEqual(done3["task"]["answer"], "ya")
        self.check_visibility("step 3", mid, {}, internal)

        # --- 4: dispose to the Kasubbag (the Kabag) ---------------------------------------
        def open4(t):
            self.assertEqual(t["context"]["to_role"], "kasubbag_pengelolaan")
            self.assertIn("kasubbag", [u["username"] for u in t["context"]["candidates"]])
        self.do_step(mid, 4, {"instruction": "Lengkapi dokumen tahap perencanaan."},
                     bad=[({}, "instruction"),
                          ({"instruction": "x", "to_user": P.ids["pic1"]}, "to_user"),
                          ({"instruction": "x", "to_user": MISSING}, "to_user")],
                     check_open=open4)
        self.check_visibility("step 4", mid, {}, internal)

        # --- 5: dispose to one named Pengelola Persidangan (the Kasubbag) -----------------
        def open5(t):
            self.assertEqual(t["context"]["to_role"], "pengelola_persidangan")
            names = {u["username"] for u in t["context"]["candidates"]}
            self.assertTrue({"persidangan", "persidangan2"} <= names, names)
            self.assertNotIn("naskah", names)
            dispositions = [a for a in t["incoming"] if a["kind"] == "disposition"]
            self.assertEqual(len(dispositions), 1, t["incoming"])
            self.assertUserRef(dispositions[0]["author"], "kabag")
        self.do_step(mid, 5, {"instruction": "Unggah dokumen tahap perencanaan ke aplikasi.",
                              "to_user": P.ids["persidangan"]},
                     bad=[({"instruction": "x", "to_user": P.ids["naskah"]}, "to_user")],
                     check_open=open5)
        self.check_visibility("step 5", mid, {}, internal)

        # --- 6: publish the planning stage, ticking PICs (the named Pengelola Persidangan) -
        t6 = self.available_task(mid, 6)
        self.assertUserRef(t6["assignee"], "persidangan")
        self.assertNotIn(t6["id"], self.inbox_ids("persidangan2"))
        self.assertError(self.complete(t6["id"], "persidangan2", {"grants": []}), 403,
                         "forbidden")

        def open6(t):
            self.assertEqual(t["context"]["stages"], ["perencanaan"])
            ids = {d["id"] for d in t["context"]["documents"]}
            self.assertEqual(ids, {self.docs[k]["id"] for k in self.docs
                                   if self.doc_stage[k] == "perencanaan"})
            for d in t["context"]["documents"]:
                self.assertEqual(d["grants"], [])
            dispositions = [a for a in t["incoming"] if a["kind"] == "disposition"]
            self.assertEqual(len(dispositions), 1, t["incoming"])
            self.assertUserRef(dispositions[0]["to_user"], "persidangan")
            self.assertEqual(t["handed_over_by"]["step"], 5)
            self.assertUserRef(t["handed_over_by"]["user"], "kasubbag")

        grants6 = self.grants_for(("perencanaan",))
        bahan, nota = self.docs["bahan"]["id"], self.docs["nota"]["id"]
        hadir = self.docs["hadir"]["id"]
        bahan_to_both = [dict(g, users=g["users"] + [P.ids["pic2"]]) if g["document_id"] == bahan
                         else g for g in grants6]
        bad6 = [
            # a PIC without clearance for a rahasia / terbatas document
            ({"grants": bahan_to_both}, "grants"),
            ({"grants": [{"document_id": nota, "users": [P.ids["pic2"]]}]}, "grants"),
            # contract silent; a serious system refuses grants outside the step's stages, on
            # another dossier's document, or to a user that does not exist
            ({"grants": [{"document_id": hadir, "users": [P.ids["pic2"]]}]}, "grants"),
            ({"grants": [{"document_id": other_doc["id"], "users": [P.ids["pic1"]]}]},
             "grants"),
            ({"grants": [{"document_id": self.docs["undangan"]["id"], "users": [MISSING]}]},
             "grants"),
            ({"grants": [{"document_id": MISSING, "users": [P.ids["pic1"]]}]}, "grants"),
        ]

        def nothing_granted(_task):
            rows = self.data.query("SELECT count(*) FROM document_grants")
            self.assertEqual(rows[0][0], 0, "a refused publication left grants behind")
            states = self.data.query("SELECT DISTINCT state FROM documents WHERE meeting_id = ?",
                                     (mid,))
            self.assertEqual(states, [("internal",)], "a refused publication published")
        self.do_step(mid, 6, {"grants": grants6}, bad=bad6, check_open=open6,
                     before_complete=nothing_granted)
        after6 = {p: self.granted(p, ("perencanaan",)) for p in P.pics()}
        self.assertEqual(after6["pic1"], {"undangan", "kak", "bahan"})
        self.assertEqual(after6["pic2"], {"undangan"})
        published6 = self.states(published=("perencanaan",))
        self.check_visibility("step 6", mid, after6, published6)
        # the other dossier was untouched
        self.assertEqual(P.c["karo"].get("/api/documents/%d" % other_doc["id"]).json()["state"],
                         "internal")

        # --- 7: upload + publish the other stages, ticking PICs, and report (Pengelola Naskah)
        self.upload_dossier(mid, 7, "naskah")
        self.assertEqual(self.states(published=("perencanaan",))["laporan"], "internal")

        def open7(t):
            self.assertEqual(sorted(t["context"]["stages"]), ["pelaksanaan", "pelaporan"])
            ids = {d["id"] for d in t["context"]["documents"]}
            self.assertEqual(ids, {self.docs[k]["id"] for k in self.docs
                                   if self.doc_stage[k] in ("pelaksanaan", "pelaporan")})
            self.assertIn("summary", t["context"])
        grants7 = self.grants_for(("pelaksanaan", "pelaporan"))
        text7 = "Pengunggahan dokumen pelaksanaan dan pelaporan telah selesai."
        notulensi = self.docs["notulensi"]["id"]
        notulensi_to_both = [dict(g, users=g["users"] + [P.ids["pic2"]])
                             if g["document_id"] == notulensi else g for g in grants7]
        self.do_step(mid, 7, {"grants": grants7, "text": text7},
                     bad=[({"grants": grants7}, "text"),
                          ({"grants": grants7, "text": "x" * 4001}, "text"),
                          # pic2 (biasa) cannot be granted the rahasia notes
                          ({"grants": notulensi_to_both, "text": text7}, "grants"),
                          # contract silent: a planning document is not step 7's to grant
                          ({"grants": grants7 + [{"document_id": self.docs["kak"]["id"],
                                                  "users": [P.ids["pic2"]]}],
                            "text": text7}, "grants")],
                     check_open=open7)
        after7 = {p: self.granted(p, ("perencanaan", "pelaksanaan", "pelaporan"))
                  for p in P.pics()}
        self.assertEqual(after7["pic1"], {"undangan", "kak", "bahan", "notulensi", "risalah"})
        self.assertEqual(after7["pic2"], {"undangan", "hadir", "risalah", "laporan"})
        published7 = self.states(published=("perencanaan", "pelaksanaan", "pelaporan"))
        self.check_visibility("step 7", mid, after7, published7)

        # --- 8: report to the Karo (the Kabag), 6 minutes late ---------------------------
        def open8(t):
            self.assertEqual(t["waktu_minutes"], 5)
            reports = [a for a in t["incoming"] if a["kind"] == "report"]
            self.assertEqual(len(reports), 1, t["incoming"])
            self.assertUserRef(reports[0]["author"], "naskah")
            self.assertEqual(reports[0]["text"], text7)
            self.assertTrue(t["inputs"], "step 8 lists no Kelengkapan")
            for i in t["inputs"]:
                self.assertIs(i["present"], True, i)
            self.assertEqual(t["handed_over_by"]["step"], 7)
            self.assertUserRef(t["handed_over_by"]["user"], "naskah")
            # open past its due time: elapsed counts on, and it is breached already
            self.assertGreaterEqual(t["elapsed_seconds"], 360)
            self.assertIs(t["breached"], True, "open past its Waktu but not breached")

        def six_minutes_later(_task):
            self.clock.set(360)
        text8 = "Laporan: pengunggahan dokumen rapat telah selesai."
        _, done8 = self.do_step(mid, 8, {"text": text8},
                                bad=[({}, "text"), ({"text": "x" * 4001}, "text")],
                                check_open=open8, before_complete=six_minutes_later)
        self.assertIs(done8["task"]["breached"], True, "6 minutes on a 5-minute step: no breach")
        self.assertGreaterEqual(done8["task"]["elapsed_seconds"], 360)
        self.check_visibility("step 8", mid, after7, published7)

        # --- 9: verify (the Karo), within its 10 minutes ---------------------------------
        def open9(t):
            self.assertEqual(t["waktu_minutes"], 10)
            ids = {d["id"] for d in t["context"]["documents"]}
            self.assertEqual(ids, {d["id"] for d in self.docs.values()})
            for d in t["context"]["documents"]:
                self.assertIn("grants", d)
                self.assertIn("opened", d)
            for i in t["inputs"]:
                self.assertIs(i["present"], True, i)
            reports = [a for a in t["incoming"] if a["kind"] == "report"]
            self.assertEqual(len(reports), 1, t["incoming"])
            self.assertUserRef(reports[0]["author"], "kabag")
            self.assertEqual(reports[0]["text"], text8)
        every = [{"id": self.docs[k]["id"], "result": "confirmed", "note": ""}
                 for k in sorted(self.docs)]
        every[0] = {"id": every[0]["id"], "result": "noted",
                    "note": "Nomor undangan perlu dicek ulang."}
        bad9 = [
            ({"documents": every[1:]}, None),                           # one left out
            ({"documents": [dict(every[1], result="noted", note="")] + every[2:] + every[:1]},
             None),                                                     # noted without note
            ({"documents": [dict(every[1], result="ok")] + every[2:] + every[:1]}, None),
            ({"documents": every + [{"id": other_doc["id"], "result": "confirmed",
                                     "note": ""}]}, None),              # another dossier's
        ]
        _, done9 = self.do_step(mid, 9, {"documents": every}, bad=bad9, check_open=open9)
        self.assertIs(done9["task"]["breached"], False, "9 was done within its Waktu")
        case = done9["case"]
        self.assertEqual(case["state"], "completed")
        self.assertEqual(case["current_steps"], [])
        self.assertIsNotNone(h.parse_iso(case["closed_at"]))
        self.check_visibility("step 9", mid, after7, self.states(verified=True))

        # --- the closed case -------------------------------------------------------------
        case = self.get_case(mid)
        self.assertEqual(case["state"], "completed")
        self.assertEqual(sorted(t["step"] for t in case["tasks"]), list(range(1, 10)))
        for t in case["tasks"]:
            with self.subTest(task_step=t["step"]):
                self.assertEqual(t["state"], "completed")
                for key in ("available_at", "opened_at", "completed_at"):
                    self.assertIsNotNone(h.parse_iso(t[key]), key)
                self.assertUserRef(t["completed_by"], WHO[t["step"]])
                self.assertLessEqual(h.parse_iso(t["available_at"]), h.parse_iso(t["opened_at"]))
                self.assertLessEqual(h.parse_iso(t["opened_at"]), h.parse_iso(t["completed_at"]))
                self.assertIs(t["breached"], t["step"] == 8)
                self.assertIsNone(t["acting"])
        by_step = {t["step"]: t for t in case["tasks"]}
        for s in range(2, 10):
            # each step becomes available when the one before it is completed
            self.assertEqual(by_step[s]["available_at"], by_step[s - 1]["completed_at"],
                             "step %d" % s)
        kinds = [a["kind"] for a in case["artefacts"]]
        for kind in ("submission", "check", "decision", "disposition", "publication", "report",
                     "verification"):
            self.assertIn(kind, kinds)
        self.assertEqual(kinds.count("disposition"), 2)
        self.assertEqual(kinds.count("publication"), 2)
        self.assertEqual(kinds.count("report"), 2, "step 7's and step 8's reports")
        for step, tid in self.task_ids.items():
            self.assertError(self.complete(tid, WHO[step], {}), 409, "conflict")

        # --- Mutu Baku: the breach, in the report and the Karo's notifications -----------
        self.check_compliance(mid, case)
        self.check_notifications(case)

        # --- the audit trail -------------------------------------------------------------
        self.check_audit(mid, case)
        self.assertAuditVerifies()

        # a new round may start after a completed case (and only one at a time)
        r = persidangan.post("/api/meetings/%d/case" % mid)
        self.assertEqual(r.status, 201, r.describe())
        self.assertEqual(r.json()["state"], "open")
        self.assertError(persidangan.post("/api/meetings/%d/case" % mid), 409, "conflict")
        self.assertAuditVerifies()
        # last, as sub-tests, so that a failure here hides nothing above
        with self.subTest("refused completions audited"):
            self.check_denied_audited()
        with self.subTest("PICs cannot write"):
            self.check_pics_cannot_write(mid)

    DOSSIER_TYPE = {key: type_ for key, _, type_, _, _, _ in DOSSIER}

    def check_pics_cannot_write(self, mid):
        # A grant is a right to read (docs/engine.md "Visibility"); contract silent on writes, a
        # serious system refuses a PIC's upload, new version or edit of a dossier they can see.
        before, blobs = self.data.counts(), self.data.blob_files()
        granted = self.docs["undangan"]["id"]
        for pic in self.people.pics():
            c = self.people.c[pic]
            with self.subTest(pic_writes=pic):
                self.assertError(c.upload(mid, h.pdf_bytes()), (403, 404))
                self.assertError(c.upload_version(granted, h.pdf_bytes()), (403, 404))
                self.assertError(c.patch("/api/meetings/%d" % mid, {"title": "diubah PIC"}),
                                 (403, 404))
                self.assertError(c.post("/api/meetings/%d/case" % mid), (403, 404))
        self.assertNothingStored(self.data, before, blobs, "by a PIC")
        self.assertNotEqual(self.people.c["karo"].get("/api/meetings/%d" % mid).json()["title"],
                            "diubah PIC")

    def check_compliance(self, mid, case):
        for who in ("karo", "kabag", "auditor"):
            with self.subTest(compliance=who):
                r = self.people.c[who].get("/api/reports/compliance")
                self.assertEqual(r.status, 200, r.describe())
                rep = r.json()
                steps = {(s["sop_code"], s["step"]): s for s in rep["per_step"]}
                s8 = steps.get((h.SEED_SOP_CODE, 8))
                self.assertIsNotNone(s8, rep["per_step"])
                self.assertEqual(s8["role"], "kabag_persidangan")
                self.assertEqual(s8["waktu_minutes"], 5)
                self.assertGreaterEqual(s8["breaches"], 1)
                self.assertGreaterEqual(s8["worst_seconds"], 360)
                self.assertGreaterEqual(s8["tasks"], 1)
                s9 = steps.get((h.SEED_SOP_CODE, 9))
                self.assertIsNotNone(s9, rep["per_step"])
                self.assertEqual(s9["breaches"], 0)
                self.assertLess(s9["worst_seconds"], 600)
                cases = {c["case_id"]: c for c in rep["per_case"]}
                self.assertIn(case["id"], cases)
                self.assertEqual(cases[case["id"]]["breaches"], 1)
                self.assertEqual(cases[case["id"]]["tasks"], 9)
                self.assertEqual(cases[case["id"]]["state"], "completed")
                self.assertEqual(cases[case["id"]]["meeting_id"], mid)
                officials = {o["user"]["username"]: o for o in rep["per_official"]}
                self.assertGreaterEqual(officials["kabag"]["breaches"], 1)
                self.assertEqual(officials["karo"]["breaches"], 0)
                months = rep["per_period"]
                self.assertTrue(any(p["breaches"] >= 1 and p["cases_completed"] >= 1
                                    for p in months), months)
        for who in ("persidangan", "naskah", "kasubbag", "pic1", "admin"):
            with self.subTest(compliance_refused=who):
                self.assertError(self.people.c[who].get("/api/reports/compliance"), 403,
                                 "forbidden")

    def check_notifications(self, case):
        t8 = self.task_ids[8]
        r = self.people.c["karo"].get("/api/notifications")
        self.assertEqual(r.status, 200, r.describe())
        items = [n for n in r.json()["items"] if n["kind"] == "breach" and n["task_id"] == t8]
        self.assertEqual(len(items), 1, "the Karo was not notified (once) of step 8's breach: "
                         + r.describe())
        n = items[0]
        self.assertEqual(n["case_id"], case["id"])
        self.assertIsNone(n["read_at"])
        self.assertGreaterEqual(r.json()["unread"], 1)
        unread = r.json()["unread"]
        # nobody below the Kabag, and no PIC, is told of the Kabag's breach
        for who in ("kasubbag", "persidangan", "naskah", "pic1", "pic2"):
            with self.subTest(notified=who):
                r2 = self.people.c[who].get("/api/notifications")
                self.assertEqual(r2.status, 200, r2.describe())
                self.assertEqual([x for x in r2.json()["items"] if x["task_id"] == t8], [])
                # and cannot mark the Karo's as read
                self.assertError(self.people.c[who].post("/api/notifications/%d/read" % n["id"]),
                                 404, "not_found")
        r = self.people.c["karo"].post("/api/notifications/%d/read" % n["id"])
        self.assertEqual(r.status, 204, r.describe())
        r = self.people.c["karo"].get("/api/notifications")
        again = [x for x in r.json()["items"] if x["id"] == n["id"]][0]
        self.assertIsNotNone(h.parse_iso(again["read_at"]))
        self.assertEqual(r.json()["unread"], unread - 1)

    def check_audit(self, mid, case):
        """docs/engine.md "Audit": case.start, task.open, task.complete (with the step, answer,
        what was published and granted, what was verified, the next step), case.close."""
        rows = self.audit_rows()
        actions = sorted({r["action"] for r in rows})
        completes = {}
        for step, tid in sorted(self.task_ids.items()):
            with self.subTest(audit_step=step):
                hits = [r for r in rows if r["action"] == "task.complete" and
                        r["object_type"] == "task" and r["object_id"] == str(tid)]
                self.assertEqual(len(hits), 1, "task %d (step %d) completion audited %d times; "
                                 "actions seen: %s" % (tid, step, len(hits), actions))
                self.assertEqual(hits[0]["actor"], WHO[step])
                detail = json.loads(hits[0]["detail"])
                completes[step] = detail
                self.assertEqual(detail.get("step"), step, detail)
                self.assertEqual(detail.get("case_id"), case["id"], detail)
                if step < 9:
                    self.assertEqual(detail.get("next_step"), step + 1, detail)
                    self.assertEqual(detail.get("next_task_id"), self.task_ids[step + 1], detail)
                opens = [r for r in rows if r["action"] == "task.open" and
                         r["object_type"] == "task" and r["object_id"] == str(tid)]
                self.assertEqual(len(opens), 1, "opening task %d audited %d times"
                                 % (tid, len(opens)))
                self.assertEqual(opens[0]["actor"], WHO[step])
        self.assertEqual(completes[3].get("answer"), "ya")
        case_rows = [r for r in rows if r["object_type"] == "case" and
                     r["object_id"] == str(case["id"])]
        self.assertEqual([r["action"] for r in case_rows], ["case.start", "case.close"], actions)
        self.assertIn("completed", case_rows[1]["detail"])

        # what steps 6 and 7 published and granted, and what step 9 verified
        def grantees(doc):
            return sorted(g["username"] if isinstance(g, dict) else g
                          for g in doc.get("grants", []))
        for step, stages in ((6, ("perencanaan",)), (7, ("pelaksanaan", "pelaporan"))):
            with self.subTest(audit_published=step):
                pub = completes[step].get("published")
                self.assertIsInstance(pub, dict, completes[step])
                got = {d["id"]: grantees(d) for d in pub["documents"]}
                want = {self.docs[k]["id"]: sorted(pics) for k, stage, _, _, _, pics
                        in self.DOSSIER if stage in stages}
                self.assertEqual(got, want)
        verified = completes[9].get("verified")
        self.assertIsInstance(verified, list, completes[9])
        self.assertEqual(sorted(v["id"] for v in verified),
                         sorted(d["id"] for d in self.docs.values()))

    def check_denied_audited(self):
        # the refused attempts are in the trail too (docs/api.md, "Who sees what": "every denied
        # access is audited"): each official's 403 on another's step is a task.denied entry
        rows = self.audit_rows()
        denied = {(r["actor"], r["object_id"]) for r in rows
                  if r["action"] == "task.denied" and r["object_type"] == "task"}
        missing = [(name, step) for step, tid in sorted(self.task_ids.items())
                   for name in self.officials()
                   if name not in PERFORMERS[step] and (name, str(tid)) not in denied]
        self.assertEqual(missing, [], "refused completions (403) not audited as task.denied; "
                         "actions seen: %s" % sorted({r["action"] for r in rows}))


class KeptInternalWalkTests(WalkBase):
    DOSSIER = (
        ("undangan", "perencanaan", "undangan", "biasa", 1, ()),
        ("bahan", "perencanaan", "bahan_rapat", "rahasia", 1, ()),
        ("notulensi", "pelaksanaan", "notulensi", "biasa", 1, ()),
        ("risalah", "pelaporan", "risalah", "biasa", 1, ()),
    )

    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()
        cls.people = h.SopPeople(cls.data, cls.server,
                                 extra=[("persidangan2", "pengelola_persidangan",
                                         "sangat_rahasia")])

    def setUp(self):
        self.docs = {}
        self.doc_stage = {}
        self.task_ids = {}

    def test_not_approved_stays_internal(self):
        P = self.people
        m = self.create_meeting(P.c["persidangan"], title="Rapat Terbatas Tidak Diunggah")
        mid = m["id"]
        self.upload_dossier(mid, 1, "persidangan")
        internal = {k: "internal" for k in self.docs}
        self.check_visibility("upload", mid, {}, internal)
        self.do_step(mid, 1, {"note": "Dihimpun."})
        self.check_visibility("step 1", mid, {}, internal)

        def body2(t):
            ticked = []
            for item in t["context"]["checklist"]:
                have = {self.DOSSIER_TYPE[k] for k in self.docs
                        if self.doc_stage[k] == item["stage"]}
                ticked += [{"stage": item["stage"], "type": ty}
                           for ty in sorted(set(item["required"]) & have)]
            return {"ticked": ticked}
        self.do_step(mid, 2, body2)
        self.check_visibility("step 2", mid, {}, internal)

        reason = "Rapat bersifat terbatas; dokumen disimpan di komputer dan tidak diunggah."
        _, done = self.do_step(mid, 3, {"answer": "tidak", "reason": reason})
        self.assertEqual(done["task"]["answer"], "tidak")
        case = done["case"]
        self.assertEqual(case["state"], "kept_internal")
        self.assertEqual(case["current_steps"], [])
        self.assertIsNotNone(h.parse_iso(case["closed_at"]))
        case = self.get_case(mid)
        self.assertEqual(case["state"], "kept_internal")
        self.assertEqual(sorted(t["step"] for t in case["tasks"]), [1, 2, 3],
                         "steps beyond the 'tidak' branch were reached")
        for t in case["tasks"]:
            self.assertEqual(t["state"], "completed")
            for key in ("available_at", "opened_at", "completed_at"):
                self.assertIsNotNone(h.parse_iso(t[key]), key)
        decisions = [a for a in case["artefacts"] if a["kind"] == "decision"]
        self.assertEqual(len(decisions), 1)
        self.assertEqual(decisions[0]["text"], reason)
        self.assertEqual(self.data.query("SELECT count(*) FROM tasks WHERE case_id = ? AND "
                                         "state = 'available'", (case["id"],))[0][0], 0)
        self.check_visibility("step 3 (tidak)", mid, {}, internal)

        # --- nothing can publish it ------------------------------------------------------
        for name in ("persidangan", "karo", "kabag", "naskah"):
            with self.subTest(new_case_by=name):
                self.assertError(P.c[name].post("/api/meetings/%d/case" % mid), 409, "conflict")
        for step, tid in self.task_ids.items():
            with self.subTest(recomplete_step=step):
                body = {"answer": "ya", "reason": "berubah pikiran"} if step == 3 else {}
                self.assertError(self.complete(tid, WHO[step], body), 409, "conflict")
        d0 = self.docs["undangan"]["id"]
        karo = P.c["karo"]
        # routes outside the contract that a careless API might grow: none may publish
        attempts = [
            ("PATCH", "/api/documents/%d" % d0, {"state": "published"}),
            ("PATCH", "/api/meetings/%d" % mid, {"state": "published"}),
            ("POST", "/api/documents/%d/publish" % d0, {}),
            ("POST", "/api/documents/%d/grants" % d0, {"users": [P.ids["pic1"]]}),
            ("POST", "/api/meetings/%d/publish" % mid, {}),
        ]
        for method, path, body in attempts:
            with self.subTest(attempt=method + " " + path):
                r = karo.request(method, path, json_body=body)
                self.assertGreaterEqual(r.status, 400, r.describe())
                self.assertLess(r.status, 500, r.describe())
        # the one API that publishes is a publish step: another dossier's step 6 may not
        # publish or grant this dossier's documents
        other = self.create_meeting(P.c["persidangan"], title="Rapat lain")
        self.upload_doc("persidangan", other["id"], "perencanaan", "undangan")
        self.walk_to(other["id"], 6)
        t6 = self.available_task(other["id"], 6)
        for doc in ("undangan", "bahan"):
            with self.subTest(publish_via_other_case=doc):
                r = self.complete(t6["id"], "persidangan",
                                  {"grants": [{"document_id": self.docs[doc]["id"],
                                               "users": [P.ids["pic1"]]}]})
                self.assertError(r, 400, field="grants")
        self.complete_ok(t6["id"], "persidangan", {"grants": []})
        states = self.data.query("SELECT DISTINCT state FROM documents WHERE meeting_id = ?",
                                 (mid,))
        self.assertEqual(states, [("internal",)])
        self.assertEqual(self.data.query(
            "SELECT count(*) FROM document_grants g JOIN documents d ON d.id = g.document_id "
            "WHERE d.meeting_id = ?", (mid,))[0][0], 0)
        self.assertEqual(self.data.query(
            "SELECT count(*) FROM documents WHERE meeting_id = ? AND published_at IS NOT NULL",
            (mid,))[0][0], 0)
        # a document added afterwards is kept internal as well
        late = self.upload_doc("naskah", mid, "pelaporan", "laporan_hasil_rapat")
        self.docs["late"] = late
        self.doc_stage["late"] = "pelaporan"
        self.check_visibility("after the attempts", mid, {}, {k: "internal" for k in self.docs})
        for name in self.officials():
            self.assertEqual([t for t in self.inbox_ids(name)
                              if t in self.task_ids.values()], [])

        # --- audit -------------------------------------------------------------------------
        rows = self.audit_rows()
        actions = sorted({r["action"] for r in rows})
        for step, tid in self.task_ids.items():
            hits = [r for r in rows if r["action"] == "task.complete" and
                    r["object_type"] == "task" and r["object_id"] == str(tid)]
            self.assertEqual(len(hits), 1, "step %d: %s" % (step, actions))
        closes = [r for r in rows if r["action"] == "case.close" and
                  r["object_id"] == str(case["id"])]
        self.assertEqual(len(closes), 1, actions)
        self.assertIn("kept_internal", closes[0]["detail"])
        ours = {str(t) for t in self.task_ids.values()}
        for r in rows:
            if r["action"] == "task.complete" and r["object_id"] in ours:
                self.assertNotIn("published", json.loads(r["detail"]), r)
        self.assertAuditVerifies()

    DOSSIER_TYPE = {key: type_ for key, _, type_, _, _, _ in DOSSIER}


if __name__ == "__main__":
    h.main()
