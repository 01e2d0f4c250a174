"""
Shared code of Sidang's integration tests (Python 3 standard library only).

Every test starts real `sidang` processes on a temporary data directory and drives them over
HTTP on a loopback port the server picked itself (`serve --port 0`). Nothing depends on the state
of the machine: data directories live under a fresh temporary directory, servers are always
killed (cleanups, atexit, and PR_SET_PDEATHSIG should the test process itself be killed).

Environment:
  SIDANG_BIN          the built binary (default: $SIDANG_SOURCE_DIR/build/sidang)
  SIDANG_SOURCE_DIR   the source tree (default: two levels above this file)
  SIDANG_TEST_KEEP=1  keep temporary directories (their paths are printed)
  SIDANG_TEST_VERBOSE=1  print every server's standard error as the tests run
"""

import atexit
import ctypes
import hashlib
import http.client
import io
import json
import os
import queue
import re
import select
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("SIDANG_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("SIDANG_BIN") or os.path.join(SOURCE_DIR, "build", "sidang")
KEEP = os.environ.get("SIDANG_TEST_KEEP") == "1"
VERBOSE = os.environ.get("SIDANG_TEST_VERBOSE") == "1"

# A password every test account gets unless a test says otherwise (≥ 10 characters).
PASSWORD = "kata-sandi-yang-panjang"
BUREAU_ROLES = ("karo_hph", "kabag_persidangan", "kasubbag_pengelolaan", "pengelola_persidangan",
                "pengelola_naskah")
ALL_ROLES = BUREAU_ROLES + ("admin", "auditor", "reader")
CLASSIFICATIONS = ("biasa", "terbatas", "rahasia", "sangat_rahasia")

SERVER_START_TIMEOUT = 30.0
REQUEST_TIMEOUT = 60.0
CLI_TIMEOUT = 60.0
KiB = 1024
MiB = 1024 * 1024

SANITIZER_RE = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                          r"WARNING: ThreadSanitizer|AddressSanitizer:DEADLYSIGNAL")
LISTEN_RE = re.compile(r"sidang: listening on http://([^\s/]+):(\d+)")
ISO_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def note(msg):
    """A line in the test output that is not a failure (e.g. which variant of a test ran)."""
    sys.stderr.write("[note] %s\n" % msg)
    sys.stderr.flush()


def require_binary():
    if not (os.path.isfile(BIN) and os.access(BIN, os.X_OK)):
        raise RuntimeError("sidang binary not found or not executable: %r (set SIDANG_BIN)" % BIN)


# --------------------------------------------------------------------------------------------
# temporary directories and process bookkeeping

_tempdirs = []
_mounts = []
_servers = []      # running
_all_servers = []  # every server started, for the logs printed after a failure


def make_tempdir(prefix="sidang-it-"):
    d = tempfile.mkdtemp(prefix=prefix)
    _tempdirs.append(d)
    return d


def remove_tempdir(d):
    if KEEP:
        note("kept %s" % d)
        return
    shutil.rmtree(d, ignore_errors=True)


def _cleanup_at_exit():
    for s in list(_servers):
        s.kill()
    for m in list(_mounts):
        umount(m)
    for d in _tempdirs:
        if os.path.exists(d):
            remove_tempdir(d)


atexit.register(_cleanup_at_exit)


try:  # resolved here, not in the forked child, where loading a library could deadlock
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def _child_setup():
    # Die with the test process even if it is SIGKILLed (e.g. by a CTest timeout).
    if _prctl is not None:
        PR_SET_PDEATHSIG = 1
        _prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def mount_tmpfs(path, size="12m"):
    """Mounts a tmpfs of SIZE on PATH (root only). Returns (ok, message)."""
    os.makedirs(path, exist_ok=True)
    try:
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % size, "tmpfs",
                            path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, repr(e)
    if p.returncode != 0:
        return False, p.stderr.decode("utf-8", "replace").strip()
    _mounts.append(path)
    return True, ""


