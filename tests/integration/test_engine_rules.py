"""The SOP engine's rules beside the walk (docs/api.md "The SOP engine"): a task completed twice
at once succeeds once; acting officials (Plh/Plt) perform while appointed and not after; what a
completion needs; who may read reports and notifications."""

import os
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

MISSING = 987654321


def race(calls):
    """Runs CALLS (callables) at once behind a barrier; returns their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)
    errors = []

    def go(i):
        try:
            barrier.wait(timeout=30)
            results[i] = calls[i]()
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    if errors:
        raise errors[0]
    return results


class ConcurrencyTests(h.SopTestCase):
    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()
        cls.people = h.SopPeople(cls.data, cls.server,
                                 only=[n for n, _ in h.SEED_OFFICIALS] + ["pic1", "pic2"])
        # second sessions of the same officials
        cls.persidangan_b = h.new_client(cls.server, "persidangan")
        cls.karo_b = h.new_client(cls.server, "karo")

    def fresh_dossier(self):
        m = self.create_meeting(self.people.c["persidangan"])
        self.upload_doc("persidangan", m["id"], "perencanaan", "undangan")
        self.upload_doc("persidangan", m["id"], "pelaksanaan", "notulensi")
        return m["id"]

    def completions_audited(self, tid):
        return [r for r in self.audit_rows() if r["action"] == "task.complete" and
                r["object_type"] == "task" and r["object_id"] == str(tid)]

    def assertOneWinner(self, results, tid):
        statuses = sorted(r.status for r in results)
        self.assertEqual(statuses, [200, 409], "\n\n".join(r.describe() for r in results))
        loser = next(r for r in results if r.status == 409)
        self.assertError(loser, 409, "conflict")
        self.assertEqual(len(self.completions_audited(tid)), 1, "completion audited twice")
        return next(i for i, r in enumerate(results) if r.status == 200)

    def test_two_performers_at_once(self):
        for rnd in range(4):
            with self.subTest(round=rnd):
                mid = self.fresh_dossier()
                t = self.available_task(mid, 1)
                names = ["persidangan", "naskah"]
                results = race([lambda n=n: self.complete(t["id"], n, {"note": "oleh " + n})
                                for n in names])
                winner = names[self.assertOneWinner(results, t["id"])]
                case = self.get_case(mid)
                ones = self.case_tasks(case, 1)
                self.assertEqual(len(ones), 1, case["tasks"])
                self.assertEqual(ones[0]["state"], "completed")
                self.assertUserRef(ones[0]["completed_by"], winner)
                self.assertEqual(len(self.case_tasks(case, 2)), 1, "step 2 reached twice")
                self.assertEqual(case["current_steps"], [2])
                subs = [a for a in case["artefacts"] if a["kind"] == "submission"]
                self.assertEqual(len(subs), 1, case["artefacts"])
                self.assertUserRef(subs[0]["author"], winner)
                self.assertEqual(subs[0]["text"], "oleh " + winner)
                self.assertEqual(
                    self.data.query("SELECT count(*) FROM tasks WHERE case_id = ? AND step = 2",
                                    (case["id"],))[0][0], 1)

    def test_same_official_twice_at_once(self):
        for rnd in range(3):
            with self.subTest(round=rnd):
                mid = self.fresh_dossier()
                t = self.available_task(mid, 1)
                results = race([
                    lambda: self.complete(t["id"], "persidangan", {"note": "a"}),
                    lambda: self.complete(t["id"], self.persidangan_b, {"note": "b"})])
                self.assertOneWinner(results, t["id"])
                case = self.get_case(mid)
                self.assertEqual(len(self.case_tasks(case, 2)), 1)
                self.assertEqual(len([a for a in case["artefacts"]
                                      if a["kind"] == "submission"]), 1)

    def test_contrary_decisions_at_once(self):
        # "ya" and "tidak" at the same moment: one decision, and a case that agrees with it.
        for rnd in range(3):
            with self.subTest(round=rnd):
                mid = self.fresh_dossier()
                self.walk_to(mid, 3)
                t = self.available_task(mid, 3)
                results = race([
                    lambda: self.complete(t["id"], "karo", {"answer": "ya", "reason": "ya"}),
                    lambda: self.complete(t["id"], self.karo_b,
                                          {"answer": "tidak", "reason": "tidak"})])
                won = ("ya", "tidak")[self.assertOneWinner(results, t["id"])]
                case = self.get_case(mid)
                decisions = [a for a in case["artefacts"] if a["kind"] == "decision"]
                self.assertEqual(len(decisions), 1, case["artefacts"])
                self.assertEqual(self.case_tasks(case, 3)[0]["answer"], won)
                if won == "ya":
                    self.assertEqual(case["state"], "open")
                    self.assertEqual(case["current_steps"], [4])
                    self.assertEqual(len(self.case_tasks(case, 4)), 1)
                else:
                    self.assertEqual(case["state"], "kept_internal")
                    self.assertEqual(case["current_steps"], [])
                    self.assertEqual(self.case_tasks(case, 4), [])

    def test_two_publications_at_once(self):
        # two sessions of the named officer publish with different grants: one set applies
        P = self.people
        mid = self.fresh_dossier()
        self.walk_to(mid, 6)
        t = self.available_task(mid, 6)
        doc = [d for d in self.open_task(t["id"], "persidangan")["context"]["documents"]][0]
        bodies = [{"grants": [{"document_id": doc["id"], "users": [P.ids["pic1"]]}]},
                  {"grants": [{"document_id": doc["id"], "users": [P.ids["pic2"]]}]}]
        results = race([lambda: self.complete(t["id"], "persidangan", bodies[0]),
                        lambda: self.complete(t["id"], self.persidangan_b, bodies[1])])
        i = self.assertOneWinner(results, t["id"])
        granted = self.data.query("SELECT user_id FROM document_grants WHERE document_id = ?",
                                  (doc["id"],))
        self.assertEqual(granted, [(P.ids[("pic1", "pic2")[i]],)])
        loser = ("pic1", "pic2")[1 - i]
        self.assertError(P.c[loser].get("/api/documents/%d" % doc["id"]), 404, "not_found")
        self.assertEqual(P.c[("pic1", "pic2")[i]].get("/api/documents/%d" % doc["id"]).status,
                         200)
        self.assertAuditVerifies()


class EngineRulesTests(h.SopTestCase):
    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()
        cls.people = h.SopPeople(cls.data, cls.server,
                                 extra=[("persidangan_low", "pengelola_persidangan", "terbatas")])

    def test_compile_needs_a_document(self):
        m = self.create_meeting(self.people.c["persidangan"])
        t = self.available_task(m["id"], 1)
        r = self.complete(t["id"], "persidangan", {"note": "kosong"})
        self.assertError(r, 400)
        self.assertIsNone(self.available_task(m["id"], 1)["completed_at"])
        self.upload_doc("persidangan", m["id"], "perencanaan", "undangan")
        self.complete_ok(t["id"], "persidangan", {"note": "isi"})

    def test_csrf_and_session_required(self):
        m = self.create_meeting(self.people.c["persidangan"])
        self.upload_doc("persidangan", m["id"], "perencanaan", "undangan")
        t = self.available_task(m["id"], 1)
        c = self.people.c["persidangan"]
        path = "/api/tasks/%d/complete" % t["id"]
        self.assertError(c.post(path, {}, csrf=False), 403, "csrf_failed")
        self.assertError(c.post(path, {}, csrf="0" * 43), 403, "csrf_failed")
        anon = h.Client(self.server)
        self.assertError(anon.post(path, {}), (401, 403))
        self.assertError(anon.get("/api/tasks"), 401, "unauthenticated")
        self.assertError(anon.get("/api/tasks/%d" % t["id"]), 401, "unauthenticated")
        self.assertIsNone(self.available_task(m["id"], 1)["completed_at"])

    def test_body_must_be_a_json_object_with_known_keys(self):
        m = self.create_meeting(self.people.c["persidangan"])
        self.upload_doc("persidangan", m["id"], "perencanaan", "undangan")
        t = self.available_task(m["id"], 1)
        c = self.people.c["persidangan"]
        path = "/api/tasks/%d/complete" % t["id"]
        self.assertError(c.post(path, []), 400)
        self.assertError(c.post(path, "catatan"), 400)
        self.assertError(c.request("POST", path, body=b"{\"note\": ",
                                   headers={"Content-Type": "application/json"}), 400,
                         "invalid_json")
        # keys of other actions are unknown keys here
        self.assertError(c.post(path, {"note": "x", "answer": "ya"}), 400)
        self.assertError(c.post(path, {"note": "x", "grants": []}), 400)
        self.assertIsNone(self.available_task(m["id"], 1)["completed_at"])

    def test_unknown_task(self):
        c = self.people.c["persidangan"]
        self.assertError(c.get("/api/tasks/%d" % MISSING), 404, "not_found")
        self.assertError(c.post("/api/tasks/%d/complete" % MISSING, {"note": "x"}), 404,
                         "not_found")
        self.assertError(c.get("/api/meetings/%d/case" % MISSING), 404, "not_found")
        self.assertError(c.post("/api/meetings/%d/case" % MISSING), 404, "not_found")

    def test_task_of_a_meeting_above_clearance_is_missing(self):
        # A holder of the step's role whose clearance is below the meeting's may not see it
        # (docs/api.md "Who sees what"; GET /api/tasks/{id}: "visible to anyone who may read the
        # meeting (404 otherwise)"), so its task is missing to them: not offered, not readable,
        # not completable.
        m = self.create_meeting(self.people.c["persidangan"], classification="rahasia",
                                title="Rapat rahasia 4f1c")
        self.upload_doc("persidangan", m["id"], "perencanaan", "undangan")
        t = self.available_task(m["id"], 1)
        low = self.people.c["persidangan_low"]
        self.assertError(low.get("/api/meetings/%d" % m["id"]), 404, "not_found")
        with self.subTest("inbox"):
            r = low.get("/api/tasks")
            self.assertEqual(r.status, 200, r.describe())
            self.assertNotIn(t["id"], [x["id"] for x in r.json()["items"]],
                             "the inbox offers a task of a meeting above the user's clearance")
            self.assertNotIn(b"4f1c", r.body)
        with self.subTest("read"):
            r = low.get("/api/tasks/%d" % t["id"])
            self.assertError(r, 404, "not_found")
            self.assertEqual(r.json(), low.get("/api/tasks/%d" % MISSING).json())
        with self.subTest("case"):
            self.assertError(low.get("/api/meetings/%d/case" % m["id"]), 404, "not_found")
        with self.subTest("complete"):
            r = low.post("/api/tasks/%d/complete" % t["id"], {"note": "x"})
            self.assertError(r, 404, "not_found")
            self.assertEqual(r.json(), low.post("/api/tasks/%d/complete" % MISSING,
                                                {"note": "x"}).json())
            self.assertIsNone(self.available_task(m["id"], 1)["completed_at"])

    def test_task_context_hides_documents_above_clearance(self):
        # A performer may see the meeting but not one of its documents: the document must not
        # surface through the task (context), the case (artefacts) or the inbox either
        # (docs/internals/acl.md invariant 1: every path returning a document passes the check).
        m = self.create_meeting(self.people.c["persidangan"], classification="biasa")
        marker = "dokumen-rahasia-9b27"
        hidden = self.upload_doc("persidangan", m["id"], "perencanaan", "bahan_rapat",
                                 classification="rahasia", title=marker)
        self.upload_doc("persidangan", m["id"], "perencanaan", "undangan")
        t = self.available_task(m["id"], 1)
        low = self.people.c["persidangan_low"]
        listed = low.get("/api/meetings/%d/documents" % m["id"]).json()["items"]
        self.assertNotIn(hidden["id"], [d["id"] for d in listed])
        r = low.get("/api/tasks/%d" % t["id"])
        self.assertEqual(r.status, 200, r.describe())
        ctx = [d["id"] for d in r.json()["context"]["documents"]]
        self.assertNotIn(hidden["id"], ctx, "the compile context lists a document above the "
                         "performer's clearance")
        self.assertNotIn(marker.encode(), r.body)
        self.assertNotIn(hidden["_sha256"].encode(), r.body)
        # completed by a cleared officer: the submission artefact lists the documents
        self.complete_ok(t["id"], "persidangan", {"note": "dihimpun"})
        r = low.get("/api/meetings/%d/case" % m["id"])
        self.assertEqual(r.status, 200, r.describe())
        self.assertNotIn(marker.encode(), r.body, "the case's artefacts name a document above "
                         "the reader's clearance")
        self.assertNotIn(hidden["_sha256"].encode(), r.body)

    def test_outsiders_cannot_start_a_case(self):
        m = self.create_meeting(self.people.c["persidangan"])
        for who in ("pic1", "admin", "auditor"):
            with self.subTest(who=who):
                r = self.people.c[who].post("/api/meetings/%d/case" % m["id"])
                self.assertError(r, (403, 404))
        self.assertEqual(self.data.query("SELECT count(*) FROM cases WHERE meeting_id = ?",
                                         (m["id"],))[0][0], 1)

    def test_inbox_oldest_first_and_only_own(self):
        a = self.create_meeting(self.people.c["persidangan"])
        b = self.create_meeting(self.people.c["persidangan"])
        ta = self.available_task(a["id"], 1)["id"]
        tb = self.available_task(b["id"], 1)["id"]
        r = self.people.c["persidangan"].get("/api/tasks")
        self.assertEqual(r.status, 200, r.describe())
        ids = [t["id"] for t in r.json()["items"]]
        self.assertLess(ids.index(ta), ids.index(tb))
        for t in r.json()["items"]:
            self.assertEqual(t["state"], "available")
            self.assertIs(t["can_complete"], True)
        for who in ("karo", "kabag", "kasubbag", "pic1", "admin", "auditor"):
            self.assertNotIn(ta, self.inbox_ids(who), who)

    def test_compliance_report_access_and_period(self):
        for who in ("karo", "kabag", "auditor"):
            with self.subTest(allowed=who):
                r = self.people.c[who].get("/api/reports/compliance")
                self.assertEqual(r.status, 200, r.describe())
                j = r.json()
                for key in ("from", "to", "per_step", "per_case", "per_official", "per_period"):
                    self.assertIn(key, j)
                r = self.people.c[who].get("/api/reports/compliance?from=2026-01-01&to=2026-12-31")
                self.assertEqual(r.status, 200, r.describe())
                self.assertEqual((r.json()["from"], r.json()["to"]), ("2026-01-01", "2026-12-31"))
        for who in ("kasubbag", "persidangan", "naskah", "pic1", "pic2", "admin"):
            with self.subTest(refused=who):
                self.assertError(self.people.c[who].get("/api/reports/compliance"), 403,
                                 "forbidden")
        karo = self.people.c["karo"]
        self.assertError(karo.get("/api/reports/compliance?from=2026-13-01"), 400, field="from")
        self.assertError(karo.get("/api/reports/compliance?to=kemarin"), 400, field="to")
        self.assertError(karo.get("/api/reports/compliance?from=2026-11-02&to=2026-11-01"), 400)

    def test_notifications_are_per_user(self):
        for who in ("pic1", "admin", "persidangan"):
            with self.subTest(who=who):
                r = self.people.c[who].get("/api/notifications")
                self.assertEqual(r.status, 200, r.describe())
                self.assertEqual(r.json()["items"], [])
                self.assertEqual(r.json()["unread"], 0)
                self.assertError(self.people.c[who].post("/api/notifications/%d/read" % MISSING),
                                 404, "not_found")
        self.assertError(h.Client(self.server).get("/api/notifications"), 401)

    def test_directory_for_choosing_pics(self):
        r = self.people.c["persidangan"].get("/api/directory?role=reader")
        self.assertEqual(r.status, 200, r.describe())
        users = {u["username"]: u for u in r.json()["items"]}
        self.assertEqual(set(users) & {"pic1", "pic2"}, {"pic1", "pic2"})
        self.assertEqual(users["pic1"]["clearance"], "rahasia")
        self.assertEqual(users["pic2"]["clearance"], "biasa")
        self.assertNotIn("karo", users)
        for u in users.values():
            self.assertNotIn("password_hash", u)
        # contract: "for bureau members"; a PIC browsing the ministry's staff list is not that
        r = self.people.c["pic1"].get("/api/directory")
        self.assertError(r, (403, 404))


class ActingTests(h.SopTestCase):
    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()
        cls.people = h.SopPeople(cls.data, cls.server,
                                 extra=[("persidangan2", "pengelola_persidangan",
                                         "sangat_rahasia")])

    def fresh_dossier(self):
        m = self.create_meeting(self.people.c["persidangan"])
        self.upload_doc("persidangan", m["id"], "perencanaan", "undangan")
        self.upload_doc("persidangan", m["id"], "pelaksanaan", "notulensi")
        return m["id"]

    def appoint(self, **over):
        body = {"user": "kasubbag", "role": "kabag_persidangan", "kind": "plh",
                "starts": h.utc_date(0), "ends": h.utc_date(1), "reason": "Kabag sedang cuti"}
        body.update(over)
        r = self.people.c["admin"].post("/api/acting", body)
        self.assertEqual(r.status, 201, r.describe())
        a = r.json()
        self.addCleanup(self.people.c["admin"].request, "DELETE", "/api/acting/%d" % a["id"])
        return a

    def assertActing(self, acting, kind, role):
        """TASK.acting is {"kind", "role"} (docs/api.md); the server may add the appointment's
        id."""
        self.assertIsInstance(acting, dict, acting)
        self.assertEqual((acting.get("kind"), acting.get("role")), (kind, role), acting)

    def acting_items(self, who):
        r = self.people.c[who].get("/api/acting")
        self.assertEqual(r.status, 200, r.describe())
        return {a["id"]: a for a in r.json()["items"]}

    def test_plh_performs_a_kabag_step_until_revoked(self):
        P = self.people
        mid = self.fresh_dossier()
        self.walk_to(mid, 4)
        t4 = self.available_task(mid, 4)
        body4 = {"instruction": "Lengkapi dokumen perencanaan."}
        self.assertError(self.complete(t4["id"], "kasubbag", body4), 403, "forbidden")
        self.assertNotIn(t4["id"], self.inbox_ids("kasubbag"))

        # only an admin appoints
        actings_before = self.data.query("SELECT count(*) FROM acting")[0][0]
        good = {"user": "kasubbag", "role": "kabag_persidangan", "kind": "plh",
                "starts": h.utc_date(0), "ends": h.utc_date(1), "reason": "cuti"}
        for who in ("karo", "kabag", "kasubbag", "auditor", "pic1"):
            with self.subTest(appointer=who):
                self.assertError(P.c[who].post("/api/acting", good), 403, "forbidden")
        for bad, field in ((dict(good, user="tidak_ada"), "user"),
                           (dict(good, role="raja"), "role"),
                           (dict(good, kind="pj"), "kind"),
                           (dict(good, starts=h.utc_date(2), ends=h.utc_date(1)), None),
                           (dict(good, starts="besok"), "starts"),
                           (dict(good, for_user="tidak_ada"), "for_user")):
            with self.subTest(bad=bad):
                r = P.c["admin"].post("/api/acting", bad)
                if field:
                    self.assertError(r, 400, field=field)
                else:
                    self.assertError(r, 400)
        self.assertEqual(self.data.query("SELECT count(*) FROM acting")[0][0], actings_before)

        a = self.appoint()
        self.assertUserRef(a["user"], "kasubbag")
        self.assertEqual(a["role"], "kabag_persidangan")
        self.assertEqual(a["kind"], "plh")
        self.assertIs(a["active"], True)
        self.assertIsNone(a["revoked_at"])
        self.assertIsNone(a["for_user"])
        self.assertUserRef(a["granted_by"], "admin")
        self.assertIn(a["id"], self.acting_items("kasubbag"))
        self.assertIn(a["id"], self.acting_items("admin"))
        self.assertNotIn(a["id"], self.acting_items("karo"))

        self.assertIn(t4["id"], self.inbox_ids("kasubbag"))
        self.assertIs(self.open_task(t4["id"], "kasubbag")["can_complete"], True)
        done = self.complete_ok(t4["id"], "kasubbag", body4)
        self.assertUserRef(done["task"]["completed_by"], "kasubbag")
        self.assertActing(done["task"]["acting"], "plh", "kabag_persidangan")
        self.assertEqual(self.get_case(mid)["current_steps"], [5])

        self.walk_to(mid, 8)
        t8 = self.available_task(mid, 8)
        self.assertIn(t8["id"], self.inbox_ids("kasubbag"))
        r = P.c["admin"].request("DELETE", "/api/acting/%d" % a["id"])
        self.assertEqual(r.status, 204, r.describe())
        after = self.acting_items("admin")[a["id"]]
        self.assertIs(after["active"], False)
        self.assertIsNotNone(h.parse_iso(after["revoked_at"]))
        self.assertError(self.complete(t8["id"], "kasubbag", {"text": "selesai"}), 403,
                         "forbidden")
        self.assertNotIn(t8["id"], self.inbox_ids("kasubbag"))
        self.assertIs(self.open_task(t8["id"], "kasubbag")["can_complete"], False)
        self.assertIsNone(self.available_task(mid, 8)["completed_at"])
        done = self.complete_ok(t8["id"], "kabag", {"text": "selesai"})
        self.assertIsNone(done["task"]["acting"])
        # step 4 keeps its record of who acted
        t4_after = [t for t in self.get_case(mid)["tasks"] if t["id"] == t4["id"]][0]
        self.assertActing(t4_after["acting"], "plh", "kabag_persidangan")

        rows = self.audit_rows()
        acting_rows = [r for r in rows if r["object_type"] == "acting" and
                       r["object_id"] == str(a["id"])]
        self.assertGreaterEqual(len(acting_rows), 2, "appointment and revocation not audited: %s"
                                % sorted({r["action"] for r in rows}))
        self.assertEqual(len({r["action"] for r in acting_rows}), 2, acting_rows)
        self.assertAuditVerifies()

    def test_only_admin_revokes(self):
        a = self.appoint(user="naskah", role="kasubbag_pengelolaan")
        for who in ("karo", "naskah", "auditor"):
            with self.subTest(who=who):
                r = self.people.c[who].request("DELETE", "/api/acting/%d" % a["id"])
                self.assertError(r, (403, 404))
        self.assertIs(self.acting_items("admin")[a["id"]]["active"], True)
        r = self.people.c["admin"].request("DELETE", "/api/acting/%d" % MISSING)
        self.assertError(r, 404, "not_found")

    def test_period_not_yet_started(self):
        mid = self.fresh_dossier()
        self.walk_to(mid, 4)
        t4 = self.available_task(mid, 4)
        a = self.appoint(starts=h.utc_date(1), ends=h.utc_date(3))
        self.assertIs(self.acting_items("admin")[a["id"]]["active"], False)
        self.assertError(self.complete(t4["id"], "kasubbag", {"instruction": "x"}), 403,
                         "forbidden")
        self.assertNotIn(t4["id"], self.inbox_ids("kasubbag"))

    def test_acting_for_the_person_a_disposition_named(self):
        P = self.people
        mid = self.fresh_dossier()
        self.walk_to(mid, 5)
        t5 = self.available_task(mid, 5)
        self.complete_ok(t5["id"], "kasubbag", {"instruction": "Unggah.",
                                                "to_user": P.ids["persidangan"]})
        t6 = self.available_task(mid, 6)
        self.assertUserRef(t6["assignee"], "persidangan")
        body = {"grants": []}
        # another holder of the role, and the records officer, may not
        for who in ("persidangan2", "naskah"):
            self.assertError(self.complete(t6["id"], who, body), 403, "forbidden")
        a = self.appoint(user="naskah", role="pengelola_persidangan", for_user="persidangan",
                         kind="plt", reason="Pengelola Persidangan tugas luar")
        self.assertUserRef(a["for_user"], "persidangan")
        # acting for the named person, not for any holder: persidangan2 still may not
        self.assertError(self.complete(t6["id"], "persidangan2", body), 403, "forbidden")
        self.assertIn(t6["id"], self.inbox_ids("naskah"))
        done = self.complete_ok(t6["id"], "naskah", body)
        self.assertActing(done["task"]["acting"], "plt", "pengelola_persidangan")
        self.assertUserRef(done["task"]["completed_by"], "naskah")


class OverdueSweepTests(h.SopTestCase):
    """A task still open past its Waktu is breached, and the superior is notified without
    anyone completing it (docs/api.md "A task is breached when ... is still open past its due
    time"). The server sweeps every 30 seconds, so this waits up to 45."""

    @classmethod
    def setUpClass(cls):
        cls.clock = h.ClockFile()
        cls.data, cls.server = cls.class_server(env=cls.clock.env())
        cls.people = h.SopPeople(cls.data, cls.server,
                                 only=[n for n, _ in h.SEED_OFFICIALS] + ["auditor"])

    def breach_notes(self, task_id):
        r = self.people.c["karo"].get("/api/notifications")
        self.assertEqual(r.status, 200, r.describe())
        return [n for n in r.json()["items"] if n["kind"] == "breach" and n["task_id"] == task_id]

    def test_open_task_past_due_is_flagged_and_notified_once(self):
        m = self.create_meeting(self.people.c["persidangan"])
        self.upload_doc("persidangan", m["id"], "perencanaan", "undangan")
        self.upload_doc("persidangan", m["id"], "pelaporan", "risalah")
        self.walk_to(m["id"], 8)
        t = self.available_task(m["id"], 8)
        self.assertIs(t["breached"], False)
        self.assertEqual(self.breach_notes(t["id"]), [])
        self.clock.set(400)
        t = self.available_task(m["id"], 8)
        self.assertIs(t["breached"], True, "open past its Waktu but not breached")
        self.assertGreaterEqual(t["elapsed_seconds"], 400)
        r = self.people.c["auditor"].get("/api/reports/compliance")
        self.assertEqual(r.status, 200, r.describe())
        s8 = [s for s in r.json()["per_step"] if s["step"] == 8 and
              s["sop_code"] == h.SEED_SOP_CODE][0]
        self.assertGreaterEqual(s8["open"], 1)
        self.assertGreaterEqual(s8["open_overdue"], 1)
        deadline = time.monotonic() + 45
        while not self.breach_notes(t["id"]) and time.monotonic() < deadline:
            time.sleep(0.5)
        notes = self.breach_notes(t["id"])
        self.assertEqual(len(notes), 1, "no breach notification 45 s after the due time")
        self.assertEqual(self.data.query("SELECT breached FROM tasks WHERE id = ?",
                                         (t["id"],))[0][0], 1)
        # completing it late does not notify a second time
        done = self.complete_ok(t["id"], "kabag", {"text": "terlambat"})
        self.assertIs(done["task"]["breached"], True)
        self.assertEqual(len(self.breach_notes(t["id"])), 1, "breach notified twice")
        # those below the Kabag do not hear of the Kabag's breach
        for who in ("kasubbag", "persidangan", "naskah"):
            r = self.people.c[who].get("/api/notifications")
            self.assertEqual([n for n in r.json()["items"] if n["task_id"] == t["id"]], [], who)


if __name__ == "__main__":
    h.main()
