"""The administration pages' API and the auditor's viewer (docs/api.md "Administration and
audit"): accounts, roles, SOP definitions and the default SOP for the admin; the audit trail,
filtered and paged, and its verification for the auditor, each read audited."""

import json
import os
import re
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

USER_KEYS = {"id", "username", "display_name", "nip", "unit", "clearance", "roles", "disabled",
             "created_at"}
ENTRY_KEYS = {"seq", "at", "actor", "actor_id", "address", "action", "object_type", "object_id",
              "detail", "hash", "prev_hash"}
HEX64_RE = re.compile(r"^[0-9a-f]{64}$")
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


def last_audit(data, action):
    """The detail (parsed) and actor of the newest entry with ACTION, or (None, None)."""
    rows = data.query("SELECT detail, actor FROM audit_log WHERE action = ? ORDER BY seq DESC "
                      "LIMIT 1", (action,))
    if not rows:
        return None, None
    return json.loads(rows[0][0]), rows[0][1]


class AccountTests(h.SidangTestCase):
    """GET/POST /api/users, PATCH /api/users/{id}, POST /api/users/{id}/password, GET /api/roles."""

    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()
        cls.admin = cls.data.add_user("admin", roles=("admin",))
        cls.auditor = cls.data.add_user("auditor", roles=("auditor",))
        cls.karo = cls.data.add_user("karo", roles=("karo_hph",), clearance="sangat_rahasia")
        cls.pic = cls.data.add_user("pic", roles=("reader",))

    def setUp(self):
        self.a = self.login(self.server, self.admin)

    def others(self):
        return [self.login(self.server, n) for n in (self.auditor, self.karo, self.pic)]

    def new_account(self, **over):
        body = {"username": self.data.unique_name("akun"), "display_name": "Akun Uji",
                "nip": "196501011990031001", "unit": "Biro HPH", "clearance": "terbatas",
                "roles": ["reader"], "password": h.PASSWORD}
        body.update(over)
        r = self.a.post("/api/users", {k: v for k, v in body.items() if v is not ...})
        self.assertEqual(r.status, 201, r.describe())
        return r.json()

    def assertUser(self, u):
        self.assertEqual(set(u), USER_KEYS, u)
        self.assertIsInstance(u["id"], int)
        self.assertIsInstance(u["disabled"], bool)
        h.parse_iso(u["created_at"])
        self.assertNotIn("password", json.dumps(u))
        self.assertNotIn("argon2", json.dumps(u))

    # --- listing and creating ---------------------------------------------------------------

    def test_list_for_admin_only(self):
        r = self.a.get("/api/users")
        self.assertEqual(r.status, 200, r.describe())
        items = r.json()["items"]
        names = [u["username"] for u in items]
        self.assertEqual(names, sorted(names))
        for n in (self.admin, self.auditor, self.karo, self.pic):
            self.assertIn(n, names)
        for u in items:
            self.assertUser(u)
        karo = next(u for u in items if u["username"] == self.karo)
        self.assertEqual(karo["roles"], ["karo_hph"])
        self.assertEqual(karo["clearance"], "sangat_rahasia")
        self.assertFalse(karo["disabled"])
        for c in self.others():
            with self.subTest(user=c.user["username"]):
                self.assertError(c.get("/api/users"), 403, "forbidden")

    def test_create(self):
        name = self.data.unique_name("baru")
        body = {"username": name, "display_name": "Siti Aminah", "nip": "196501011990031001",
                "unit": "Biro HPH", "clearance": "rahasia", "roles": ["pengelola_naskah", "reader"],
                "password": "sandi-baru-yang-panjang"}
        r = self.a.post("/api/users", body)
        self.assertEqual(r.status, 201, r.describe())
        u = r.json()
        self.assertUser(u)
        self.assertEqual(u["username"], name)
        self.assertEqual(u["display_name"], "Siti Aminah")
        self.assertEqual(u["nip"], "196501011990031001")
        self.assertEqual(u["unit"], "Biro HPH")
        self.assertEqual(u["clearance"], "rahasia")
        self.assertEqual(sorted(u["roles"]), ["pengelola_naskah", "reader"])
        self.assertFalse(u["disabled"])
        # The new account logs in with its password; the audit trail names who created it.
        c = self.login(self.server, name, "sandi-baru-yang-panjang")
        self.assertEqual(c.user["id"], u["id"])
        detail, actor = last_audit(self.data, "user.create")
        self.assertEqual(actor, self.admin)
        self.assertEqual(detail["username"], name)
        self.assertNotIn("sandi-baru", json.dumps(detail))
        # Only the required fields: display name defaults to the username, clearance to biasa.
        m = self.new_account(display_name=..., nip=..., unit=..., clearance=...)
        self.assertEqual(m["display_name"], m["username"])
        self.assertEqual(m["clearance"], "biasa")
        self.assertIsNone(m["nip"])
        self.assertIsNone(m["unit"])

    def test_create_refusals(self):
        taken = self.new_account()
        r = self.a.post("/api/users", {"username": taken["username"], "roles": ["reader"],
                                       "password": h.PASSWORD})
        self.assertError(r, 409, "conflict", "username")
        base = {"username": self.data.unique_name("x"), "roles": ["reader"],
                "password": h.PASSWORD}
        cases = [
            ({"username": "Budi Besar"}, "username"),
            ({"username": ""}, "username"),
            ({"username": 7}, "username"),
            ({"password": "pendek"}, "password"),
            ({"password": None}, "password"),
            ({"nip": "12345"}, "nip"),
            ({"unit": "a" * 201}, "unit"),
            ({"display_name": ""}, "display_name"),
            ({"clearance": "top_secret"}, "clearance"),
            ({"roles": []}, "roles"),
            ({"roles": "reader"}, "roles"),
            ({"roles": ["reader", 3]}, "roles"),
            ({"roles": ["superuser"]}, "roles"),
            ({"roles": ["reader", "reader"]}, "roles"),
            ({"roles": ["reader"] * 9}, "roles"),
            ({"is_admin": True}, "is_admin"),
        ]
        for change, field in cases:
            with self.subTest(change=change):
                body = dict(base)
                body.update(change)
                self.assertError(self.a.post("/api/users", body), 400, "validation_failed",
                                 field)
        missing = dict(base)
        del missing["password"]
        self.assertError(self.a.post("/api/users", missing), 400, "validation_failed",
                         "password")
        # Nothing of it was created.
        names = [u["username"] for u in self.a.get("/api/users").json()["items"]]
        self.assertNotIn(base["username"], names)
        # Not an administrator; no CSRF token; not JSON.
        for c in self.others():
            with self.subTest(user=c.user["username"]):
                self.assertError(c.post("/api/users", base), 403, "forbidden")
        self.assertError(self.a.post("/api/users", base, csrf=False), 403, "csrf_failed")
        r = self.a.request("POST", "/api/users", body=b"username=x",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertError(r, 415)

    # --- editing --------------------------------------------------------------------------

    def test_patch(self):
        u = self.new_account(roles=["reader"], clearance="biasa")
        c = self.login(self.server, u["username"])
        r = self.a.patch("/api/users/%d" % u["id"],
                         {"display_name": "Nama Baru", "nip": "197001011995031002", "unit": "",
                          "clearance": "rahasia", "roles": ["pengelola_persidangan", "reader"]})
        self.assertEqual(r.status, 200, r.describe())
        v = r.json()
        self.assertUser(v)
        self.assertEqual(v["display_name"], "Nama Baru")
        self.assertEqual(v["nip"], "197001011995031002")
        self.assertIsNone(v["unit"])
        self.assertEqual(v["clearance"], "rahasia")
        self.assertEqual(sorted(v["roles"]), ["pengelola_persidangan", "reader"])
        # The account's session sees the new roles at once (and now creates meetings).
        me = c.get("/api/me").json()["user"]
        self.assertEqual(sorted(me["roles"]), ["pengelola_persidangan", "reader"])
        self.assertEqual(c.post("/api/meetings", h.meeting_body()).status, 201)
        # One audit entry with the old and the new values.
        detail, actor = last_audit(self.data, "user.update")
        self.assertEqual(actor, self.admin)
        self.assertEqual(detail["username"], u["username"])
        self.assertEqual(detail["old"]["clearance"], "biasa")
        self.assertEqual(detail["new"]["clearance"], "rahasia")
        self.assertEqual(detail["old"]["roles"], ["reader"])
        self.assertEqual(sorted(detail["new"]["roles"]), ["pengelola_persidangan", "reader"])
        self.assertEqual(detail["old"]["unit"], "Biro HPH")
        self.assertIsNone(detail["new"]["unit"])
        # An empty edit changes nothing and writes nothing.
        n = self.data.query("SELECT count(*) FROM audit_log WHERE action = 'user.update'")[0][0]
        r = self.a.patch("/api/users/%d" % u["id"], {})
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(r.json(), v)
        self.assertEqual(
            self.data.query("SELECT count(*) FROM audit_log WHERE action = 'user.update'")[0][0], n)

    def test_patch_refusals(self):
        u = self.new_account()
        path = "/api/users/%d" % u["id"]
        cases = [
            ({"display_name": ""}, "display_name"),
            ({"nip": "1"}, "nip"),
            ({"nip": None}, "nip"),
            ({"clearance": "x"}, "clearance"),
            ({"disabled": "yes"}, "disabled"),
            ({"disabled": 1}, "disabled"),
            ({"roles": []}, "roles"),
            ({"roles": ["nope"]}, "roles"),
            ({"username": "renamed"}, "username"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                self.assertError(self.a.patch(path, body), 400, "validation_failed", field)
        self.assertError(self.a.patch("/api/users/%d" % MISSING, {"unit": "x"}), 404,
                         "not_found")
        self.assertError(self.a.patch("/api/users/abc", {"unit": "x"}), 404)
        for c in self.others():
            with self.subTest(user=c.user["username"]):
                self.assertError(c.patch(path, {"unit": "x"}), 403, "forbidden")
        self.assertEqual(self.a.get("/api/users").json()["items"][0].keys(), USER_KEYS)

    def test_admin_cannot_lock_themselves_out(self):
        me = self.a.user["id"]
        r = self.a.patch("/api/users/%d" % me, {"disabled": True})
        self.assertError(r, 400, "validation_failed", "disabled")
        r = self.a.patch("/api/users/%d" % me, {"roles": ["auditor"]})
        self.assertError(r, 400, "validation_failed", "roles")
        # Still an active administrator, still logged in.
        me_now = self.a.get("/api/me")
        self.assertEqual(me_now.status, 200, me_now.describe())
        self.assertIn("admin", me_now.json()["user"]["roles"])
        # Adding a role to oneself while keeping admin is fine (and taken back).
        r = self.a.patch("/api/users/%d" % me, {"roles": ["admin", "auditor"]})
        self.assertEqual(r.status, 200, r.describe())
        r = self.a.patch("/api/users/%d" % me, {"roles": ["admin"]})
        self.assertEqual(r.status, 200, r.describe())

    def active_admins(self):
        return self.data.query("SELECT count(*) FROM users u JOIN user_roles r ON r.user_id = u.id"
                               " WHERE r.role = 'admin' AND u.disabled = 0")[0][0]

    def test_last_active_admin_kept_under_races(self):
        # Two administrators remove each other at once, by disabling and by dropping the role.
        # Exactly one succeeds: the other is refused as the last active administrator (400), or
        # arrives after its own session or role is gone (401, 403). The instance keeps a way in.
        second = self.new_account(roles=["admin"])
        ids = {self.admin: self.a.user["id"], second["username"]: second["id"]}
        back = {"disabled": False, "roles": ["admin"]}
        for change in ({"disabled": True}, {"roles": ["reader"]}):
            for attempt in range(3):
                with self.subTest(change=change, attempt=attempt):
                    a1 = self.login(self.server, self.admin)
                    a2 = self.login(self.server, second["username"])
                    r1, r2 = race([lambda: a1.patch("/api/users/%d" % second["id"], change),
                                   lambda: a2.patch("/api/users/%d" % ids[self.admin], change)])
                    self.assertEqual(sorted([r1.status == 200, r2.status == 200]),
                                     [False, True], "%s\n%s" % (r1.describe(), r2.describe()))
                    for r in (r1, r2):
                        self.assertIn(r.status, (200, 400, 401, 403), r.describe())
                    self.assertEqual(self.active_admins(), 1)
                    # The winner puts the loser back.
                    winner, loser = ((self.admin, second["username"]) if r1.status == 200
                                     else (second["username"], self.admin))
                    r = self.login(self.server, winner).patch("/api/users/%d" % ids[loser], back)
                    self.assertEqual(r.status, 200, r.describe())
                    self.assertEqual(self.active_admins(), 2)
        # Refusals as the last active administrator are recorded nowhere: nothing changed.
        self.assertEqual(self.active_admins(), 2)

    def test_disabling_ends_sessions(self):
        u = self.new_account()
        c = self.login(self.server, u["username"])
        self.assertEqual(c.get("/api/me").status, 200)
        r = self.a.patch("/api/users/%d" % u["id"], {"disabled": True})
        self.assertEqual(r.status, 200, r.describe())
        self.assertTrue(r.json()["disabled"])
        self.assertError(c.get("/api/me"), 401, "unauthenticated")
        self.assertEqual(self.data.query("SELECT count(*) FROM sessions WHERE user_id = ?",
                                         (u["id"],))[0][0], 0)
        self.assertError(h.Client(self.server).login(u["username"]), 401, "invalid_credentials")
        detail, _ = last_audit(self.data, "user.update")
        self.assertEqual(detail["sessions_ended"], 1)
        self.assertEqual(detail["old"], {"disabled": False})
        self.assertEqual(detail["new"], {"disabled": True})
        listed = [x for x in self.a.get("/api/users").json()["items"] if x["id"] == u["id"]]
        self.assertTrue(listed[0]["disabled"])
        r = self.a.patch("/api/users/%d" % u["id"], {"disabled": False})
        self.assertEqual(r.status, 200, r.describe())
        self.login(self.server, u["username"])

    def test_password_reset(self):
        u = self.new_account()
        c = self.login(self.server, u["username"])
        path = "/api/users/%d/password" % u["id"]
        self.assertError(self.a.post(path, {"password": "pendek"}), 400, "validation_failed",
                         "password")
        self.assertError(self.a.post(path, {}), 400, "validation_failed", "password")
        self.assertError(self.a.post(path, {"password": h.PASSWORD, "x": 1}), 400,
                         "validation_failed", "x")
        for o in self.others():
            with self.subTest(user=o.user["username"]):
                self.assertError(o.post(path, {"password": "sandi-lain-panjang"}), 403,
                                 "forbidden")
        self.assertError(self.a.post("/api/users/%d/password" % MISSING,
                                     {"password": "sandi-lain-panjang"}), 404, "not_found")
        # Still the old password everywhere.
        self.assertEqual(c.get("/api/me").status, 200)
        r = self.a.post(path, {"password": "sandi-lain-yang-panjang"})
        self.assertEqual(r.status, 204, r.describe())
        self.assertEqual(r.body, b"")
        # The old password and the old session are gone; the new one logs in.
        self.assertError(c.get("/api/me"), 401)
        self.assertError(h.Client(self.server).login(u["username"]), 401, "invalid_credentials")
        self.login(self.server, u["username"], "sandi-lain-yang-panjang")
        detail, actor = last_audit(self.data, "user.password")
        self.assertEqual(actor, self.admin)
        self.assertNotIn("sandi-lain", json.dumps(detail))

    def test_roles(self):
        expected = set(h.ALL_ROLES)
        for who in (self.a, self.login(self.server, self.karo)):
            with self.subTest(user=who.user["username"]):
                r = who.get("/api/roles")
                self.assertEqual(r.status, 200, r.describe())
                items = r.json()["items"]
                self.assertTrue(expected <= {i["code"] for i in items}, items)
                by = {i["code"]: i for i in items}
                for i in items:
                    self.assertEqual(set(i), {"code", "name_id", "name_en", "kind", "superior",
                                              "holders"})
                    self.assertIsInstance(i["holders"], int)
                self.assertEqual(by["admin"]["kind"], "admin")
                self.assertEqual(by["karo_hph"]["kind"], "sop")
                self.assertEqual(by["kabag_persidangan"]["superior"], "karo_hph")
                self.assertIsNone(by["karo_hph"]["superior"])
                # holders: active accounts with the role, as the database has them.
                for code in ("admin", "karo_hph", "auditor", "reader"):
                    n = self.data.query(
                        "SELECT count(*) FROM user_roles r JOIN users u ON u.id = r.user_id"
                        " WHERE r.role = ? AND u.disabled = 0", (code,))[0][0]
                    self.assertEqual(by[code]["holders"], n, code)
        for name in (self.auditor, self.pic):
            with self.subTest(user=name):
                self.assertError(self.login(self.server, name).get("/api/roles"), 403,
                                 "forbidden")


class SopDefinitionTests(h.SidangTestCase):
    """POST /api/sops and PUT /api/settings/default_sop."""

    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()
        cls.admin = cls.data.add_user("admin", roles=("admin",))
        cls.officer = cls.data.add_user("persidangan", roles=("pengelola_persidangan",),
                                        clearance="sangat_rahasia")
        cls.auditor = cls.data.add_user("auditor", roles=("auditor",))
        with open(h.SEED_SOP_FILE, encoding="utf-8") as f:
            cls.seed = f.read()

    def setUp(self):
        self.a = self.login(self.server, self.admin)

    def imp(self, text, filename="definisi.yaml", client=None):
        return (client or self.a).post("/api/sops", {"filename": filename, "text": text})

    def versions(self, code=h.SEED_SOP_CODE):
        r = self.a.get("/api/sops")
        self.assertEqual(r.status, 200, r.describe())
        return sorted(v["version"] for v in r.json()["items"] if v["code"] == code)

    def test_import_unchanged_then_changed(self):
        self.assertLess(len(json.dumps({"filename": "x", "text": self.seed})), 64 * 1024,
                        "the seed no longer fits a JSON body: raise its limit (docs/api.md)")
        before = self.versions()
        r = self.imp(self.seed, "pemilihan-pengunggahan-data.yaml")
        self.assertEqual(r.status, 200, r.describe())
        j = r.json()
        self.assertEqual(set(j), {"version_id", "code", "version", "unchanged"})
        self.assertTrue(j["unchanged"])
        self.assertEqual(j["code"], h.SEED_SOP_CODE)
        self.assertEqual(j["version"], max(before))
        self.assertEqual(self.versions(), before)
        # A changed copy: the next version.
        changed = self.seed.replace("  revision: 0\n", "  revision: 0\n  # diubah lewat API\n", 1)
        self.assertNotEqual(changed, self.seed)
        r = self.imp(changed, "pemilihan-pengunggahan-data.yaml")
        self.assertEqual(r.status, 201, r.describe())
        j = r.json()
        self.assertFalse(j["unchanged"])
        self.assertEqual(j["version"], max(before) + 1)
        self.assertEqual(self.versions(), before + [max(before) + 1])
        got = self.a.get("/api/sops/%d" % j["version_id"])
        self.assertEqual(got.status, 200, got.describe())
        self.assertEqual(got.json()["version"], j["version"])
        rows = self.data.query("SELECT actor, detail FROM audit_log WHERE action = 'sop.import'"
                               " ORDER BY seq DESC LIMIT 1")
        self.assertEqual(rows[0][0], self.admin)
        # The same text again is that version.
        r = self.imp(changed)
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(r.json()["version_id"], j["version_id"])

    def test_broken_definitions_refused_with_line(self):
        before = self.data.query("SELECT count(*) FROM sop_versions")[0][0]
        for name in ("next-missing-step.yaml", "unknown-role.yaml", "yaml-syntax.yaml",
                     "unreachable-step.yaml"):
            with self.subTest(fixture=name):
                with open(os.path.join(h.SOP_FIXTURES_DIR, name), encoding="utf-8") as f:
                    text = f.read()
                m = re.match(r"^#\s*expect:\s*(\d+):\s*(.*?)\s*$", text.splitlines()[0])
                self.assertIsNotNone(m, name)
                r = self.imp(text, name)
                err = self.assertError(r, 400, "validation_failed", "text")
                self.assertEqual(err.get("line"), int(m.group(1)), r.describe())
                self.assertTrue(err["message"].startswith("%s:%s: " % (name, m.group(1))),
                                r.describe())
                self.assertIn(m.group(2), err["message"])
        # A broken copy of the seed: a next step that does not exist.
        broken = self.seed.replace("next: 2", "next: 42", 1)
        self.assertNotEqual(broken, self.seed)
        err = self.assertError(self.imp(broken, "rusak.yaml"), 400, "validation_failed", "text")
        self.assertIsInstance(err["line"], int)
        self.assertIn("42", err["message"])
        self.assertEqual(self.data.query("SELECT count(*) FROM sop_versions")[0][0], before)

    def test_import_refusals(self):
        for body, field in (({"filename": "x.yaml"}, "text"),
                            ({"filename": "x.yaml", "text": 5}, "text"),
                            ({"text": self.seed}, "filename"),
                            ({"filename": "../x.yaml", "text": self.seed}, "filename"),
                            ({"filename": ".x", "text": self.seed}, "filename"),
                            ({"filename": "a" * 256, "text": self.seed}, "filename"),
                            ({"filename": "x.yaml", "text": self.seed, "code": "x"}, "code")):
            with self.subTest(body=list(body)):
                self.assertError(self.a.post("/api/sops", body), 400, "validation_failed", field)
        for name in (self.officer, self.auditor):
            with self.subTest(user=name):
                c = self.login(self.server, name)
                self.assertError(self.imp(self.seed, client=c), 403, "forbidden")
        # Over the JSON body limit: 413, nothing stored.
        big = "# " + "x" * (70 * 1024) + "\n" + self.seed
        self.assertError(self.imp(big), 413, "payload_too_large")

    def test_default_sop(self):
        # A second definition under another code, made from the seed.
        other = self.seed.replace("code: pemilihan-pengunggahan-data", "code: uji-default-sop", 1)
        r = self.imp(other, "uji-default-sop.yaml")
        self.assertEqual(r.status, 201, r.describe())
        self.assertEqual(r.json()["code"], "uji-default-sop")
        put = lambda body, c=None: (c or self.a).request("PUT", "/api/settings/default_sop",
                                                          json_body=body)
        self.assertError(put({"code": "tidak-ada"}), 400, "validation_failed", "code")
        self.assertError(put({}), 400, "validation_failed", "code")
        self.assertError(put({"code": 1}), 400, "validation_failed", "code")
        for name in (self.officer, self.auditor):
            with self.subTest(user=name):
                self.assertError(put({"code": "uji-default-sop"}, self.login(self.server, name)),
                                 403, "forbidden")
        self.assertError(self.a.request("PUT", "/api/settings/default_sop",
                                        json_body={"code": "uji-default-sop"}, csrf=False),
                         403, "csrf_failed")
        off = self.login(self.server, self.officer)
        try:
            r = put({"code": "uji-default-sop"})
            self.assertEqual(r.status, 204, r.describe())
            detail, actor = last_audit(self.data, "setting.update")
            self.assertEqual(actor, self.admin)
            self.assertEqual(detail["new"], "uji-default-sop")
            # A new meeting's case runs it.
            m = self.create_meeting(off)
            case = off.get("/api/meetings/%d/case" % m["id"]).json()
            self.assertEqual(case["sop"]["code"], "uji-default-sop")
        finally:
            r = put({"code": h.SEED_SOP_CODE})
            self.assertEqual(r.status, 204, r.describe())
        m = self.create_meeting(off)
        self.assertEqual(off.get("/api/meetings/%d/case" % m["id"]).json()["sop"]["code"],
                         h.SEED_SOP_CODE)


class AuditViewerTests(h.SidangTestCase):
    """GET /api/audit and GET /api/audit/verify."""

    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()
        cls.admin = cls.data.add_user("admin", roles=("admin",))
        cls.auditor = cls.data.add_user("auditor", roles=("auditor",))
        cls.officer = cls.data.add_user("persidangan", roles=("pengelola_persidangan",),
                                        clearance="sangat_rahasia")
        cls.karo = cls.data.add_user("karo", roles=("karo_hph",), clearance="sangat_rahasia")
        cls.pic = cls.data.add_user("pic", roles=("reader",))
        off = h.new_client(cls.server, cls.officer)
        r = off.post("/api/meetings", h.meeting_body(title="Rapat Satu"))
        cls.m1 = r.json()
        cls.m2 = off.post("/api/meetings", h.meeting_body(title="Rapat Dua")).json()
        r = off.upload(cls.m1["id"], h.pdf_bytes())
        assert r.status == 201, r.describe()
        cls.doc = r.json()
        assert off.get("/api/documents/%d" % cls.doc["id"]).status == 200
        r = off.upload(cls.m2["id"], h.pdf_bytes())
        assert r.status == 201, r.describe()
        cls.doc2 = r.json()

    def setUp(self):
        self.au = self.login(self.server, self.auditor)

    def get(self, **params):
        q = "&".join("%s=%s" % (k, v) for k, v in params.items())
        r = self.au.get("/api/audit" + ("?" + q if q else ""))
        self.assertEqual(r.status, 200, r.describe())
        j = r.json()
        self.assertEqual(set(j), {"items", "next_before"}, r.describe())
        seqs = [e["seq"] for e in j["items"]]
        self.assertEqual(seqs, sorted(seqs, reverse=True), "not newest first")
        for e in j["items"]:
            self.assertEqual(set(e), ENTRY_KEYS, e)
        return j

    def test_entries_shape(self):
        j = self.get(limit=200)
        items = j["items"]
        self.assertGreater(len(items), 5)
        for e in items:
            h.parse_iso(e["at"])
            self.assertRegex(e["hash"], HEX64_RE)
            self.assertRegex(e["prev_hash"], HEX64_RE)
            self.assertIsInstance(e["detail"], dict)
            self.assertTrue(e["actor_id"] is None or isinstance(e["actor_id"], int))
        # Exactly what the database holds.
        rows = self.data.query("SELECT seq, actor, action, object_type, object_id, detail, hash,"
                               " prev_hash FROM audit_log ORDER BY seq DESC LIMIT 200")
        top = {e["seq"]: e for e in items}
        for seq, actor, action, ot, oid, detail, hsh, prev in rows:
            if seq not in top:
                continue  # appended after the read (the read itself)
            e = top[seq]
            self.assertEqual((e["actor"], e["action"], e["object_type"], e["object_id"],
                              e["hash"], e["prev_hash"]), (actor, action, ot, oid, hsh, prev))
            self.assertEqual(e["detail"], json.loads(detail))
        # Linked: each entry's prev_hash is the hash of the one before.
        for newer, older in zip(items, items[1:]):
            if newer["seq"] == older["seq"] + 1:
                self.assertEqual(newer["prev_hash"], older["hash"])

    def test_only_auditors(self):
        for name in (self.admin, self.officer, self.karo, self.pic):
            with self.subTest(user=name):
                c = self.login(self.server, name)
                self.assertError(c.get("/api/audit"), 403, "forbidden")
                self.assertError(c.get("/api/audit/verify"), 403, "forbidden")
        self.assertError(h.Client(self.server).get("/api/audit"), 401)

    def test_filter_actor(self):
        items = self.get(actor=self.officer)["items"]
        self.assertTrue(items)
        self.assertTrue(all(e["actor"] == self.officer for e in items))
        self.assertIn("meeting.create", {e["action"] for e in items})
        self.assertEqual(self.get(actor="tidak-ada")["items"], [])

    def test_filter_action(self):
        items = self.get(action="document.")["items"]
        actions = {e["action"] for e in items}
        self.assertTrue(all(a.startswith("document.") for a in actions), actions)
        self.assertTrue({"document.create", "document.view"} <= actions, actions)
        exact = self.get(action="document.view")["items"]
        self.assertTrue(exact)
        self.assertTrue(all(e["action"] == "document.view" for e in exact))
        self.assertEqual(self.get(action="document")["items"], [])

    def test_filter_object(self):
        items = self.get(object_type="document", object_id=str(self.doc["id"]))["items"]
        self.assertTrue(items)
        for e in items:
            self.assertEqual((e["object_type"], e["object_id"]), ("document", str(self.doc["id"])))

    def test_filter_meeting(self):
        m1 = self.m1["id"]
        items = self.get(meeting=m1, limit=200)["items"]
        cases = {str(r[0]) for r in self.data.query("SELECT id FROM cases WHERE meeting_id = ?",
                                                    (m1,))}
        tasks = {str(r[0]) for r in self.data.query(
            "SELECT t.id FROM tasks t JOIN cases c ON c.id = t.case_id WHERE c.meeting_id = ?",
            (m1,))}
        docs = {str(r[0]) for r in self.data.query("SELECT id FROM documents WHERE meeting_id = ?",
                                                   (m1,))}
        seen = set()
        for e in items:
            key = (e["object_type"], e["object_id"])
            ok = (key == ("meeting", str(m1)) or (key[0] == "case" and key[1] in cases) or
                  (key[0] == "task" and key[1] in tasks) or
                  (key[0] == "document" and key[1] in docs) or
                  e["detail"].get("meeting_id") == m1)
            self.assertTrue(ok, "entry not about meeting %d: %r" % (m1, e))
            seen.add(e["action"])
        self.assertTrue({"meeting.create", "case.start", "document.create", "document.view"} <= seen,
                        seen)
        # The other meeting's entries are not among them.
        self.assertNotIn(str(self.doc2["id"]),
                         {e["object_id"] for e in items if e["object_type"] == "document"})
        self.assertNotIn(str(self.m2["id"]),
                         {e["object_id"] for e in items if e["object_type"] == "meeting"})
        self.assertEqual(self.get(meeting=MISSING)["items"], [])
        both = self.get(meeting=m1, action="document.create")["items"]
        self.assertEqual([e["object_id"] for e in both], [str(self.doc["id"])])

    def test_filter_dates(self):
        n = len(self.get(actor=self.officer, limit=200)["items"])
        around = self.get(actor=self.officer, limit=200, **{"from": h.utc_date(-1),
                                                             "to": h.utc_date(1)})["items"]
        self.assertEqual(len(around), n)
        self.assertEqual(self.get(**{"from": h.utc_date(1)})["items"], [])
        self.assertEqual(self.get(to=h.utc_date(-1))["items"], [])
        today = self.get(actor=self.officer, limit=200, **{"from": h.utc_date(0),
                                                            "to": h.utc_date(0)})["items"]
        self.assertTrue(all(e["at"].startswith(h.utc_date(0)) for e in today))

    def test_paging(self):
        full = self.get(actor=self.officer, limit=200)["items"]
        self.assertGreater(len(full), 4)
        got, before, pages = [], None, 0
        while True:
            params = {"actor": self.officer, "limit": 2}
            if before is not None:
                params["before"] = before
            j = self.get(**params)
            pages += 1
            self.assertLessEqual(len(j["items"]), 2)
            got += j["items"]
            if j["next_before"] is None:
                break
            self.assertEqual(j["next_before"], j["items"][-1]["seq"])
            before = j["next_before"]
            self.assertLess(pages, 100)
        self.assertEqual([e["seq"] for e in got], [e["seq"] for e in full])
        self.assertEqual(pages, (len(full) + 1) // 2)
        self.assertEqual(len(self.get(limit=1)["items"]), 1)

    def test_bad_parameters(self):
        for q, field in (("limit=0", "limit"), ("limit=201", "limit"), ("limit=x", "limit"),
                         ("before=0", "before"), ("before=-3", "before"),
                         ("meeting=abc", "meeting"), ("from=2026-13-01", "from"),
                         ("to=kemarin", "to"), ("from=2026-11-10&to=2026-11-09", "to"),
                         ("actor=Bukan%20Nama", "actor"), ("action=%25", "action"),
                         ("object_type=a-b", "object_type")):
            with self.subTest(query=q):
                self.assertError(self.au.get("/api/audit?" + q), 400, "validation_failed",
                                 field)
        self.assertError(self.au.get("/api/audit/verify?public_key=xyz"), 400,
                         "validation_failed", "public_key")

    def test_reads_are_audited(self):
        n0 = self.data.query("SELECT count(*) FROM audit_log WHERE action = 'audit.read'")[0][0]
        j = self.get(actor=self.officer, action="meeting.", limit=3)
        detail, actor = last_audit(self.data, "audit.read")
        self.assertEqual(actor, self.auditor)
        self.assertEqual(detail["filters"], {"actor": self.officer, "action": "meeting.",
                                             "limit": 3})
        self.assertEqual(detail["returned"], len(j["items"]))
        self.assertEqual(
            self.data.query("SELECT count(*) FROM audit_log WHERE action = 'audit.read'")[0][0],
            n0 + 1)
        # The reader's own read is found by the next read, not by itself.
        mine = self.get(actor=self.auditor, action="audit.read")["items"]
        self.assertEqual(len(mine), n0 + 1 if n0 + 1 <= 50 else 50)

    def test_verify_ok(self):
        r = self.au.get("/api/audit/verify")
        self.assertEqual(r.status, 200, r.describe())
        j = r.json()
        self.assertEqual(set(j), {"ok", "entries", "checkpoints", "broken_seq", "reason",
                                  "public_key"})
        self.assertIs(j["ok"], True)
        self.assertIsNone(j["broken_seq"])
        self.assertIsNone(j["reason"])
        key = self.data.query("SELECT value FROM settings WHERE key = 'audit_public_key'")[0][0]
        self.assertEqual(j["public_key"], key)
        total = self.data.query("SELECT count(*) FROM audit_log")[0][0]
        self.assertLessEqual(j["entries"], total - 1)  # the verification was appended after
        detail, actor = last_audit(self.data, "audit.verify")
        self.assertEqual(actor, self.auditor)
        self.assertIs(detail["ok"], True)
        # With the key given explicitly, the same.
        r = self.au.get("/api/audit/verify?public_key=" + key)
        self.assertEqual(r.status, 200, r.describe())
        self.assertIs(r.json()["ok"], True)


class AuditTamperTests(h.SidangTestCase):
    """GET /api/audit/verify notices an entry edited behind the server's back."""

    def test_verify_then_tamper(self):
        data = self.new_data()
        auditor = data.add_user("auditor", roles=("auditor",))
        officer = data.add_user("persidangan", roles=("pengelola_persidangan",))
        server = self.start_server(data)
        off = self.login(server, officer)
        self.create_meeting(off)
        au = self.login(server, auditor)
        r = au.get("/api/audit/verify")
        self.assertEqual(r.status, 200, r.describe())
        self.assertIs(r.json()["ok"], True, r.describe())
        self.assertEqual(server.stop(), 0, server.describe())
        seq = data.query("SELECT seq FROM audit_log WHERE action = 'meeting.create'")[0][0]
        con = data.db_rw()
        try:
            con.execute("DROP TRIGGER audit_log_no_update")
            con.execute("UPDATE audit_log SET detail = '{\"title\": \"diubah\"}' WHERE seq = ?",
                        (seq,))
            con.commit()
        finally:
            con.close()
        server = self.start_server(data)
        au = self.login(server, auditor)
        r = au.get("/api/audit/verify")
        self.assertEqual(r.status, 200, r.describe())
        j = r.json()
        self.assertIs(j["ok"], False, r.describe())
        self.assertEqual(j["broken_seq"], seq, r.describe())
        self.assertIsInstance(j["reason"], str)
        self.assertTrue(j["reason"])
        self.assertLess(j["entries"], seq)
        # The CLI agrees; the viewer still shows the altered entry as it is stored.
        cli = data.cli("audit", "verify")
        self.assertEqual(cli.returncode, 1, cli.describe())
        self.assertIn("broken at entry %d" % seq, cli.output)
        items = au.get("/api/audit?action=meeting.create").json()["items"]
        self.assertEqual([e["detail"] for e in items if e["seq"] == seq], [{"title": "diubah"}])
        detail, _ = last_audit(data, "audit.verify")
        self.assertIs(detail["ok"], False)
        self.assertEqual(detail["broken_seq"], seq)


if __name__ == "__main__":
    h.main()