def umount(path):
    if path not in _mounts:
        return
    for _ in range(50):
        p = subprocess.run(["umount", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=30)
        if p.returncode == 0:
            _mounts.remove(path)
            return
        time.sleep(0.1)  # EBUSY: a process of ours is still exiting
    subprocess.run(["umount", "-l", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   stdin=subprocess.DEVNULL, timeout=30)
    _mounts.remove(path)


# --------------------------------------------------------------------------------------------
# the CLI

class CliResult:
    def __init__(self, args, proc):
        self.args = args
        self.returncode = proc.returncode
        self.stdout = proc.stdout.decode("utf-8", "replace")
        self.stderr = proc.stderr.decode("utf-8", "replace")

    @property
    def output(self):
        return self.stdout + self.stderr

    def describe(self):
        return "sidang %s -> exit %d\nstdout: %s\nstderr: %s" % (
            " ".join(self.args), self.returncode, self.stdout[-2000:], self.stderr[-2000:])


def cli(args, input=None, timeout=CLI_TIMEOUT, env=None):
    """Runs `sidang ARGS`; INPUT (str or bytes) on standard input (never a terminal)."""
    if isinstance(input, str):
        input = input.encode("utf-8")
    proc = subprocess.run([BIN] + list(args), input=input if input is not None else b"",
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                          env=env, preexec_fn=_child_setup)
    return CliResult(list(args), proc)


class DataDir:
    """A data directory made by `sidang init` in a fresh temporary directory (or at PATH)."""

    def __init__(self, path=None):
        if path is None:
            path = os.path.join(make_tempdir(), "data")
        self.path = path
        r = cli(["init", self.path])
        if r.returncode != 0:
            raise AssertionError("sidang init failed: " + r.describe())
        self._n = 0

    @property
    def db_path(self):
        return os.path.join(self.path, "sidang.db")

    @property
    def blobs_dir(self):
        return os.path.join(self.path, "blobs")

    @property
    def tmp_dir(self):
        return os.path.join(self.path, "blobs", "tmp")

    def cli(self, *args, input=None, timeout=CLI_TIMEOUT):
        return cli(list(args) + ["--data", self.path], input=input, timeout=timeout)

    def unique_name(self, prefix="u"):
        self._n += 1
        return "%s%d%s" % (prefix, self._n, uuid.uuid4().hex[:6])

    def add_user(self, name=None, roles=("pengelola_persidangan",), password=PASSWORD,
                 clearance=None, display_name=None):
        """Creates an account through the CLI; returns its username."""
        if name is None:
            name = self.unique_name()
        if isinstance(roles, str):
            roles = (roles,)
        args = ["user", "add", name]
        for r in roles:
            args += ["--role", r]
        if clearance:
            args += ["--clearance", clearance]
        if display_name:
            args += ["--display-name", display_name]
        r = self.cli(*args, input=password + "\n")
        if r.returncode != 0:
            raise AssertionError("sidang user add failed: " + r.describe())
        return name

    # --- looking inside -------------------------------------------------------------------

    def db(self):
        """A read-only connection to the database (the server may be running: WAL)."""
        uri = "file:%s?mode=ro" % urllib.parse.quote(self.db_path)
        con = sqlite3.connect(uri, uri=True, timeout=10)
        return con

    def db_rw(self):
        return sqlite3.connect(self.db_path, timeout=10)

    def query(self, sql, params=()):
        con = self.db()
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def counts(self):
        """Rows in the tables an upload writes."""
        con = self.db()
        try:
            # Blobs the workers derive (thumbnails, searchable PDFs, previews) come and go
            # with their jobs, not with uploads: not counted (a blob and its derived_files row
            # are written in one transaction).
            return {t: con.execute(sql).fetchone()[0] for t, sql in (
                ("documents", "SELECT count(*) FROM documents"),
                ("document_versions", "SELECT count(*) FROM document_versions"),
                ("blobs", "SELECT count(*) FROM blobs"
                          " WHERE sha256 NOT IN (SELECT sha256 FROM derived_files)"))}
        finally:
            con.close()

    def tmp_files(self):
        if not os.path.isdir(self.tmp_dir):
            return []
        out = []
        for root, dirs, files in os.walk(self.tmp_dir):
            out += [os.path.join(root, f) for f in files]
        return out

    def derived_blob_files(self):
        """The blob files of derived files (the workers' thumbnails, searchable PDFs, previews)."""
        return {os.path.join(sha[:2], sha[2:])
                for (sha,) in self.query("SELECT sha256 FROM derived_files")}

    def blob_files(self, include_derived=False):
        """Every file under blobs/ except blobs/tmp/, as paths relative to blobs/; without the
        derived files' (a worker makes them whenever its job runs) unless INCLUDE_DERIVED."""
        out = set()
        for root, dirs, files in os.walk(self.blobs_dir):
            rel_root = os.path.relpath(root, self.blobs_dir)
            if rel_root == "tmp" or rel_root.startswith("tmp" + os.sep):
                continue
            for f in files:
                out.add(os.path.normpath(os.path.join(rel_root, f)))
        return out if include_derived else out - self.derived_blob_files()

    def stray_blob_files(self):
        """Files under blobs/ (not tmp/) that no row of the blobs table names."""
        known = {r[0].lower() for r in self.query("SELECT sha256 FROM blobs")}
        stray = []
        for rel in self.blob_files():
            name = rel.replace(os.sep, "").lower()
            base = os.path.basename(rel).lower()
            if name in known or base in known:
                continue
            stray.append(rel)
        return stray

    def wait_tmp_empty(self, timeout=5.0):
        """Polls until blobs/tmp holds no file; returns what is left after TIMEOUT."""
        deadline = time.monotonic() + timeout
        while True:
            left = self.tmp_files()
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.02)


# --------------------------------------------------------------------------------------------
# the server

class Server:
    def __init__(self, data, args=(), env=None):
        self.data = data
        self.args = list(args)
        self.env = env
        self.proc = None
        self.host = None
        self.port = None
        self.stdout_lines = []
        self.log_path = None
        self.log_text = ""
        self.killed_on_purpose = False

    def start(self, timeout=SERVER_START_TIMEOUT):
        require_binary()
        cmd = [BIN, "serve", "--port", "0", "--addr", "127.0.0.1", "--data", self.data.path]
        cmd += self.args
        logdir = make_tempdir("sidang-log-")
        self.log_path = os.path.join(logdir, "server.stderr")
        errf = None if VERBOSE else open(self.log_path, "wb")
        env = None
        if self.env:
            env = dict(os.environ)
            env.update(self.env)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errf,
                                     stdin=subprocess.DEVNULL, env=env, preexec_fn=_child_setup)
        if errf:
            errf.close()
        _servers.append(self)
        _all_servers.append(self)
        lines = queue.Queue()

        def reader(stream, out):
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                out.append(line)
                lines.put(line)
                if VERBOSE:
                    sys.stderr.write("[server stdout] %s\n" % line)
            lines.put(None)

        threading.Thread(target=reader, args=(self.proc.stdout, self.stdout_lines),
                         daemon=True).start()
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise AssertionError("server did not print its address within %gs; %s"
                                     % (timeout, self.describe()))
            try:
                line = lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(timeout=10)
                self._collect_log()
                raise AssertionError("server exited (status %s) before listening; %s"
                                     % (self.proc.returncode, self.describe()))
            m = LISTEN_RE.search(line)
            if m:
                self.host, self.port = m.group(1), int(m.group(2))
                return self

    def describe(self):
        self._collect_log()
        return "cmd: serve %s\nstdout: %s\nstderr (tail): %s" % (
            " ".join(self.args), "\n".join(self.stdout_lines[-20:]), self.log_text[-3000:])

    def _collect_log(self):
        if self.log_path and os.path.exists(self.log_path):
            with open(self.log_path, "rb") as f:
                self.log_text = f.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def sanitizer_reports(self):
        self._collect_log()
        return SANITIZER_RE.findall(self.log_text)

    def check_clean_exit(self):
        """Stops the server if it still runs; raises unless it exited 0 on SIGTERM (a server
        killed on purpose is exempt) and its log holds no sanitizer report."""
        if self.proc is None:
            return
        if self.alive():
            self.stop()
        problems = []
        if not self.killed_on_purpose and self.proc.returncode != 0:
            problems.append("exit status %s after SIGTERM (docs/cli.md: stops cleanly)"
                            % self.proc.returncode)
        if self.sanitizer_reports():
            problems.append("sanitizer report in its log")
        if problems:
            raise AssertionError("server %s: %s\n%s" % (" ".join(self.args), "; ".join(problems),
                                                         self.describe()))

    def stop(self, timeout=15.0):
        """SIGTERM, then SIGKILL if it does not exit within TIMEOUT. Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        return self._finish()

    def kill(self):
        """SIGKILL (kill -9). Returns the exit status."""
        if self.proc is None:
            return None
        self.killed_on_purpose = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
        return self._finish()

    def _finish(self):
        if self in _servers:
            _servers.remove(self)
        self._collect_log()
        try:
            self.proc.stdout.close()
        except Exception:
            pass
        return self.proc.returncode

    def client(self):
        return Client(self)


# --------------------------------------------------------------------------------------------
# HTTP

class Response:
    def __init__(self, method, path, status, reason, headers, body):
        self.method = method
        self.path = path
        self.status = status
        self.reason = reason
        self.headers = headers  # http.client.HTTPMessage
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def header_all(self, name):
        return self.headers.get_all(name) or []

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except Exception as e:
            raise AssertionError("response is not JSON (%s): %s" % (e, self.describe()))

    def describe(self):
        body = self.body[:800]
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            body = repr(body)
        return "%s %s -> %s %s\n%s\n%s" % (self.method, self.path, self.status, self.reason,
                                            str(self.headers).strip(), body)

    def __repr__(self):
        return "<Response %s %s %s>" % (self.method, self.path, self.status)


class NoResponse(Exception):
    """The server closed the connection without an HTTP response."""


def _encode_header_value(v):
    if isinstance(v, bytes):
        return v
    return str(v).encode("utf-8")


def raw_request(host, port, method, path, headers=None, body=b"", chunked=False,
                chunk_size=64 * KiB, timeout=REQUEST_TIMEOUT, stop_on_early_response=True):
    """
    Sends one request over a raw socket, body in chunks. If the server answers before the body is
    all sent (an early 413/507), sending stops and that answer is read. Returns a Response (with
    .sent = body bytes sent); raises NoResponse when the connection ends without one.
    """
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        hdrs = [("Host", "%s:%d" % (host, port))]
        has_len = any(k.lower() in ("content-length", "transfer-encoding") for k in (headers or {}))
        for k, v in (headers or {}).items():
            hdrs.append((k, v))
        if not has_len:
            if chunked:
                hdrs.append(("Transfer-Encoding", "chunked"))
            elif body or method in ("POST", "PUT", "PATCH"):
                hdrs.append(("Content-Length", str(len(body))))
        if not any(k.lower() == "connection" for k, _ in hdrs):
            hdrs.append(("Connection", "close"))
        head = ("%s %s HTTP/1.1\r\n" % (method, path)).encode("utf-8")
        for k, v in hdrs:
            head += k.encode("ascii") + b": " + _encode_header_value(v) + b"\r\n"
        head += b"\r\n"
        early = False
        off = 0
        try:
            sock.sendall(head)
            mv = memoryview(body)
            while off < len(body):
                if stop_on_early_response:
                    r, _, _ = select.select([sock], [], [], 0)
                    if r:
                        early = True
                        break
                piece = mv[off:off + chunk_size]
                if chunked:
                    sock.sendall(b"%x\r\n" % len(piece) + bytes(piece) + b"\r\n")
                else:
                    sock.sendall(piece)
                off += len(piece)
            if chunked and not early:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            early = True
        sent = off if body else 0
        resp = http.client.HTTPResponse(sock, method=method)
        try:
            resp.begin()
            data = resp.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                http.client.IncompleteRead, http.client.BadStatusLine) as e:
            raise NoResponse("%s %s: no response (%s: %s); %d of %d body bytes sent"
                             % (method, path, type(e).__name__, e, sent, len(body)))
        out = Response(method, path, resp.status, resp.reason, resp.msg, data)
        out.sent = sent
        out.early = early
        return out
    finally:
        sock.close()


class PartialUpload:
    """A request whose body is sent piecemeal over a raw socket (for kill -9 tests)."""

    def __init__(self, host, port, path, headers, body, timeout=REQUEST_TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.body = memoryview(body)
        self.off = 0
        head = ("POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Length: %d\r\n"
                % (path, host, port, len(body))).encode("ascii")
        for k, v in headers.items():
            head += k.encode("ascii") + b": " + _encode_header_value(v) + b"\r\n"
        head += b"Connection: close\r\n\r\n"
        self.sock.sendall(head)

    def send(self, n, chunk_size=64 * KiB):
        """Sends the next N body bytes (fewer at the end)."""
        end = min(len(self.body), self.off + n)
        while self.off < end:
            piece = self.body[self.off:min(end, self.off + chunk_size)]
            self.sock.sendall(piece)
            self.off += len(piece)
        return self.off

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def parse_set_cookie(value):
    """'n=v; Attr; K=V' -> (name, value, {attr_lower: value_or_True})."""
    parts = [p.strip() for p in value.split(";")]
    name, _, val = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        if not p:
            continue
        k, eq, v = p.partition("=")
        attrs[k.strip().lower()] = v.strip() if eq else True
    return name.strip(), val.strip(), attrs


STATE_CHANGING = ("POST", "PATCH", "PUT", "DELETE")


class Client:
    """An HTTP client keeping the session cookie and the CSRF token, like the web UI."""

    def __init__(self, server):
        self.server = server
        self.host = server.host
        self.port = server.port
        self.cookie = None
        self.csrf = None
        self.user = None
        self.last_set_cookies = []

    def _headers(self, method, headers, csrf):
        h = {}
        if self.cookie is not None:
            h["Cookie"] = "sidang_session=" + self.cookie
        if csrf is True:
            if self.csrf and method in STATE_CHANGING:
                h["X-CSRF-Token"] = self.csrf
        elif isinstance(csrf, str):
            h["X-CSRF-Token"] = csrf
        h.update(headers or {})
        return h

    def _absorb(self, resp):
        self.last_set_cookies = resp.header_all("Set-Cookie")
        for sc in self.last_set_cookies:
            name, val, attrs = parse_set_cookie(sc)
            if name != "sidang_session":
                continue
            if val == "" or attrs.get("max-age") in ("0", "-1"):
                self.cookie = None
            else:
                self.cookie = val

    def request(self, method, path, body=None, headers=None, json_body=..., csrf=True,
                timeout=REQUEST_TIMEOUT):
        """One request. csrf=True sends the stored token on state-changing methods; False sends
        none; a string sends that string."""
        h = {}
        if json_body is not ...:
            body = json.dumps(json_body).encode("utf-8")
            h["Content-Type"] = "application/json"
        h.update(self._headers(method, headers, csrf))
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            resp = Response(method, path, r.status, r.reason, r.msg, data)
        finally:
            conn.close()
        self._absorb(resp)
        return resp

    def raw(self, method, path, body=b"", headers=None, csrf=True, chunked=False, **kw):
        """Like request, over a raw socket: copes with early answers to big bodies."""
        h = self._headers(method, headers, csrf)
        resp = raw_request(self.host, self.port, method, path, h, body, chunked=chunked, **kw)
        self._absorb(resp)
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, obj=..., **kw):
        return self.request("POST", path, json_body=obj, **kw)

    def patch(self, path, obj=..., **kw):
        return self.request("PATCH", path, json_body=obj, **kw)

    def login(self, username, password=PASSWORD):
        r = self.post("/api/login", {"username": username, "password": password}, csrf=False)
        if r.status == 200:
            j = r.json()
            self.csrf = j.get("csrf_token")
            self.user = j.get("user")
        return r

    def logout(self):
        return self.post("/api/logout")

    # --- documents --------------------------------------------------------------------------

    def upload(self, meeting_id, data, filename="dokumen.pdf", stage="perencanaan",
               type="undangan", source="born_digital", extra=None, omit=(), file_part=None,
               csrf=True, fields_after_file=False, **kw):
        """POST /api/meetings/{id}/documents. EXTRA: more form fields (dict or list of pairs);
        OMIT: field names not to send; FILE_PART: a FilePart to send instead of the default."""
        fields = [("stage", stage), ("type", type), ("source", source)]
        fields = [(k, v) for k, v in fields if k not in omit and v is not None]
        if extra:
            fields += list(extra.items()) if isinstance(extra, dict) else list(extra)
        if file_part is None and "file" not in omit:
            file_part = FilePart(data, filename)
        ctype, body = multipart(fields, file_part, file_first=fields_after_file)
        return self.raw("POST", "/api/meetings/%s/documents" % meeting_id, body,
                        {"Content-Type": ctype}, csrf=csrf, **kw)

    def upload_version(self, document_id, data, filename="dokumen-v2.pdf", file_part=None,
                       csrf=True, **kw):
        if file_part is None:
            file_part = FilePart(data, filename)
        ctype, body = multipart([], file_part)
        return self.raw("POST", "/api/documents/%s/versions" % document_id, body,
                        {"Content-Type": ctype}, csrf=csrf, **kw)


def new_client(server, username, password=PASSWORD):
    c = Client(server)
    r = c.login(username, password)
    if r.status != 200:
        raise AssertionError("login of %r failed: %s" % (username, r.describe()))
    return c


def wait_http_ok(server, timeout=10.0):
    """Polls GET /api/health until it answers 200."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            r = Client(server).get("/api/health", timeout=5)
            if r.status == 200:
                return r
            last = r.describe()
        except OSError as e:
            last = repr(e)
        time.sleep(0.05)
    raise AssertionError("server not healthy: %s" % last)


