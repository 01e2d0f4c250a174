"""The `sidang` command (docs/cli.md)."""

import os
import stat
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from harness import PASSWORD  # noqa: E402

SUBCOMMANDS_WITH_HELP = [
    [], ["init"], ["serve"], ["user"], ["user", "add"], ["user", "list"], ["user", "disable"],
    ["user", "enable"], ["user", "passwd"], ["user", "grant-role"], ["user", "revoke-role"],
    ["audit"],
    ["audit", "verify"],
]


class CliTests(h.SidangTestCase):
    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()

    def test_version(self):
        r = h.cli(["--version"])
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertEqual(r.stdout.strip(), "sidang 0.1.0")

    def test_help_everywhere(self):
        for sub in SUBCOMMANDS_WITH_HELP:
            with self.subTest(cmd=" ".join(sub)):
                r = h.cli(sub + ["--help"])
                self.assertEqual(r.returncode, 0, r.describe())
                self.assertTrue(r.stdout.strip(), "no help text on stdout: " + r.describe())

    def test_help_does_nothing(self):
        target = os.path.join(h.make_tempdir(), "tidak-dibuat")
        r = h.cli(["init", target, "--help"])
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertFalse(os.path.exists(os.path.join(target, "sidang.db")),
                         "init --help created a data directory")
        name = self.data.unique_name()
        r = self.data.cli("user", "add", name, "--role", "reader", "--help",
                          input=PASSWORD + "\n")
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertNotIn(name, self.data.cli("user", "list").stdout)

    def test_unknown_subcommand_exit_2(self):
        for args in (["frobnicate"], ["user", "frobnicate"], ["audit", "frobnicate"]):
            with self.subTest(args=args):
                r = h.cli(args + ["--data", self.data.path])
                self.assertEqual(r.returncode, 2, r.describe())
                self.assertTrue(r.stderr.strip(), "usage error without a message on stderr")

    def test_usage_errors_exit_2(self):
        # unknown flags and missing arguments are usage errors
        for args in (["serve", "--bogus-flag"], ["serve", "--port"], ["user", "add"],
                     ["user", "add", "x", "--role"], ["user", "grant-role", "onlyname"],
                     ["user", "passwd"], ["init", "--bogus-flag"], ["audit", "verify", "extra"]):
            with self.subTest(args=args):
                r = h.cli(args + ["--data", self.data.path], timeout=10)
                self.assertEqual(r.returncode, 2, r.describe())
                self.assertTrue(r.stderr.strip(), r.describe())

    def test_bad_option_values_refused(self):
        for args in (["serve", "--port", "notanumber"], ["serve", "--port", "70000"],
                     ["serve", "--max-upload", "-1"], ["serve", "--max-upload", "10GB"],
                     ["serve", "--timeout", "abc"], ["serve", "--inbox-settle", "0"],
                     ["serve", "--inbox-settle", "3601"], ["serve", "--workers", "65"],
                     ["serve", "--inbox-poll", "0"], ["serve", "--inbox-poll", "x"],
                     ["user", "add", "tanpaperan"]):
            with self.subTest(args=args):
                r = h.cli(args + ["--data", self.data.path], input=PASSWORD + "\n", timeout=10)
                self.assertIn(r.returncode, (1, 2), r.describe())
                self.assertTrue(r.stderr.strip(), r.describe())

    def test_user_add_then_login(self):
        name = self.data.unique_name()
        r = self.data.cli("user", "add", name, "--role", "pengelola_persidangan",
                          "--clearance", "terbatas", "--display-name", "Dewi Lestari",
                          input=PASSWORD + "\n")
        self.assertEqual(r.returncode, 0, r.describe())
        c = self.login(self.server, name)
        u = c.get("/api/me").json()["user"]
        self.assertEqual(u["display_name"], "Dewi Lestari")
        self.assertEqual(u["clearance"], "terbatas")
        self.assertEqual(u["roles"], ["pengelola_persidangan"])

    def test_password_is_first_line_only(self):
        name = self.data.unique_name()
        r = self.data.cli("user", "add", name, "--role", "reader",
                          input=PASSWORD + "\nsecond-line-ignored\n")
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertEqual(h.Client(self.server).login(name, PASSWORD).status, 200)
        r = h.Client(self.server).login(name, PASSWORD + "\nsecond-line-ignored")
        self.assertIn(r.status, (400, 401), r.describe())

    def test_password_not_echoed(self):
        name = self.data.unique_name()
        r = self.data.cli("user", "add", name, "--role", "reader", input=PASSWORD + "\n")
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertNotIn(PASSWORD, r.output)

    def test_short_password_refused(self):
        name = self.data.unique_name()
        r = self.data.cli("user", "add", name, "--role", "reader", input="pendek123\n")  # 9
        self.assertNotEqual(r.returncode, 0, r.describe())
        self.assertEqual(r.returncode, 1, "a refused password is a failure, not a usage error")
        self.assertTrue(r.stderr.strip(), "no message on stderr")
        self.assertNotIn(name, self.data.cli("user", "list").stdout)
        self.assertEqual(h.Client(self.server).login(name, "pendek123").status, 401)
        # exactly 10 characters is enough
        r = self.data.cli("user", "add", name, "--role", "reader", input="sepuluh123\n")
        self.assertEqual(r.returncode, 0, r.describe())

    def test_empty_password_refused(self):
        name = self.data.unique_name()
        r = self.data.cli("user", "add", name, "--role", "reader", input="")
        self.assertNotEqual(r.returncode, 0, r.describe())
        self.assertTrue(r.stderr.strip())
        self.assertNotIn(name, self.data.cli("user", "list").stdout)

    def test_unknown_role_refused(self):
        name = self.data.unique_name()
        r = self.data.cli("user", "add", name, "--role", "presiden", input=PASSWORD + "\n")
        self.assertNotEqual(r.returncode, 0, r.describe())
        self.assertTrue(r.stderr.strip())
        self.assertIn("presiden", r.stderr)
        self.assertNotIn(name, self.data.cli("user", "list").stdout)

    def test_bad_clearance_and_name_refused(self):
        for args in (["--role", "reader", "--clearance", "top_secret"],):
            r = self.data.cli("user", "add", self.data.unique_name(), *args,
                              input=PASSWORD + "\n")
            self.assertNotEqual(r.returncode, 0, r.describe())
            self.assertTrue(r.stderr.strip())
        for bad in ("Budi Santoso", "../x", "-x", "a" * 65, "budi;drop"):
            with self.subTest(name=bad):
                r = self.data.cli("user", "add", bad, "--role", "reader", input=PASSWORD + "\n")
                self.assertNotEqual(r.returncode, 0, r.describe())

    def test_duplicate_user_refused(self):
        name = self.data.add_user(roles=("reader",))
        r = self.data.cli("user", "add", name, "--role", "admin", input="lain-lagi-sandinya\n")
        self.assertEqual(r.returncode, 1, r.describe())
        self.assertTrue(r.stderr.strip())
        self.assertEqual(h.Client(self.server).login(name, "lain-lagi-sandinya").status, 401)
        c = self.login(self.server, name)
        self.assertEqual(c.get("/api/me").json()["user"]["roles"], ["reader"])

    def test_user_list(self):
        a = self.data.add_user(roles=("pengelola_naskah", "reader"), clearance="rahasia")
        b = self.data.add_user(roles=("auditor",))
        r = self.data.cli("user", "disable", b)
        self.assertEqual(r.returncode, 0, r.describe())
        r = self.data.cli("user", "list")
        self.assertEqual(r.returncode, 0, r.describe())
        lines = {}
        for line in r.stdout.splitlines():
            for n in (a, b):
                if n in line.split() or n in line:
                    lines[n] = line
        self.assertIn(a, lines, r.stdout)
        self.assertIn(b, lines, r.stdout)
        self.assertIn("pengelola_naskah", lines[a])
        self.assertIn("reader", lines[a])
        self.assertIn("rahasia", lines[a])
        self.assertIn("auditor", lines[b])
        self.assertIn("disabled", lines[b].lower())
        self.assertNotIn("disabled", lines[a].lower())
        self.assertNotIn("argon2", r.stdout.lower(), "password hashes listed")

    def test_passwd_changes_password_and_ends_sessions(self):
        name = self.data.add_user()
        old = self.login(self.server, name)
        new_pw = "sandi-baru-yang-panjang"
        r = self.data.cli("user", "passwd", name, input=new_pw + "\n")
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertEqual(h.Client(self.server).login(name, PASSWORD).status, 401)
        self.assertEqual(h.Client(self.server).login(name, new_pw).status, 200)
        self.assertError(old.get("/api/me"), 401, "unauthenticated")

    def test_passwd_short_refused(self):
        name = self.data.add_user()
        r = self.data.cli("user", "passwd", name, input="pendek\n")
        self.assertEqual(r.returncode, 1, r.describe())
        self.assertTrue(r.stderr.strip())
        self.assertEqual(h.Client(self.server).login(name, PASSWORD).status, 200)

    def test_commands_on_unknown_user_fail(self):
        for args in (["user", "passwd", "tidak-ada"], ["user", "disable", "tidak-ada"],
                     ["user", "enable", "tidak-ada"],
                     ["user", "grant-role", "tidak-ada", "reader"],
                     ["user", "revoke-role", "tidak-ada", "reader"]):
            with self.subTest(args=args):
                r = self.data.cli(*args, input=PASSWORD + "\n")
                self.assertEqual(r.returncode, 1, r.describe())
                self.assertTrue(r.stderr.strip())

    def test_grant_and_revoke_role(self):
        name = self.data.add_user(roles=("reader",))
        c = self.login(self.server, name)
        self.assertError(c.post("/api/meetings", h.meeting_body()), 403, "forbidden")
        r = self.data.cli("user", "grant-role", name, "pengelola_persidangan")
        self.assertEqual(r.returncode, 0, r.describe())
        c = self.login(self.server, name)
        self.assertEqual(sorted(c.get("/api/me").json()["user"]["roles"]),
                         ["pengelola_persidangan", "reader"])
        self.create_meeting(c)
        r = self.data.cli("user", "grant-role", name, "raja")
        self.assertNotEqual(r.returncode, 0, r.describe())
        r = self.data.cli("user", "revoke-role", name, "pengelola_persidangan")
        self.assertEqual(r.returncode, 0, r.describe())
        c = self.login(self.server, name)
        self.assertEqual(c.get("/api/me").json()["user"]["roles"], ["reader"])

    def test_disable_and_enable(self):
        name = self.data.add_user()
        r = self.data.cli("user", "disable", name)
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertError(h.Client(self.server).login(name), 401, "invalid_credentials")
        r = self.data.cli("user", "enable", name)
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertEqual(h.Client(self.server).login(name).status, 200)
        listing = [ln for ln in self.data.cli("user", "list").stdout.splitlines() if name in ln]
        self.assertEqual(len(listing), 1)
        self.assertNotIn("disabled", listing[0].lower())

    def test_cli_changes_audited(self):
        name = self.data.add_user(roles=("reader",))
        r = self.data.cli("user", "grant-role", name, "auditor")
        self.assertEqual(r.returncode, 0, r.describe())
        uid = self.data.query("SELECT id FROM users WHERE username = ?", (name,))[0][0]
        rows = self.data.query("SELECT actor, action FROM audit_log WHERE object_type = 'user' "
                               "AND object_id IN (?, ?)", (str(uid), name))
        self.assertGreaterEqual(len(rows), 2, "user add and grant-role not both audited: %s"
                                % rows)
        r = self.data.cli("audit", "verify")
        self.assertEqual(r.returncode, 0, r.describe())


