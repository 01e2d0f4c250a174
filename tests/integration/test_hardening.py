"""Hardening fixes: one spelling per path, the query string decoded by us, bodies refused early
and drained only so far, the whole request line under the header limit, assets without bodies,
who may lower a meeting's classification, and what the build embeds."""

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from harness import KiB, MiB  # noqa: E402


def exchange(server, head, body=b"", timeout=10):
    """Sends HEAD (bytes, ending in CRLF CRLF) and BODY over a raw socket, then reads one
    response. Returns (Response or None, body bytes sent)."""
    sock = socket.create_connection((server.host, server.port), timeout=timeout)
    sent = 0
    try:
        try:
            sock.sendall(head)
            view = memoryview(body)
            while sent < len(body):
                n = sock.send(view[sent:sent + 64 * KiB])
                sent += n
        except (BrokenPipeError, ConnectionResetError):
            pass
        resp = http.client.HTTPResponse(sock, method="GET")
        try:
            resp.begin()
            data = resp.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                http.client.IncompleteRead, http.client.BadStatusLine):
            return None, sent
        return h.Response("RAW", head[:60], resp.status, resp.reason, resp.msg, data), sent
    finally:
        sock.close()


def request_head(method, path, headers=()):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: x"]
    lines += ["%s: %s" % kv for kv in headers]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def send_chunked(server, path, total, headers=(), chunk=64 * KiB, timeout=30):
    """Streams TOTAL bytes as a chunked body; returns (status or None, bytes sent). Sending
    stops when the server closes the connection or answers."""
    sock = socket.create_connection((server.host, server.port), timeout=timeout)
    sent = 0
    try:
        head = request_head("POST", path, list(headers) + [("Transfer-Encoding", "chunked")])
        piece = b"%x\r\n" % chunk + b" " * chunk + b"\r\n"
        try:
            sock.sendall(head)
            while sent < total:
                sock.sendall(piece)
                sent += chunk
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        resp = http.client.HTTPResponse(sock, method="POST")
        try:
            resp.begin()
            resp.read()
            return resp.status, sent
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                http.client.IncompleteRead, http.client.BadStatusLine, socket.timeout):
            return None, sent
    finally:
        sock.close()


class PathAndQueryTests(h.SidangTestCase):
    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()
        cls.user = cls.data.add_user(roles=("pengelola_persidangan",), clearance="biasa")
        c = h.new_client(cls.server, cls.user)
        for i in range(6):
            r = c.post("/api/meetings", h.meeting_body(title="Rapat %d" % i))
            assert r.status == 201, r.describe()

    def test_encoded_path_is_not_decoded(self):
        # Each handler has one spelling: an escaped letter is not the letter.
        body = {"username": self.user, "password": h.PASSWORD}
        r = h.Client(self.server).post("/api/log%69n", body, csrf=False)
        self.assertError(r, 404, "not_found")
        r = h.Client(self.server).post("/api/login", body, csrf=False)
        self.assertEqual(r.status, 200, r.describe())
        c = self.login(self.server, self.user)
        for path in ("/api/m%65", "/api/meetings%2F1", "/api/meetings/1%00x", "/api/%6deetings",
                     "/api%2Fmeetings"):
            with self.subTest(path=path):
                self.assertError(c.get(path), 404, "not_found")
        self.assertEqual(c.get("/api/me").status, 200)
        # Outside /api/ too: only the exact name of an embedded file is served.
        self.assertEqual(h.Client(self.server).get("/index.html").status, 200)
        self.assertEqual(h.Client(self.server).get("/%69ndex.html").status, 404)

    def test_query_is_decoded(self):
        c = self.login(self.server, self.user)
        for query, n in (("limit=5", 5), ("limit=%35", 5), ("limit=5%30", 6), ("lim%69t=2", 2),
                         ("limit=3&offset=%34", 2), ("limit=1&unknown=a+b%20c", 1)):
            with self.subTest(query=query):
                r = c.get("/api/meetings?" + query)
                self.assertEqual(r.status, 200, r.describe())
                self.assertEqual(len(r.json()["items"]), n, r.describe())

    def test_bad_query_refused(self):
        c = self.login(self.server, self.user)
        for query in ("limit=5%00", "limit=%00", "limit%00=5", "limit=%zz", "limit=5%",
                      "limit=%3", "x=%C3", "x=%ED%A0%80", "limit=1&limit=2", "limit=1&lim%69t=2",
                      "q=" + "a" * 300, "&".join("p%d=1" % i for i in range(40))):
            with self.subTest(query=query[:40]):
                self.assertError(c.get("/api/meetings?" + query), 400, "bad_request")
        # Valid UTF-8 and a value exactly at the limit are fine.
        self.assertEqual(c.get("/api/meetings?x=%C3%A9&q=" + "a" * 256).status, 200)

    def test_query_counts_toward_header_limit(self):
        head = request_head("GET", "/api/health?q=" + "a" * (20 * KiB))
        r, _ = exchange(self.server, head)
        self.assertIsNotNone(r, "no answer to a 20 KiB query string")
        self.assertIn(r.status, (431, 414), r.describe())
        # Under the header limit, a long value is refused by the query's own limit instead.
        r, _ = exchange(self.server, request_head("GET", "/api/health?q=" + "a" * (8 * KiB)))
        self.assertIsNotNone(r)
        self.assertError(r, 400, "bad_request")
        self.assertEqual(h.Client(self.server).get("/api/health").status, 200)