# --------------------------------------------------------------------------------------------
# multipart/form-data

def browser_escape_filename(name):
    """What browsers do to a file name in multipart/form-data (WHATWG HTML): LF, CR and the
    double quote become %0A, %0D and %22; the rest is sent as raw UTF-8."""
    if isinstance(name, bytes):
        name = name.decode("utf-8", "surrogateescape")
    name = name.replace("\n", "%0A").replace("\r", "%0D").replace('"', "%22")
    return name.encode("utf-8", "surrogateescape")


def rfc5987_encode(name):
    if isinstance(name, str):
        name = name.encode("utf-8")
    return b"UTF-8''" + urllib.parse.quote_from_bytes(name, safe="!#$&+-.^_`|~").encode("ascii")


class FilePart:
    """The `file` part of a form.

    mode: "browser"  filename="..." escaped as browsers do (default)
          "quoted"   filename="..." with backslash escapes for \\ and " (RFC 2616 quoted-string)
          "raw"      filename="..." verbatim (may hold a raw quote or CR/LF: malformed on purpose)
          "rfc5987"  filename*=UTF-8''percent-encoded, plus filename="FALLBACK" if fallback given
    disposition: the whole Content-Disposition value as bytes, overriding all of the above.
    """

    def __init__(self, data, filename="dokumen.pdf", content_type="application/octet-stream",
                 mode="browser", fallback=None, name="file", disposition=None):
        self.data = data
        self.filename = filename
        self.content_type = content_type
        self.mode = mode
        self.fallback = fallback
        self.name = name
        self.disposition = disposition

    def disposition_value(self):
        if self.disposition is not None:
            return self.disposition if isinstance(self.disposition, bytes) else \
                self.disposition.encode("utf-8")
        v = b'form-data; name="' + self.name.encode("ascii") + b'"'
        fn = self.filename
        if self.mode == "browser":
            v += b'; filename="' + browser_escape_filename(fn) + b'"'
        elif self.mode == "quoted":
            b = fn.encode("utf-8") if isinstance(fn, str) else fn
            v += b'; filename="' + b.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
        elif self.mode == "raw":
            b = fn.encode("utf-8") if isinstance(fn, str) else fn
            v += b'; filename="' + b + b'"'
        elif self.mode == "rfc5987":
            if self.fallback is not None:
                v += b'; filename="' + browser_escape_filename(self.fallback) + b'"'
            v += b"; filename*=" + rfc5987_encode(fn)
        else:
            raise ValueError(self.mode)
        return v


