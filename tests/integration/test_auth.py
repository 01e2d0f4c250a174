"""Sessions, login, throttling, CSRF (docs/api.md: Conventions, POST /api/login, /api/me)."""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from harness import PASSWORD  # noqa: E402


class HealthTests(h.SidangTestCase):
    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()

    def test_health_without_session(self):
        r = h.Client(self.server).get("/api/health")
        self.assertEqual(r.status, 200, r.describe())
        self.assertTrue((r.header("Content-Type") or "").startswith("application/json"),
                        r.describe())
        j = r.json()
        self.assertEqual(j.get("status"), "ok", r.describe())
        self.assertEqual(j.get("version"), "0.1.0", r.describe())

    def test_meta_without_session(self):
        r = h.Client(self.server).get("/api/meta")
        self.assertEqual(r.status, 200, r.describe())
        j = r.json()
        self.assertEqual([c if isinstance(c, str) else c.get("code") for c in j["classifications"]],
                         list(h.CLASSIFICATIONS), r.describe())
        self.assertEqual([s["code"] for s in j["stages"]],
                         ["perencanaan", "pelaksanaan", "pelaporan"], r.describe())
        self.assertEqual({r_["code"] for r_ in j["roles"]}, set(h.ALL_ROLES))
        self.assertIsInstance(j["limits"]["upload_bytes"], int)