class BodyTests(h.SidangTestCase):
    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()
        cls.user = cls.data.add_user()

    def test_declared_body_on_bodyless_endpoint_answered_at_once(self):
        # Only the headers are sent: the 413 must come without waiting for the body.
        head = request_head("GET", "/api/health", [("Content-Length", "10")])
        t0 = time.monotonic()
        r, _ = exchange(self.server, head, timeout=5)
        self.assertIsNotNone(r, "no answer before the body was sent")
        self.assertError(r, 413, "payload_too_large")
        self.assertLess(time.monotonic() - t0, 4)
        # With the body.
        r, _ = exchange(self.server, head, b"0123456789")
        self.assertIsNotNone(r)
        self.assertError(r, 413, "payload_too_large")
        # A state-changing one with a session and its token: the same.
        c = self.login(self.server, self.user)
        r = c.raw("POST", "/api/logout", b"x" * 100)
        self.assertError(r, 413, "payload_too_large")
        self.assertEqual(c.get("/api/me").status, 200)
        # An empty body is not a body.
        r = c.raw("POST", "/api/logout", b"", headers={"Content-Length": "0"})
        self.assertEqual(r.status, 204, r.describe())

    def test_asset_with_body_refused(self):
        for path in ("/", "/index.html"):
            with self.subTest(path=path):
                r, _ = exchange(self.server, request_head("GET", path, [("Content-Length", "5")]),
                                b"hello")
                self.assertIsNotNone(r)
                self.assertError(r, 413, "payload_too_large")
        r = h.Client(self.server).get("/")
        self.assertEqual(r.status, 200, r.describe())
        self.assertIn(b"<html", r.body.lower())

    def test_chunked_json_body_not_drained_far(self):
        json_ct = [("Content-Type", "application/json")]
        # 1 MiB: refused, with a 413 or by closing the connection.
        status, sent = send_chunked(self.server, "/api/login", 1 * MiB, json_ct)
        self.assertIn(status, (None, 413), "1 MiB chunked JSON answered %s" % status)
        # 64 MiB: the server stops reading long before the end (it used to read up to the
        # upload limit, 100 MiB, before answering). The socket buffers hold a few MiB at most.
        total = 64 * MiB
        t0 = time.monotonic()
        status, sent = send_chunked(self.server, "/api/login", total, json_ct)
        self.assertIn(status, (None, 413))
        self.assertLess(sent, total // 2, "the server read %d of %d bytes" % (sent, total))
        self.assertLess(time.monotonic() - t0, 20)
        # A chunked body to an endpoint that takes none: the same bound.
        status, sent = send_chunked(self.server, "/api/logout", total)
        self.assertIn(status, (None, 401, 403, 413))
        self.assertLess(sent, total // 2)
        self.assertEqual(h.Client(self.server).get("/api/health").status, 200)
        self.assertEqual(self.login(self.server, self.user).get("/api/me").status, 200)


class ClassificationTests(h.SidangTestCase):
    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()
        cls.staff = cls.data.add_user(roles=("pengelola_persidangan",), clearance="rahasia")
        cls.kabag = cls.data.add_user(roles=("kabag_persidangan",), clearance="rahasia")
        cls.head = cls.data.add_user(roles=("karo_hph",), clearance="sangat_rahasia")

    def last_update_detail(self, meeting_id):
        rows = self.data.query("SELECT detail FROM audit_log WHERE action = 'meeting.update'"
                               " AND object_id = ? ORDER BY seq DESC LIMIT 1",
                               (str(meeting_id),))
        self.assertEqual(len(rows), 1)
        return json.loads(rows[0][0])

    def test_staff_may_not_lower(self):
        c = self.login(self.server, self.staff)
        m = self.create_meeting(c, classification="rahasia")
        denied = self.data.query("SELECT count(*) FROM audit_log WHERE action = 'access.denied'"
                                 " AND object_id = ?", (str(m["id"]),))[0][0]
        for lower in ("terbatas", "biasa"):
            with self.subTest(to=lower):
                r = c.patch("/api/meetings/%d" % m["id"], {"classification": lower})
                err = self.assertError(r, 403, "forbidden", field="classification")
                self.assertIn("may lower a classification", err["message"])
        self.assertEqual(c.get("/api/meetings/%d" % m["id"]).json()["classification"], "rahasia")
        # The attempts are in the trail.
        after = self.data.query("SELECT count(*) FROM audit_log WHERE action = 'access.denied'"
                                " AND object_id = ?", (str(m["id"]),))[0][0]
        self.assertEqual(after, denied + 2)
        # Other edits, and the same classification again, are still open to them.
        r = c.patch("/api/meetings/%d" % m["id"], {"title": "Judul baru",
                                                   "classification": "rahasia"})
        self.assertEqual(r.status, 200, r.describe())

    def test_staff_may_raise_up_to_clearance(self):
        c = self.login(self.server, self.staff)
        m = self.create_meeting(c, classification="biasa")
        r = c.patch("/api/meetings/%d" % m["id"], {"classification": "rahasia"})
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(r.json()["classification"], "rahasia")
        detail = self.last_update_detail(m["id"])
        self.assertEqual(detail.get("classification"), "rahasia")
        self.assertEqual(detail.get("classification_before"), "biasa")
        r = c.patch("/api/meetings/%d" % m["id"], {"classification": "sangat_rahasia"})
        self.assertError(r, 400, field="classification")

    def test_heads_may_lower(self):
        staff = self.login(self.server, self.staff)
        for who, frm, to in ((self.kabag, "rahasia", "biasa"), (self.head, "rahasia", "terbatas")):
            with self.subTest(who=who):
                m = self.create_meeting(staff, classification=frm)
                c = self.login(self.server, who)
                r = c.patch("/api/meetings/%d" % m["id"], {"classification": to})
                self.assertEqual(r.status, 200, r.describe())
                self.assertEqual(r.json()["classification"], to)
                detail = self.last_update_detail(m["id"])
                self.assertEqual(detail.get("classification"), to)
                self.assertEqual(detail.get("classification_before"), frm)


class EmbedTests(h.SidangTestCase):
    def test_dotfiles_and_editor_leftovers_not_embedded(self):
        cmake = shutil.which("cmake")
        if not cmake:
            self.skipTest("cmake not found")
        tmp = tempfile.mkdtemp(prefix="sidang-embed-")
        self.addCleanup(shutil.rmtree, tmp, True)
        web = os.path.join(tmp, "web")
        keep = ["index.html", "app.js", "views/list.js", "favicon.svg"]
        skip = [".env", ".htpasswd", "index.html~", ".index.html.swp", "app.js.swp",
                "app.js.orig", "app.js.rej", "#app.js#", "views/.list.js.swp", "views/list.js~",
                ".git/config", "views/.cache/x.js"]
        for name in keep + skip:
            path = os.path.join(web, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write("isi\n")
        out = os.path.join(tmp, "assets_data.c")
        p = subprocess.run([cmake, "-DWEB_DIR=" + web, "-DOUT=" + out, "-P",
                            os.path.join(h.SOURCE_DIR, "tools", "embed.cmake")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr.decode("utf-8", "replace"))
        with open(out) as f:
            text = f.read()
        names = sorted(line.split('"')[1] for line in text.splitlines()
                       if line.strip().startswith('{"/'))
        self.assertEqual(names, sorted("/" + k for k in keep))


if __name__ == "__main__":
    h.main()