def multipart(fields=(), file_part=None, boundary=None, file_first=False):
    """Encodes FIELDS (pairs of str/bytes) and FILE_PART (one FilePart or a list).
    Returns (content_type, body)."""
    if boundary is None:
        boundary = "----SidangTestBoundary" + uuid.uuid4().hex
    bb = boundary.encode("ascii")
    chunks = []

    def add_fields():
        for name, value in fields:
            if isinstance(value, str):
                value = value.encode("utf-8")
            elif isinstance(value, int):
                value = str(value).encode("ascii")
            if isinstance(name, str):
                name = name.encode("utf-8")
            chunks.append(b"--" + bb + b"\r\nContent-Disposition: form-data; name=\"" + name +
                          b"\"\r\n\r\n" + value + b"\r\n")

    def add_file():
        if file_part is None:
            return
        for fp in (file_part if isinstance(file_part, (list, tuple)) else [file_part]):
            ct = fp.content_type
            chunks.append(b"--" + bb + b"\r\nContent-Disposition: " + fp.disposition_value() +
                          b"\r\nContent-Type: " + ct.encode("ascii") + b"\r\n\r\n")
            chunks.append(fp.data)
            chunks.append(b"\r\n")

    if file_first:
        add_file()
        add_fields()
    else:
        add_fields()
        add_file()
    chunks.append(b"--" + bb + b"--\r\n")
    return "multipart/form-data; boundary=" + boundary, b"".join(chunks)