class InitTests(h.SidangTestCase):
    def test_init_creates_layout(self):
        data = self.new_data()
        self.assertTrue(os.path.isfile(data.db_path))
        self.assertTrue(os.path.isdir(data.tmp_dir))
        key = os.path.join(data.path, "keys", "audit.key")
        self.assertTrue(os.path.isfile(key))
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        mode = data.query("PRAGMA journal_mode")[0][0]
        self.assertEqual(mode.lower(), "wal")
        r = data.cli("audit", "verify")
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertIn("audit chain ok", r.stdout)

    def test_init_with_data_flag(self):
        path = os.path.join(h.make_tempdir(), "via-flag")
        r = h.cli(["init", "--data", path])
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertTrue(os.path.isfile(os.path.join(path, "sidang.db")))

    def test_init_refuses_existing(self):
        data = self.new_data()
        name = data.add_user(roles=("admin",))
        with open(os.path.join(data.path, "keys", "audit.key"), "rb") as f:
            key_before = f.read()
        r = h.cli(["init", data.path])
        self.assertNotEqual(r.returncode, 0, r.describe())
        self.assertTrue(r.stderr.strip(), "no message on stderr")
        with open(os.path.join(data.path, "keys", "audit.key"), "rb") as f:
            self.assertEqual(f.read(), key_before, "init overwrote the audit key")
        self.assertIn(name, data.cli("user", "list").stdout)
        r = h.cli(["init", "--data", data.path, "--demo"])
        self.assertNotEqual(r.returncode, 0, r.describe())
        self.assertIn(name, data.cli("user", "list").stdout)

    def test_commands_on_missing_data_dir_fail(self):
        missing = os.path.join(h.make_tempdir(), "tidak-ada")
        for args in (["user", "list"], ["audit", "verify"]):
            with self.subTest(args=args):
                r = h.cli(args + ["--data", missing])
                self.assertNotEqual(r.returncode, 0, r.describe())
                self.assertTrue(r.stderr.strip())
                self.assertFalse(os.path.exists(os.path.join(missing, "sidang.db")),
                                 "a command other than init created a database")

    def test_demo_prints_passwords_once(self):
        path = os.path.join(h.make_tempdir(), "demo")
        r = h.cli(["init", path, "--demo"])
        self.assertEqual(r.returncode, 0, r.describe())
        data = h.DataDir.__new__(h.DataDir)
        data.path = path
        data._n = 0
        listing = data.cli("user", "list").stdout
        for role in h.ALL_ROLES:
            self.assertIn(role, listing)
        self.assertNotIn("argon2", r.stdout.lower())


class ConfigTests(h.SidangTestCase):
    def test_unknown_config_key_refused_with_line(self):
        data = self.new_data()
        cfg = os.path.join(os.path.dirname(data.path), "sidang.conf")
        with open(cfg, "w") as f:
            f.write("# konfigurasi\naddr = 127.0.0.1\nwarna = merah\n")
        r = h.cli(["serve", "--config", cfg, "--port", "0", "--data", data.path], timeout=20)
        self.assertNotEqual(r.returncode, 0, r.describe())
        self.assertRegex(r.stderr, r"\b3\b", "the line number is not named: " + r.describe())
        self.assertIn("warna", r.stderr)

    def test_config_file_applies(self):
        data = self.new_data()
        cfg = os.path.join(os.path.dirname(data.path), "sidang.conf")
        with open(cfg, "w") as f:
            f.write("# ok\nmax_upload = 2048\nsecure_cookies = false\n")
        server = self.start_server(data, ["--config", cfg])
        j = h.Client(server).get("/api/meta").json()
        self.assertEqual(j["limits"]["upload_bytes"], 2048)


if __name__ == "__main__":
    h.main()
