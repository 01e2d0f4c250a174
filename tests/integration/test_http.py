"""HTTP-level behaviour: security headers, the web UI, header limits, routing errors."""

import http.client
import os
import socket
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from harness import KiB  # noqa: E402


def raw_exchange(server, request_bytes, timeout=15):
    """Sends raw bytes; returns (Response or None, error text): None when the server closed the
    connection or said nothing within TIMEOUT."""
    sock = socket.create_connection((server.host, server.port), timeout=timeout)
    try:
        try:
            sock.sendall(request_bytes)
        except (BrokenPipeError, ConnectionResetError) as e:
            return None, repr(e)
        resp = http.client.HTTPResponse(sock, method="GET")
        try:
            resp.begin()
            body = resp.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, socket.timeout,
                http.client.BadStatusLine, http.client.IncompleteRead) as e:
            return None, repr(e)
        return h.Response("RAW", request_bytes[:40], resp.status, resp.reason, resp.msg,
                          body), ""
    finally:
        sock.close()


class HttpTests(h.SidangTestCase):
    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()
        cls.user = cls.data.add_user()

    def assertSecurityHeaders(self, r):
        csp = r.header("Content-Security-Policy") or ""
        self.assertIn("default-src 'self'", csp, r.describe())
        self.assertIn("frame-ancestors 'none'", csp, r.describe())
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff", r.describe())

    def test_security_headers_on_root(self):
        r = h.Client(self.server).get("/")
        self.assertEqual(r.status, 200, r.describe())
        self.assertSecurityHeaders(r)

    def test_security_headers_on_health(self):
        r = h.Client(self.server).get("/api/health")
        self.assertEqual(r.status, 200, r.describe())
        self.assertSecurityHeaders(r)

    def test_security_headers_on_errors(self):
        for path in ("/api/tidak-ada", "/api/me"):
            with self.subTest(path=path):
                r = h.Client(self.server).get(path)
                self.assertIn(r.status, (401, 404))
                self.assertEqual(r.header("X-Content-Type-Options"), "nosniff", r.describe())

    def test_root_serves_html(self):
        r = h.Client(self.server).get("/")
        self.assertEqual(r.status, 200, r.describe())
        self.assertTrue((r.header("Content-Type") or "").startswith("text/html"), r.describe())
        self.assertIn(b"<html", r.body.lower())

    def test_api_json_content_type(self):
        r = h.Client(self.server).get("/api/health")
        self.assertTrue((r.header("Content-Type") or "").startswith("application/json"))

    def test_unknown_api_path_404_json(self):
        c = self.login(self.server, self.user)
        for path in ("/api/tidak-ada", "/api/meetings/1/tidak-ada", "/api/",
                     "/api/documents", "/api/health/extra"):
            with self.subTest(path=path):
                r = c.get(path)
                self.assertError(r, 404, "not_found")
        # without a session too (no difference between unknown and protected would be a map)
        r = h.Client(self.server).get("/api/tidak-ada")
        self.assertError(r, (401, 404))

    def test_wrong_method_405(self):
        c = self.login(self.server, self.user)
        for method, path, allowed in (("GET", "/api/login", "POST"),
                                      ("GET", "/api/logout", "POST"),
                                      ("PUT", "/api/meetings", "GET"),
                                      ("DELETE", "/api/meetings", "POST"),
                                      ("PUT", "/api/health", "GET")):
            with self.subTest(method=method, path=path):
                r = c.request(method, path, body=b"{}" if method != "GET" else None,
                              headers={"Content-Type": "application/json"})
                self.assertError(r, 405, "method_not_allowed")
                allow = r.header("Allow") or ""
                self.assertIn(allowed, [a.strip() for a in allow.split(",")], r.describe())

    def test_malformed_ids_404(self):
        c = self.login(self.server, self.user)
        for path in ("/api/meetings/abc", "/api/meetings/-1", "/api/meetings/0",
                     "/api/meetings/1abc", "/api/meetings/99999999999999999999999999",
                     "/api/meetings/%2e%2e", "/api/documents/1%00", "/api/meetings/0x10",
                     "/api/documents/+1/content"):
            with self.subTest(path=path):
                self.assertError(c.get(path), (400, 404))

    def test_static_path_traversal(self):
        for path in ("/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                     "/..%2f..%2f..%2fetc%2fpasswd", "/static/../../../../etc/passwd",
                     "//etc/passwd", "/%2fetc%2fpasswd"):
            with self.subTest(path=path):
                r, err = raw_exchange(self.server, ("GET %s HTTP/1.1\r\nHost: x\r\n"
                                                    "Connection: close\r\n\r\n"
                                                    % path).encode())
                if r is None:
                    continue  # refused outright
                self.assertNotIn(b"root:", r.body, r.describe())
                self.assertIn(r.status, (200, 400, 404), r.describe())
                if r.status == 200:  # an SPA fallback may serve index.html
                    self.assertTrue((r.header("Content-Type") or "").startswith("text/html"))

    def test_headers_over_16k_refused(self):
        req = (b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Fill: " + b"a" * (17 * KiB) +
               b"\r\nConnection: close\r\n\r\n")
        r, err = raw_exchange(self.server, req)
        self.assertIsNotNone(r, "no HTTP answer to 17 KiB of headers (%s)" % err)
        self.assertIn(r.status, (431, 413), r.describe())
        if r.status != 431:
            h.note("headers over 16 KiB answered %d, docs/api.md says 431" % r.status)
        # many small headers add up too
        req = b"GET /api/health HTTP/1.1\r\nHost: x\r\n" + b"".join(
            b"X-H%d: %s\r\n" % (i, b"b" * 100) for i in range(200)) + b"Connection: close\r\n\r\n"
        r, err = raw_exchange(self.server, req)
        self.assertIsNotNone(r, "no HTTP answer to 20 KiB of headers (%s)" % err)
        self.assertIn(r.status, (431, 413), r.describe())
        # a huge cookie
        c = h.Client(self.server)
        c.cookie = "x" * (20 * KiB)
        try:
            r = c.get("/api/me")
            self.assertIn(r.status, (431, 413), r.describe())
        except (ConnectionError, OSError):
            self.fail("connection dropped without an answer to a 20 KiB cookie")
        # the server still works
        self.assertEqual(h.Client(self.server).get("/api/health").status, 200)
        self.assertEqual(self.login(self.server, self.user).get("/api/me").status, 200)

    def test_headers_under_16k_accepted(self):
        req = (b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Fill: " + b"a" * (12 * KiB) +
               b"\r\nConnection: close\r\n\r\n")
        r, err = raw_exchange(self.server, req)
        self.assertIsNotNone(r, err)
        self.assertEqual(r.status, 200, r.describe())

    def test_garbage_request_line(self):
        for req in (b"\x00\x01\x02\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                    b"GET /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                    b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"):
            with self.subTest(req=req[:30]):
                r, err = raw_exchange(self.server, req, timeout=3)
                if r is not None:
                    self.assertGreaterEqual(r.status, 400, r.describe())
        self.assertEqual(h.Client(self.server).get("/api/health").status, 200)

    def test_login_refuses_non_json_content_type(self):
        # A cross-site form can POST text/plain without a CORS preflight; logging in through
        # it (login CSRF) must fail. docs/api.md: 415 for "a body that is not JSON".
        body = ('{"username": "%s", "password": "%s"}' % (self.user, h.PASSWORD)).encode()
        for ctype in ("text/plain", "application/x-www-form-urlencoded", None):
            with self.subTest(ctype=ctype):
                headers = {"Content-Type": ctype} if ctype else {}
                r = h.Client(self.server).request("POST", "/api/login", body=body,
                                                  headers=headers, csrf=False)
                self.assertError(r, (400, 415))

    def test_no_cors_for_other_origins(self):
        r = h.Client(self.server).request("GET", "/api/health",
                                          headers={"Origin": "https://evil.example"})
        acao = r.header("Access-Control-Allow-Origin")
        self.assertIn(acao, (None,), "CORS opened to another origin: %r" % acao)


if __name__ == "__main__":
    h.main()