# --------------------------------------------------------------------------------------------
# Content-Disposition parsing (strict: a stray quote or control character is an error)

TOKEN_CHARS = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def parse_content_disposition(value):
    """Returns (type, {param_lower: value}); raises ValueError on anything malformed."""
    for ch in value:
        if ord(ch) < 0x20 and ch != "\t" or ord(ch) >= 0x7f:
            raise ValueError("control or non-ASCII character %r in header" % ch)
    i = 0
    n = len(value)

    def skip_ws(i):
        while i < n and value[i] in " \t":
            i += 1
        return i

    def token(i):
        j = i
        while j < n and value[j] in TOKEN_CHARS:
            j += 1
        if j == i:
            raise ValueError("expected a token at %d in %r" % (i, value))
        return value[i:j], j

    i = skip_ws(i)
    dtype, i = token(i)
    params = {}
    while True:
        i = skip_ws(i)
        if i >= n:
            break
        if value[i] != ";":
            raise ValueError("expected ';' at %d in %r" % (i, value))
        i = skip_ws(i + 1)
        if i >= n:
            break
        name, i = token(i)
        i = skip_ws(i)
        if i >= n or value[i] != "=":
            raise ValueError("expected '=' after %r" % name)
        i = skip_ws(i + 1)
        if i < n and value[i] == '"':
            i += 1
            out = []
            while True:
                if i >= n:
                    raise ValueError("unterminated quoted string in %r" % value)
                c = value[i]
                if c == "\\":
                    if i + 1 >= n:
                        raise ValueError("dangling backslash")
                    out.append(value[i + 1])
                    i += 2
                elif c == '"':
                    i += 1
                    break
                else:
                    out.append(c)
                    i += 1
            pval = "".join(out)
        else:
            pval, i = token(i)
        if name.lower() in params:
            raise ValueError("parameter %r twice" % name)
        params[name.lower()] = pval
    return dtype.lower(), params


def decode_ext_value(v):
    """RFC 8187 ext-value: charset'lang'pct-encoded -> str (UTF-8 only)."""
    charset, q1, rest = v.partition("'")
    lang, q2, enc = rest.partition("'")
    if not q1 or not q2:
        raise ValueError("not an ext-value: %r" % v)
    if charset.lower() != "utf-8":
        raise ValueError("charset %r" % charset)
    for ch in enc:
        if ch not in TOKEN_CHARS or ch in "*'":
            if ch != "%":
                raise ValueError("character %r not allowed in ext-value" % ch)
    return urllib.parse.unquote(enc, encoding="utf-8", errors="strict")


BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def unsafe_filename_chars(name):
    """The characters of NAME that must never survive sanitising."""
    bad = []
    for ch in name:
        if ch == "/" or ord(ch) < 0x20 or ord(ch) == 0x7f or 0x80 <= ord(ch) < 0xa0 \
                or ch in BIDI_CONTROLS:
            bad.append(ch)
    return bad


# --------------------------------------------------------------------------------------------
# sample files (content decides the type, so each is the real thing in miniature)

def unique_marker():
    return uuid.uuid4().hex.encode("ascii")


def pdf_bytes(size=None, marker=None):
    """A PDF (libmagic: application/pdf), unique unless MARKER is fixed; padded to SIZE bytes
    with random bytes inside a stream object."""
    marker = marker or unique_marker()
    head = (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n% " + marker + b"\n")
    tail = b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    if size is None:
        return head + tail
    pad = size - len(head) - len(tail) - len(b"3 0 obj\n<< >>\nstream\n\nendstream\nendobj\n")
    if pad < 0:
        raise ValueError("size too small for a PDF")
    return head + b"3 0 obj\n<< >>\nstream\n" + os.urandom(pad) + b"\nendstream\nendobj\n" + tail


def png_bytes(marker=None):
    marker = marker or unique_marker()

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"tEXt", b"Comment\x00" + marker)
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def jpeg_bytes(marker=None):
    marker = marker or unique_marker()
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    com = marker
    return (b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 +
            b"\xff\xfe" + struct.pack(">H", len(com) + 2) + com + b"\xff\xd9")