class LoginTests(h.SidangTestCase):
    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()

    def test_login_right_password_sets_strict_httponly_cookie(self):
        name = self.data.add_user(roles=("pengelola_persidangan",))
        c = h.Client(self.server)
        r = c.login(name, PASSWORD)
        self.assertEqual(r.status, 200, r.describe())
        j = r.json()
        self.assertIsInstance(j.get("csrf_token"), str)
        self.assertGreaterEqual(len(j["csrf_token"]), 32, "csrf token too short to be unguessable")
        self.assertEqual(j["user"]["username"], name)
        cookies = [h.parse_set_cookie(v) for v in r.header_all("Set-Cookie")]
        sess = [c_ for c_ in cookies if c_[0] == "sidang_session"]
        self.assertEqual(len(sess), 1, "one sidang_session cookie expected: %s" % cookies)
        _, value, attrs = sess[0]
        self.assertGreaterEqual(len(value), 32, "session token too short")
        self.assertIn("httponly", attrs, r.header_all("Set-Cookie"))
        self.assertEqual(str(attrs.get("samesite", "")).lower(), "strict",
                         r.header_all("Set-Cookie"))
        self.assertEqual(attrs.get("path"), "/", r.header_all("Set-Cookie"))
        self.assertNotIn("secure", attrs, "Secure must be off unless --secure-cookies")
        # the session works
        me = c.get("/api/me")
        self.assertEqual(me.status, 200, me.describe())

    def test_password_hash_and_token_not_leaked(self):
        name = self.data.add_user()
        c = self.login(self.server, name)
        me = c.get("/api/me")
        self.assertEqual(me.status, 200, me.describe())
        text = me.body.decode("utf-8").lower()
        self.assertNotIn("password", text, me.describe())
        self.assertNotIn("argon2", text, me.describe())
        # the database keeps only a hash of the session token (docs: a copy of the database does
        # not hold usable tokens)
        rows = self.data.query("SELECT * FROM sessions")
        flat = " ".join(str(v) for row in rows for v in row)
        self.assertNotIn(c.cookie, flat, "raw session token stored in the database")

    def test_login_wrong_password_401(self):
        name = self.data.add_user()
        r = h.Client(self.server).login(name, PASSWORD + "x")
        self.assertError(r, 401, "invalid_credentials")
        self.assertEqual([sc for sc in r.header_all("Set-Cookie")
                          if h.parse_set_cookie(sc)[0] == "sidang_session"
                          and h.parse_set_cookie(sc)[1]], [], "a failed login set a session")

    def test_login_unknown_user_same_401(self):
        name = self.data.add_user()
        wrong = h.Client(self.server).login(name, "salah-sekali-" + PASSWORD)
        unknown = h.Client(self.server).login("tidak-ada-" + name, PASSWORD)
        self.assertError(unknown, 401, "invalid_credentials")
        self.assertEqual(unknown.json(), wrong.json(),
                         "unknown user must look exactly like a wrong password")

    def test_login_disabled_user_401_and_sessions_end(self):
        name = self.data.add_user()
        c = self.login(self.server, name)
        r = self.data.cli("user", "disable", name)
        self.assertEqual(r.returncode, 0, r.describe())
        again = h.Client(self.server).login(name, PASSWORD)
        self.assertError(again, 401, "invalid_credentials")
        wrong = h.Client(self.server).login(name, "salah-sekali-" + PASSWORD)
        self.assertEqual(again.json(), wrong.json(), "disabled must look like a wrong password")
        me = c.get("/api/me")
        self.assertError(me, 401, "unauthenticated")

    def test_login_malformed_bodies_400(self):
        c = h.Client(self.server)
        for body in ({"username": "x"}, {"password": PASSWORD}, {"username": 1, "password": 2},
                     ["x", "y"]):
            with self.subTest(body=body):
                r = c.post("/api/login", body, csrf=False)
                self.assertError(r, (400, 401))
        r = c.request("POST", "/api/login", body=b"{not json",
                      headers={"Content-Type": "application/json"}, csrf=False)
        self.assertError(r, 400)

    def test_login_does_not_reuse_a_planted_session_id(self):
        name = self.data.add_user()
        c = h.Client(self.server)
        planted = "a" * 64
        c.cookie = planted
        r = c.login(name)
        self.assertEqual(r.status, 200, r.describe())
        self.assertIsNotNone(c.cookie)
        self.assertNotEqual(c.cookie, planted, "session fixation: planted cookie kept")

    def test_me_returns_user_with_roles(self):
        name = self.data.add_user(roles=("pengelola_persidangan", "pengelola_naskah"),
                                  clearance="rahasia", display_name="Siti Rahayu")
        c = h.Client(self.server)
        login = c.login(name)
        self.assertEqual(login.status, 200, login.describe())
        r = c.get("/api/me")
        self.assertEqual(r.status, 200, r.describe())
        j = r.json()
        u = j["user"]
        for k in ("id", "username", "display_name", "nip", "unit", "clearance", "roles"):
            self.assertIn(k, u, r.describe())
        self.assertEqual(u["username"], name)
        self.assertEqual(u["display_name"], "Siti Rahayu")
        self.assertEqual(u["clearance"], "rahasia")
        self.assertEqual(sorted(u["roles"]), ["pengelola_naskah", "pengelola_persidangan"])
        self.assertEqual(j.get("csrf_token"), login.json()["csrf_token"])

    def test_unauthenticated_401(self):
        c = h.Client(self.server)
        for method, path in (("GET", "/api/me"), ("GET", "/api/meetings"),
                             ("GET", "/api/meetings/1"), ("GET", "/api/meetings/1/documents"),
                             ("GET", "/api/documents/1"), ("GET", "/api/documents/1/content")):
            with self.subTest(path=path):
                self.assertError(c.request(method, path), 401, "unauthenticated")
        with self.subTest(path="POST /api/meetings"):
            self.assertError(c.post("/api/meetings", h.meeting_body()), 401, "unauthenticated")
        with self.subTest(path="upload"):
            r = c.upload(1, h.pdf_bytes())
            self.assertError(r, 401, "unauthenticated")

    def test_bogus_cookie_401(self):
        c = h.Client(self.server)
        for bogus in ("0" * 64, "x", "../../etc/passwd", "a" * 300):
            with self.subTest(cookie=bogus):
                c.cookie = bogus
                self.assertError(c.get("/api/me"), 401, "unauthenticated")