def docx_bytes(marker=None):
    marker = (marker or unique_marker()).decode("ascii")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
                   '.org/package/2006/content-types"><Default Extension="rels" ContentType="applic'
                   'ation/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
                   'ContentType="application/xml"/><Override PartName="/word/document.xml" Content'
                   'Type="application/vnd.openxmlformats-officedocument.wordprocessingml.document.'
                   'main+xml"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.open'
                   'xmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:/'
                   '/schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
                   'Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.open'
                   'xmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>%s</w:t></w:r>'
                   '</w:p></w:body></w:document>' % marker)
    return buf.getvalue()


def odt_bytes(marker=None):
    marker = (marker or unique_marker()).decode("ascii")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:o'
                   'asis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:f'
                   'ull-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
                   '</manifest:manifest>', compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", "<office:document-content>%s</office:document-content>" % marker,
                   compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def zip_bytes(marker=None):
    marker = (marker or unique_marker()).decode("ascii")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("catatan.txt", "isi " + marker)
    return buf.getvalue()


def elf_bytes():
    """The head of a real ELF executable: the Python interpreter running these tests."""
    with open(os.path.realpath(sys.executable), "rb") as f:
        return f.read(256 * KiB) + unique_marker()


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------
# test case base

MEETING_KEYS = {"id", "title", "number", "date", "place", "chair", "classification", "created_by",
                "created_at", "updated_at", "document_count"}
DOCUMENT_KEYS = {"id", "meeting_id", "stage", "type", "title", "classification", "source",
                 "alih_media", "state", "created_by", "created_at", "current_version"}
VERSION_KEYS = {"version", "sha256", "size", "mime", "filename", "uploaded_by", "uploaded_at"}


def meeting_body(**over):
    body = {"title": "Rapat Koordinasi Terbatas", "number": "RKT/%s" % uuid.uuid4().hex[:8],
            "date": "2026-11-24", "place": "Gedung Utama, Jakarta", "chair": "Menteri",
            "classification": "biasa"}
    body.update(over)
    return {k: v for k, v in body.items() if v is not ...}


class SidangTestCase(unittest.TestCase):
    maxDiff = 4000

    # --- fixtures ---------------------------------------------------------------------------

    @classmethod
    def class_server(cls, args=(), env=None):
        """A data directory and a running server shared by the tests of a class."""
        require_binary()
        data = DataDir()
        server = Server(data, args, env).start()
        cls.addClassCleanup(remove_tempdir, os.path.dirname(data.path))
        cls.addClassCleanup(server.check_clean_exit)
        return data, server

    def new_data(self, path=None):
        require_binary()
        data = DataDir(path)
        if path is None:
            self.addCleanup(remove_tempdir, os.path.dirname(data.path))
        return data

    def start_server(self, data, args=(), env=None):
        """Starts a server for this test; at the end it is stopped with SIGTERM and must exit 0
        with a clean log (unless the test killed it on purpose)."""
        server = Server(data, args, env).start()
        self.addCleanup(server.check_clean_exit)
        return server

    def login(self, server, username, password=PASSWORD):
        return new_client(server, username, password)

    def create_meeting(self, client, **over):
        r = client.post("/api/meetings", meeting_body(**over))
        self.assertEqual(r.status, 201, r.describe())
        m = r.json()
        self.assertIsInstance(m.get("id"), int, r.describe())
        return m

    def upload_ok(self, client, meeting_id, data=None, **kw):
        if data is None:
            data = pdf_bytes()
        r = client.upload(meeting_id, data, **kw)
        self.assertEqual(r.status, 201, r.describe())
        return r.json()

    # --- assertions -------------------------------------------------------------------------

    def assertError(self, resp, status, code=None, field=None):
        """RESP is a JSON error of STATUS (one status or a tuple), with CODE and FIELD if given."""
        if isinstance(status, int):
            self.assertEqual(resp.status, status, resp.describe())
        else:
            self.assertIn(resp.status, status, resp.describe())
        ctype = resp.header("Content-Type") or ""
        self.assertTrue(ctype.startswith("application/json"),
                        "error without a JSON content type: " + resp.describe())
        j = resp.json()
        err = j.get("error") if isinstance(j, dict) else None
        self.assertIsInstance(err, dict, resp.describe())
        self.assertIsInstance(err.get("code"), str, resp.describe())
        self.assertIsInstance(err.get("message"), str, resp.describe())
        if code is not None:
            if isinstance(code, str):
                self.assertEqual(err["code"], code, resp.describe())
            else:
                self.assertIn(err["code"], code, resp.describe())
        if field is not None:
            self.assertEqual(err.get("field"), field, resp.describe())
        return err

    def assertStatus(self, resp, status):
        if isinstance(status, int):
            self.assertEqual(resp.status, status, resp.describe())
        else:
            self.assertIn(resp.status, status, resp.describe())

    def assertSafeStoredName(self, name, original=None):
        """NAME (a version's filename from the JSON) is safe to show and to save."""
        self.assertIsInstance(name, str)
        self.assertEqual(unsafe_filename_chars(name), [],
                         "unsafe characters kept in %r (from %r)" % (name, original))
        self.assertNotIn(name, ("", ".", ".."), "file name %r (from %r)" % (name, original))
        self.assertLessEqual(len(name.encode("utf-8")), 255)

    def assertSafeDisposition(self, resp, stored_name, disposition="attachment"):
        """The Content-Disposition of a download: one header, ASCII, no CR/LF, no stray quote,
        the right type, an ASCII filename= and a filename*= that decodes to STORED_NAME."""
        values = resp.header_all("Content-Disposition")
        self.assertEqual(len(values), 1, resp.describe())
        self.assertIsNone(resp.header("X-Injected"), "header injection: " + resp.describe())
        cd = values[0]
        self.assertNotIn("\r", cd)
        self.assertNotIn("\n", cd)
        try:
            dtype, params = parse_content_disposition(cd)
        except ValueError as e:
            self.fail("malformed Content-Disposition %r: %s" % (cd, e))
        self.assertEqual(dtype, disposition, cd)
        self.assertIn("filename", params, cd)
        self.assertTrue(all(0x20 <= ord(ch) < 0x7f for ch in params["filename"]), cd)
        self.assertNotIn("/", params["filename"], cd)
        self.assertIn("filename*", params, cd)
        try:
            exact = decode_ext_value(params["filename*"])
        except ValueError as e:
            self.fail("bad filename*= in %r: %s" % (cd, e))
        self.assertEqual(exact, stored_name, cd)
        return params

    def assertNothingStored(self, data, before_counts, before_blobs, what=""):
        self.assertEqual(data.counts(), before_counts, "rows were stored " + what)
        left = data.wait_tmp_empty()
        self.assertEqual(left, [], "files left in blobs/tmp " + what)
        # A worker's derived file is renamed into place a moment before its row is committed:
        # one seen in between is given that moment.
        deadline = time.monotonic() + 5.0
        while True:
            derived = data.derived_blob_files()
            after, before = data.blob_files() - derived, before_blobs - derived
            if after == before or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(after, before, "a blob file was stored " + what)


# --------------------------------------------------------------------------------------------
# the SOP engine (docs/api.md "The SOP engine"; the seed: shared/seed/README.md)

SEED_SOP_CODE = "pemilihan-pengunggahan-data"
SEED_SOP_FILE = os.path.join(SOURCE_DIR, "sop", "pemilihan-pengunggahan-data.yaml")
SOP_FIXTURES_DIR = os.path.join(SOURCE_DIR, "tests", "fixtures", "sop")

# The five officials of the seed SOP (username, role), each cleared for sangat_rahasia.
SEED_OFFICIALS = (("karo", "karo_hph"), ("kabag", "kabag_persidangan"),
                  ("kasubbag", "kasubbag_pengelolaan"), ("persidangan", "pengelola_persidangan"),
                  ("naskah", "pengelola_naskah"))
# The PICs and the two accounts outside the bureau: (username, role, clearance).
SEED_OTHERS = (("pic1", "reader", "rahasia"), ("pic2", "reader", "biasa"),
               ("admin", "admin", None), ("auditor", "auditor", None))

# The seed's steps: number -> (performer role, roles sharing it, actions).
SEED_STEPS = {
    1: ("pengelola_persidangan", ("pengelola_naskah",), ("compile",)),
    2: ("kasubbag_pengelolaan", (), ("check",)),
    3: ("karo_hph", (), ("decide",)),
    4: ("kabag_persidangan", (), ("dispose",)),
    5: ("kasubbag_pengelolaan", (), ("dispose",)),
    6: ("pengelola_persidangan", (), ("publish",)),
    7: ("pengelola_naskah", (), ("publish", "report")),
    8: ("kabag_persidangan", (), ("report",)),
    9: ("karo_hph", (), ("verify",)),
}
SEED_WAKTU = {8: 5, 9: 10}  # minutes (Mutu Baku); the other steps have none


def parse_iso(s):
    """'2026-11-24T10:43:51Z' -> Unix seconds."""
    if not isinstance(s, str) or not ISO_TIME_RE.match(s):
        raise AssertionError("not an ISO 8601 UTC time: %r" % (s,))
    import calendar
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def utc_date(offset_days=0):
    """Today's UTC date (YYYY-MM-DD) moved by OFFSET_DAYS."""
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() + offset_days * 86400))


class ClockFile:
    """The file named by SIDANG_CLOCK_FILE: an offset in seconds the server re-reads whenever
    the file changes (src/util/clock.c). Written by rename, so the server never reads half."""

    def __init__(self, directory=None):
        self.dir = directory or make_tempdir("sidang-clock-")
        self.path = os.path.join(self.dir, "clock")
        self.seconds = None
        self.set(0)

    def set(self, seconds):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % seconds)
        os.replace(tmp, self.path)
        self.seconds = seconds

    def env(self):
        return {"SIDANG_CLOCK_FILE": self.path}