class CsrfTests(h.SidangTestCase):
    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()
        cls.user = cls.data.add_user(roles=("pengelola_persidangan",))

    def meeting_total(self, c):
        r = c.get("/api/meetings")
        self.assertEqual(r.status, 200, r.describe())
        return r.json()["total"]

    def test_post_meeting_without_token_403(self):
        c = self.login(self.server, self.user)
        before = self.meeting_total(c)
        r = c.post("/api/meetings", h.meeting_body(), csrf=False)
        self.assertError(r, 403, "csrf_failed")
        self.assertEqual(self.meeting_total(c), before, "meeting created without CSRF token")

    def test_post_meeting_wrong_token_403(self):
        c = self.login(self.server, self.user)
        before = self.meeting_total(c)
        for bad in ("0" * len(c.csrf), c.csrf[:-1], c.csrf + "0", ""):
            with self.subTest(token=bad):
                r = c.post("/api/meetings", h.meeting_body(), csrf=bad)
                self.assertError(r, 403, "csrf_failed")
        self.assertEqual(self.meeting_total(c), before)

    def test_token_of_another_session_403(self):
        a = self.login(self.server, self.user)
        b = self.login(self.server, self.user)
        self.assertNotEqual(a.csrf, b.csrf, "two sessions share a CSRF token")
        r = a.post("/api/meetings", h.meeting_body(), csrf=b.csrf)
        self.assertError(r, 403, "csrf_failed")

    def test_patch_without_token_403(self):
        c = self.login(self.server, self.user)
        m = self.create_meeting(c)
        r = c.patch("/api/meetings/%d" % m["id"], {"title": "diubah"}, csrf=False)
        self.assertError(r, 403, "csrf_failed")
        self.assertEqual(c.get("/api/meetings/%d" % m["id"]).json()["title"], m["title"])

    def test_upload_without_or_with_wrong_token_403(self):
        c = self.login(self.server, self.user)
        m = self.create_meeting(c)
        before = self.data.counts()
        blobs = self.data.blob_files()
        r = c.upload(m["id"], h.pdf_bytes(), csrf=False)
        self.assertError(r, 403, "csrf_failed")
        r = c.upload(m["id"], h.pdf_bytes(), csrf="f" * 64)
        self.assertError(r, 403, "csrf_failed")
        self.assertNothingStored(self.data, before, blobs, "by an upload without CSRF")

    def test_logout_needs_token_then_ends_session(self):
        c = self.login(self.server, self.user)
        r = c.post("/api/logout", csrf=False)
        self.assertError(r, 403, "csrf_failed")
        self.assertEqual(c.get("/api/me").status, 200, "session ended by a forged logout")
        token = c.cookie
        r = c.post("/api/logout")
        self.assertEqual(r.status, 204, r.describe())
        self.assertEqual(r.body, b"")
        # The server must end the session itself, not only ask the browser to drop the cookie.
        c.cookie = token
        self.assertError(c.get("/api/me"), 401, "unauthenticated")

    def test_csrf_token_returned_by_me(self):
        c = self.login(self.server, self.user)
        me = c.get("/api/me").json()
        self.assertEqual(me["csrf_token"], c.csrf)


class ThrottleTests(h.SidangTestCase):
    def test_five_failures_then_429_even_with_right_password(self):
        data = self.new_data()
        victim = data.add_user()
        other = data.add_user()
        server = self.start_server(data)
        for i in range(5):
            r = h.Client(server).login(victim, "salah-%d-%s" % (i, PASSWORD))
            self.assertError(r, 401, "invalid_credentials")
        r = h.Client(server).login(victim, PASSWORD)
        self.assertError(r, 429, "throttled")
        ra = r.header("Retry-After")
        self.assertIsNotNone(ra, "429 without Retry-After: " + r.describe())
        self.assertTrue(ra.strip().isdigit() and int(ra) > 0, "Retry-After %r" % ra)
        self.assertLessEqual(int(ra), 15 * 60)
        # per account: another account from the same address is not locked out
        self.assertEqual(h.Client(server).login(other).status, 200)

    def test_twenty_failures_from_one_address_429(self):
        data = self.new_data()
        real = data.add_user()
        server = self.start_server(data)
        for i in range(20):
            # a different (unknown) account each time: below the per-account limit
            r = h.Client(server).login("tidak-ada-%d" % i, PASSWORD)
            self.assertError(r, 401, "invalid_credentials")
        r = h.Client(server).login(real, PASSWORD)
        self.assertError(r, 429, "throttled")
        self.assertIsNotNone(r.header("Retry-After"), r.describe())


class SecureCookieTests(h.SidangTestCase):
    def test_secure_cookies_flag(self):
        data = self.new_data()
        name = data.add_user()
        server = self.start_server(data, ["--secure-cookies"])
        r = h.Client(server).login(name)
        self.assertEqual(r.status, 200, r.describe())
        sess = [h.parse_set_cookie(v) for v in r.header_all("Set-Cookie")]
        sess = [s for s in sess if s[0] == "sidang_session"]
        self.assertEqual(len(sess), 1)
        self.assertIn("secure", sess[0][2], r.header_all("Set-Cookie"))
        self.assertIn("httponly", sess[0][2])


if __name__ == "__main__":
    h.main()