def _parallel(fns):
    """Runs the callables at once; returns their results in order, re-raising the first error."""
    results = [None] * len(fns)
    errors = [None] * len(fns)

    def run(i):
        try:
            results[i] = fns[i]()
        except BaseException as e:  # noqa: B902 - re-raised below
            errors[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in errors:
        if e is not None:
            raise e
    return results


class SopPeople:
    """The cast of a walk through the seed SOP: the five officials, the two PICs, an admin and an
    auditor (and EXTRA (username, role, clearance) accounts), each created through the CLI and
    logged in once. .c[name] is the logged-in Client, .ids[name] the user id, .role[name]."""

    def __init__(self, data, server, extra=(), only=None):
        specs = [(n, r, "sangat_rahasia") for n, r in SEED_OFFICIALS] + list(SEED_OTHERS)
        specs += list(extra)
        if only is not None:
            specs = [s for s in specs if s[0] in only]
        self.data = data
        self.server = server
        self.role = {n: r for n, r, _ in specs}
        self.clearance = {n: (c or "biasa") for n, _, c in specs}
        self.names = [n for n, _, _ in specs]
        _parallel([lambda s=s: data.add_user(s[0], roles=(s[1],), clearance=s[2],
                                             display_name="Pejabat %s" % s[0])
                   for s in specs])
        clients = _parallel([lambda n=n: new_client(server, n) for n in self.names])
        self.c = dict(zip(self.names, clients))
        self.ids = {}
        for n in self.names:
            u = self.c[n].user
            if not isinstance(u, dict) or not isinstance(u.get("id"), int):
                raise AssertionError("login of %s returned no user id: %r" % (n, u))
            self.ids[n] = u["id"]

    def officials(self):
        """The names holding one of the bureau's five SOP roles."""
        return [n for n in self.names if self.role[n] in BUREAU_ROLES]

    def pics(self):
        return [n for n in self.names if self.role[n] == "reader"]

    def outsiders(self):
        """admin and auditor: never see a dossier."""
        return [n for n in self.names if self.role[n] in ("admin", "auditor")]

    def holders(self, role):
        return [n for n in self.names if self.role[n] == role]


class SopTestCase(SidangTestCase):
    """Helpers for driving cases and tasks (docs/api.md "The SOP engine")."""

    people = None  # a SopPeople, set by the subclass

    def cl(self, who):
        return who if isinstance(who, Client) else self.people.c[who]

    def get_case(self, meeting_id, who="karo"):
        r = self.cl(who).get("/api/meetings/%d/case" % meeting_id)
        self.assertEqual(r.status, 200, r.describe())
        return r.json()

    def case_tasks(self, case, step=None, state=None):
        return [t for t in case["tasks"] if (step is None or t["step"] == step) and
                (state is None or t["state"] == state)]

    def available_task(self, meeting_id, step, who="karo"):
        """The one available task of STEP in the meeting's case (TASK as the case lists it)."""
        case = self.get_case(meeting_id, who)
        ts = self.case_tasks(case, step, "available")
        self.assertEqual(len(ts), 1, "expected one available task of step %d; case: %s"
                         % (step, json.dumps(case)[:3000]))
        return ts[0]

    def open_task(self, task_id, who):
        r = self.cl(who).get("/api/tasks/%d" % task_id)
        self.assertEqual(r.status, 200, r.describe())
        return r.json()

    def complete(self, task_id, who, body):
        return self.cl(who).post("/api/tasks/%d/complete" % task_id, body)

    def complete_ok(self, task_id, who, body):
        r = self.complete(task_id, who, body)
        self.assertEqual(r.status, 200, r.describe())
        j = r.json()
        self.assertIn("task", j, r.describe())
        self.assertIn("case", j, r.describe())
        self.assertEqual(j["task"]["id"], task_id, r.describe())
        self.assertEqual(j["task"]["state"], "completed", r.describe())
        return j

    def inbox_ids(self, who):
        r = self.cl(who).get("/api/tasks")
        self.assertEqual(r.status, 200, r.describe())
        return [t["id"] for t in r.json()["items"]]

    def upload_doc(self, who, meeting_id, stage, type, classification=None, title=None):
        extra = {}
        if classification:
            extra["classification"] = classification
        if title:
            extra["title"] = title
        data = pdf_bytes()
        r = self.cl(who).upload(meeting_id, data, filename="%s-%s.pdf" % (stage, type),
                                stage=stage, type=type, extra=extra)
        self.assertEqual(r.status, 201, r.describe())
        d = r.json()
        d["_sha256"] = sha256_hex(data)
        return d

    def audit_rows(self):
        """Every audit entry as a dict (seq, at, actor, action, object_type, object_id, detail)."""
        rows = self.data.query("SELECT seq, at, actor, action, object_type, object_id, detail "
                               "FROM audit_log ORDER BY seq")
        return [dict(zip(("seq", "at", "actor", "action", "object_type", "object_id", "detail"),
                         r)) for r in rows]

    def assertAuditVerifies(self):
        r = self.data.cli("audit", "verify")
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertIn("audit chain ok", r.stdout, r.describe())

    # The official of the seed cast who performs each step by default.
    STEP_PERFORMER = {1: "persidangan", 2: "kasubbag", 3: "karo", 4: "kabag", 5: "kasubbag",
                      6: "persidangan", 7: "naskah", 8: "kabag", 9: "karo"}

    def default_body(self, task):
        """A valid completion body for TASK (as GET /api/tasks/{id} returns it, with its
        context): ticks what is present, answers "ya", grants nothing, confirms everything."""
        body = {}
        ctx = task.get("context") or {}
        for action in task["actions"]:
            if action == "compile":
                body["note"] = "Dokumen dihimpun."
            elif action == "check":
                body["ticked"] = [{"stage": i["stage"], "type": t} for i in ctx["checklist"]
                                  for t in i["required"] if t in i["present"]]
            elif action == "decide":
                body["answer"] = "ya"
                body["reason"] = "Disetujui."
            elif action == "dispose":
                body["instruction"] = "Mohon ditindaklanjuti."
            elif action == "publish":
                body["grants"] = []
            elif action == "report":
                body["text"] = "Telah selesai."
            elif action == "verify":
                body["documents"] = [{"id": d["id"], "result": "confirmed", "note": ""}
                                     for d in ctx["documents"]]
        return body

    def walk_to(self, meeting_id, step, performers=None):
        """Completes the case's steps until STEP is the available one (default bodies; the
        dossier must already hold what the steps need). PERFORMERS overrides STEP_PERFORMER."""
        who = dict(self.STEP_PERFORMER)
        who.update(performers or {})
        for _ in range(20):
            case = self.get_case(meeting_id)
            self.assertEqual(case["state"], "open", "case closed before step %d" % step)
            if case["current_steps"] == [step]:
                return case
            cur = case["current_steps"][0]
            task = self.available_task(meeting_id, cur)
            full = self.open_task(task["id"], who[cur])
            self.complete_ok(task["id"], who[cur], self.default_body(full))
        self.fail("did not reach step %d" % step)

    def assertUserRef(self, ref, name):
        self.assertIsInstance(ref, dict, "expected a USERREF of %s, got %r" % (name, ref))
        self.assertEqual(ref.get("username"), name, ref)
        self.assertEqual(ref.get("id"), self.people.ids[name], ref)
        self.assertIn("display_name", ref)


def main():
    """unittest.main that prints the servers' logs when something failed, and sets the exit
    status (non-zero on any failure or error)."""
    prog = unittest.main(exit=False, verbosity=2, buffer=False)
    ok = prog.result.wasSuccessful()
    if not ok:
        sys.stderr.write("\nbinary: %s\n" % BIN)
        for s in _all_servers:
            s._collect_log()
            if s.log_text.strip():
                sys.stderr.write("\n--- stderr of serve %s (tail) ---\n%s\n"
                                 % (" ".join(s.args), s.log_text[-1500:]))
    sys.exit(0 if ok else 1)
