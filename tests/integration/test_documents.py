"""Documents: upload, download, versions, type allowlist, size limit, file names."""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from harness import KiB, MiB  # noqa: E402

PDF = "application/pdf"


def strip_etag(v):
    v = (v or "").strip()
    if v.startswith("W/"):
        v = v[2:]
    return v.strip('"')


class DocumentTests(h.SidangTestCase):
    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()
        cls.user = cls.data.add_user(roles=("pengelola_naskah",), clearance="sangat_rahasia")

    def setUp(self):
        self.c = self.login(self.server, self.user)
        self.m = self.create_meeting(self.c, classification="terbatas")

    def content(self, doc_id, query=""):
        return self.c.get("/api/documents/%d/content%s" % (doc_id, query))

    def check_document_shape(self, d):
        self.assertEqual(set(d) & h.DOCUMENT_KEYS, h.DOCUMENT_KEYS, d)
        self.assertEqual(set(d["current_version"]) & h.VERSION_KEYS, h.VERSION_KEYS, d)
        self.assertRegex(d["created_at"], h.ISO_TIME_RE)
        self.assertRegex(d["current_version"]["uploaded_at"], h.ISO_TIME_RE)

    # --- upload and download ----------------------------------------------------------------

    def test_upload_then_download_identical(self):
        data = h.pdf_bytes(300 * KiB)
        r = self.c.upload(self.m["id"], data, filename="undangan-rapat.pdf", stage="perencanaan",
                          type="undangan", extra={"title": "Undangan Rapat"})
        self.assertEqual(r.status, 201, r.describe())
        d = r.json()
        self.check_document_shape(d)
        self.assertEqual(d["meeting_id"], self.m["id"])
        self.assertEqual(d["stage"], "perencanaan")
        self.assertEqual(d["type"], "undangan")
        self.assertEqual(d["title"], "Undangan Rapat")
        self.assertEqual(d["source"], "born_digital")
        self.assertIsNone(d["alih_media"])
        self.assertEqual(d["state"], "internal")
        self.assertEqual(d["classification"], "terbatas", "default must be the meeting's")
        self.assertEqual(d["created_by"], self.user)
        v = d["current_version"]
        self.assertEqual(v["version"], 1)
        self.assertEqual(v["sha256"], h.sha256_hex(data))
        self.assertEqual(v["size"], len(data))
        self.assertEqual(v["mime"], PDF)
        self.assertEqual(v["filename"], "undangan-rapat.pdf")
        self.assertEqual(v["uploaded_by"], self.user)

        dl = self.content(d["id"])
        self.assertEqual(dl.status, 200, dl.describe())
        self.assertEqual(h.sha256_hex(dl.body), h.sha256_hex(data))
        self.assertEqual(dl.body, data)
        self.assertEqual(strip_etag(dl.header("ETag")), h.sha256_hex(data), dl.describe())
        self.assertEqual((dl.header("Content-Type") or "").split(";")[0].strip(), PDF)
        self.assertEqual(dl.header("X-Content-Type-Options"), "nosniff")
        self.assertIn("sandbox", dl.header("Content-Security-Policy") or "", dl.describe())
        self.assertSafeDisposition(dl, "undangan-rapat.pdf")

        g = self.c.get("/api/documents/%d" % d["id"])
        self.assertEqual(g.status, 200, g.describe())
        gj = g.json()
        self.check_document_shape(gj)
        self.assertEqual([x["version"] for x in gj["versions"]], [1])

    def test_title_defaults_to_file_name(self):
        d = self.upload_ok(self.c, self.m["id"], filename="notulensi.pdf")
        self.assertEqual(d["title"], "notulensi.pdf")

    def test_content_type_from_content_not_name(self):
        data = h.pdf_bytes()
        fp = h.FilePart(data, "x.png", content_type="image/png")
        d = self.upload_ok(self.c, self.m["id"], data, file_part=fp)
        self.assertEqual(d["current_version"]["mime"], PDF)
        self.assertEqual(d["current_version"]["filename"], "x.png")
        dl = self.content(d["id"])
        self.assertEqual(dl.status, 200, dl.describe())
        self.assertEqual((dl.header("Content-Type") or "").split(";")[0].strip(), PDF)
        self.assertEqual(dl.header("X-Content-Type-Options"), "nosniff")
        self.assertEqual(dl.body, data)

    def test_allowed_types(self):
        for maker, mime, name in (
                (h.png_bytes, "image/png", "foto.png"),
                (h.jpeg_bytes, "image/jpeg", "foto.jpg"),
                (h.docx_bytes,
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "notulensi.docx"),
                (h.odt_bytes, "application/vnd.oasis.opendocument.text", "laporan.odt")):
            with self.subTest(mime=mime):
                data = maker()
                d = self.upload_ok(self.c, self.m["id"], data, filename=name)
                self.assertEqual(d["current_version"]["mime"], mime)
                dl = self.content(d["id"])
                self.assertEqual(dl.body, data)
                self.assertEqual((dl.header("Content-Type") or "").split(";")[0].strip(), mime)

    def test_inline_only_for_pdf_and_images(self):
        pdf = self.upload_ok(self.c, self.m["id"], filename="lihat.pdf")
        dl = self.content(pdf["id"], "?inline=1")
        self.assertEqual(dl.status, 200, dl.describe())
        self.assertSafeDisposition(dl, "lihat.pdf", disposition="inline")
        self.assertEqual(dl.header("X-Content-Type-Options"), "nosniff")
        png = self.upload_ok(self.c, self.m["id"], h.png_bytes(), filename="foto.png")
        dl = self.content(png["id"], "?inline=1")
        self.assertSafeDisposition(dl, "foto.png", disposition="inline")
        docx = self.upload_ok(self.c, self.m["id"], h.docx_bytes(), filename="n.docx")
        dl = self.content(docx["id"], "?inline=1")
        self.assertEqual(dl.status, 200, dl.describe())
        self.assertSafeDisposition(dl, "n.docx", disposition="attachment")

    def test_content_csp_sandbox_also_inline(self):
        # docs/api.md lists "Content-Security-Policy: sandbox" among the headers of
        # /content, without exception for inline=1.
        for data, name in ((h.pdf_bytes(), "lihat.pdf"), (h.png_bytes(), "foto.png")):
            d = self.upload_ok(self.c, self.m["id"], data, filename=name)
            for q in ("", "?inline=1"):
                with self.subTest(name=name, query=q):
                    dl = self.content(d["id"], q)
                    self.assertEqual(dl.status, 200, dl.describe())
                    csp = [p.strip() for p in (dl.header("Content-Security-Policy") or "")
                           .split(";")]
                    self.assertTrue(any(p.split(" ")[0] == "sandbox" for p in csp),
                                    "no sandbox directive: " + dl.describe())

    def test_new_version_keeps_old_bytes(self):
        v1 = h.pdf_bytes(50 * KiB)
        v2 = h.pdf_bytes(70 * KiB)
        d = self.upload_ok(self.c, self.m["id"], v1, filename="draf.pdf")
        r = self.c.upload_version(d["id"], v2, filename="draf-final.pdf")
        self.assertEqual(r.status, 201, r.describe())
        d2 = r.json()
        self.assertEqual(d2["id"], d["id"])
        self.assertEqual(d2["current_version"]["version"], 2)
        self.assertEqual(d2["current_version"]["sha256"], h.sha256_hex(v2))
        self.assertEqual(d2["current_version"]["filename"], "draf-final.pdf")

        g = self.c.get("/api/documents/%d" % d["id"]).json()
        self.assertEqual([x["version"] for x in g["versions"]], [2, 1], "newest first")
        self.assertEqual(g["versions"][1]["sha256"], h.sha256_hex(v1))

        cur = self.content(d["id"])
        self.assertEqual(cur.body, v2)
        self.assertEqual(strip_etag(cur.header("ETag")), h.sha256_hex(v2))
        old = self.content(d["id"], "?version=1")
        self.assertEqual(old.status, 200, old.describe())
        self.assertEqual(old.body, v1)
        self.assertEqual(strip_etag(old.header("ETag")), h.sha256_hex(v1))
        self.assertSafeDisposition(old, "draf.pdf")
        self.assertEqual(self.content(d["id"], "?version=2").body, v2)
        self.assertError(self.content(d["id"], "?version=3"), 404, "not_found")
        self.assertError(self.content(d["id"], "?version=0"), (400, 404))
        self.assertError(self.content(d["id"], "?version=abc"), (400, 404))

    def test_new_version_type_checked(self):
        d = self.upload_ok(self.c, self.m["id"])
        r = self.c.upload_version(d["id"], b"#!/bin/sh\nrm -rf /\n", filename="v2.pdf")
        self.assertError(r, 415, "unsupported_media_type")
        g = self.c.get("/api/documents/%d" % d["id"]).json()
        self.assertEqual(g["current_version"]["version"], 1)

    def test_version_of_missing_document_404(self):
        r = self.c.upload_version(987654321, h.pdf_bytes())
        self.assertError(r, 404, "not_found")

    def test_same_bytes_twice_two_documents(self):
        data = h.pdf_bytes()
        a = self.upload_ok(self.c, self.m["id"], data, filename="a.pdf")
        b = self.upload_ok(self.c, self.m["id"], data, filename="b.pdf")
        self.assertNotEqual(a["id"], b["id"])
        self.assertEqual(self.content(a["id"]).body, data)
        self.assertEqual(self.content(b["id"]).body, data)
        self.assertSafeDisposition(self.content(b["id"]), "b.pdf")

    def test_list_documents_of_meeting(self):
        a = self.upload_ok(self.c, self.m["id"], stage="perencanaan", type="undangan")
        b = self.upload_ok(self.c, self.m["id"], stage="pelaksanaan", type="notulensi")
        r = self.c.get("/api/meetings/%d/documents" % self.m["id"])
        self.assertEqual(r.status, 200, r.describe())
        items = r.json()["items"]
        self.assertEqual(sorted(d["id"] for d in items), sorted([a["id"], b["id"]]))
        for d in items:
            self.check_document_shape(d)
        r = self.c.get("/api/meetings/%d/documents?stage=pelaksanaan" % self.m["id"])
        self.assertEqual([d["id"] for d in r.json()["items"]], [b["id"]])
        self.assertError(self.c.get("/api/meetings/%d/documents?stage=rapat" % self.m["id"]),
                         400)
        self.assertEqual(self.c.get("/api/meetings/%d" % self.m["id"]).json()["document_count"],
                         2)

    def test_documents_of_missing_meeting_404(self):
        self.assertError(self.c.get("/api/meetings/987654321/documents"), 404, "not_found")
        r = self.c.upload(987654321, h.pdf_bytes())
        self.assertError(r, 404, "not_found")

    def test_missing_document_404(self):
        self.assertError(self.c.get("/api/documents/987654321"), 404, "not_found")
        self.assertError(self.content(987654321), 404, "not_found")

    def test_explicit_classification(self):
        d = self.upload_ok(self.c, self.m["id"], extra={"classification": "rahasia"})
        self.assertEqual(d["classification"], "rahasia")
        r = self.c.upload(self.m["id"], h.pdf_bytes(), extra={"classification": "super"})
        self.assertError(r, 400, "validation_failed", "classification")

    def test_scan_with_alih_media(self):
        d = self.upload_ok(self.c, self.m["id"], source="scan", extra={
            "scanned_by": "Budi Santoso", "scanned_at": "2026-11-20T09:30",
            "scan_device": "Fujitsu fi-7160", "scan_pages": "12"})
        self.assertEqual(d["source"], "scan")
        am = d["alih_media"]
        self.assertIsInstance(am, dict, d)
        self.assertEqual(am["scanned_by"], "Budi Santoso")
        self.assertTrue(am["scanned_at"].startswith("2026-11-20"), am)
        self.assertEqual(am["device"], "Fujitsu fi-7160")
        self.assertEqual(am["pages"], 12)
        d = self.upload_ok(self.c, self.m["id"], source="scan", extra={
            "scanned_at": "2026-11-20", "scan_device": "Canon", "scan_pages": "1"})
        self.assertEqual(d["alih_media"]["scanned_by"], self.user,
                         "scanned_by defaults to the uploader's name")

    # --- upload validation ------------------------------------------------------------------

    def refused(self, status, code=None, field=None, **kw):
        before, blobs = self.data.counts(), self.data.blob_files()
        r = self.c.upload(self.m["id"], kw.pop("data", None) or h.pdf_bytes(), **kw)
        self.assertError(r, status, code, field)
        self.assertNothingStored(self.data, before, blobs, "by a refused upload")
        return r

    def test_missing_required_parts_400(self):
        for part in ("stage", "type", "source"):
            with self.subTest(missing=part):
                self.refused(400, "validation_failed", part, omit=(part,))
        with self.subTest(missing="file"):
            self.refused(400, None, None, omit=("file",))

    def test_bad_part_values_400(self):
        cases = [({"stage": "rapat"}, "stage"), ({"type": "Undangan!"}, "type"),
                 ({"type": "x" * 65}, "type"), ({"type": ""}, "type"),
                 ({"type": "../etc"}, "type"), ({"source": "fax"}, "source"),
                 ({"stage": ""}, "stage")]
        for over, field in cases:
            with self.subTest(over=over):
                self.refused(400, "validation_failed", field, **over)
        with self.subTest(title="501 bytes"):
            self.refused(400, "validation_failed", "title", extra={"title": "t" * 501})

    def test_scan_without_alih_media_400(self):
        self.refused(400, "validation_failed", None, source="scan")
        full = {"scanned_at": "2026-11-20", "scan_device": "Canon", "scan_pages": "3"}
        for missing in full:
            with self.subTest(missing=missing):
                extra = {k: v for k, v in full.items() if k != missing}
                self.refused(400, "validation_failed", missing, source="scan", extra=extra)

    def test_scan_bad_alih_media_400(self):
        full = {"scanned_at": "2026-11-20", "scan_device": "Canon", "scan_pages": "3"}
        for field, bad in (("scan_pages", "0"), ("scan_pages", "100001"), ("scan_pages", "abc"),
                           ("scan_pages", "-5"), ("scan_pages", "3.5"),
                           ("scanned_at", "kemarin"), ("scanned_at", "2026-02-30"),
                           ("scan_device", "d" * 201), ("scanned_by", "b" * 201)):
            with self.subTest(field=field, value=bad[:20]):
                extra = dict(full)
                extra[field] = bad
                self.refused(400, "validation_failed", field, source="scan", extra=extra)

    def test_alih_media_on_born_digital_400(self):
        for field, value in (("scanned_by", "Budi"), ("scanned_at", "2026-11-20"),
                             ("scan_device", "Canon"), ("scan_pages", "3")):
            with self.subTest(field=field):
                self.refused(400, "validation_failed", field, source="born_digital",
                             extra={field: value})

    def test_unknown_part_400(self):
        self.refused(400, None, None, extra={"uploaded_by": "karo"})

    def test_two_files_400(self):
        before, blobs = self.data.counts(), self.data.blob_files()
        ctype, body = h.multipart([("stage", "perencanaan"), ("type", "undangan"),
                                   ("source", "born_digital")],
                                  [h.FilePart(h.pdf_bytes(), "satu.pdf"),
                                   h.FilePart(h.pdf_bytes(), "dua.pdf")])
        r = self.c.raw("POST", "/api/meetings/%d/documents" % self.m["id"], body,
                       {"Content-Type": ctype})
        self.assertError(r, 400)
        self.assertNothingStored(self.data, before, blobs, "by an upload with two files")

    def test_not_multipart_400_or_415(self):
        r = self.c.raw("POST", "/api/meetings/%d/documents" % self.m["id"], h.pdf_bytes(),
                       {"Content-Type": "application/pdf"})
        self.assertError(r, (400, 415))
        r = self.c.raw("POST", "/api/meetings/%d/documents" % self.m["id"], b"--x--\r\n",
                       {"Content-Type": "multipart/form-data"})  # no boundary
        self.assertError(r, (400, 415))

    def test_truncated_multipart_400(self):
        before, blobs = self.data.counts(), self.data.blob_files()
        ctype, body = h.multipart([("stage", "perencanaan"), ("type", "undangan"),
                                   ("source", "born_digital")],
                                  h.FilePart(h.pdf_bytes(200 * KiB), "potong.pdf"))
        body = body[:-200]  # no closing boundary: the file never ends
        r = self.c.raw("POST", "/api/meetings/%d/documents" % self.m["id"], body,
                       {"Content-Type": ctype})
        self.assertError(r, 400)
        self.assertNothingStored(self.data, before, blobs, "by a truncated upload")

    def test_fields_after_file(self):
        d = self.upload_ok(self.c, self.m["id"], fields_after_file=True,
                           extra={"title": "Urutan bebas"})
        self.assertEqual(d["title"], "Urutan bebas")

    def test_disallowed_types_415(self):
        samples = [
            ("shell script", b"#!/bin/sh\necho pwned > /tmp/x\n" + h.unique_marker(), "run.sh"),
            ("ELF executable", h.elf_bytes(), "laporan.pdf"),
            ("plain text", b"Ini hanya teks biasa.\n" + h.unique_marker(), "catatan.txt"),
            ("HTML", b"<!DOCTYPE html><html><head><title>x</title></head><body><script>"
                     b"alert(document.cookie)</script>" + h.unique_marker() + b"</body></html>\n",
             "laporan.html"),
            ("SVG", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>'
                    b"alert(1)</script><!--" + h.unique_marker() + b"--></svg>\n", "gambar.svg"),
            ("plain zip", h.zip_bytes(), "arsip.docx"),
            ("empty file", b"", "kosong.pdf"),
        ]
        for what, data, name in samples:
            for declared in ("application/octet-stream", "application/pdf"):
                with self.subTest(what=what, declared=declared):
                    before, blobs = self.data.counts(), self.data.blob_files()
                    fp = h.FilePart(data, name, content_type=declared)
                    r = self.c.upload(self.m["id"], data, file_part=fp)
                    if what == "empty file":
                        self.assertError(r, (400, 415))
                    else:
                        self.assertError(r, 415, "unsupported_media_type")
                    self.assertNothingStored(self.data, before, blobs, "by a %s" % what)

    # --- file names -------------------------------------------------------------------------

    def upload_named(self, file_part, expect_201=True):
        r = self.c.upload(self.m["id"], file_part.data, file_part=file_part)
        if expect_201:
            self.assertEqual(r.status, 201, r.describe())
        return r

    def check_name_roundtrip(self, doc, original):
        name = doc["current_version"]["filename"]
        self.assertSafeStoredName(name, original)
        g = self.c.get("/api/documents/%d" % doc["id"]).json()
        self.assertEqual(g["current_version"]["filename"], name)
        dl = self.content(doc["id"])
        self.assertEqual(dl.status, 200, dl.describe())
        self.assertSafeDisposition(dl, name)
        return name

    def test_hostile_file_names_sanitized(self):
        names = ["../../etc/passwd", "..", "laporan \"rahasia\".pdf", "baris\nbaru.pdf",
                 "laporan\u202Efdp.exe", "a\r\nX-Injected: 1\r\n.pdf", "/absolute/path.pdf",
                 "tab\there\x01\x1b[31m.pdf", "ok;filename=evil.exe.pdf",
                 "filename*=UTF-8''evil.exe", "%2e%2e%2fetc%2fpasswd.pdf"]
        for name in names:
            with self.subTest(name=name):
                fp = h.FilePart(h.pdf_bytes(), name)  # as a browser sends it
                d = self.upload_named(fp).json()
                stored = self.check_name_roundtrip(d, name)
                if name == "laporan\u202Efdp.exe":
                    self.assertIn("laporan", stored)

    def test_hostile_names_raw_bytes(self):
        """Names a browser would not send but an attacker can: raw quotes, raw CR/LF, NUL,
        invalid UTF-8. Either refused (400) or stored sanitized; the server survives."""
        for raw in (b'say "hi".pdf', b"a\r\nX-Injected: 1\r\n.pdf", b"nul\x00byte.pdf",
                    b"bad\xff\xfeutf8.pdf", b"lf\nonly.pdf", b"\xe2\x80\xaeexe.pdf"):
            with self.subTest(raw=raw):
                before, blobs = self.data.counts(), self.data.blob_files()
                fp = h.FilePart(h.pdf_bytes(), raw, mode="raw")
                r = self.upload_named(fp, expect_201=False)
                self.assertIn(r.status, (201, 400), r.describe())
                if r.status == 201:
                    self.check_name_roundtrip(r.json(), raw)
                else:
                    self.assertError(r, 400)
                    self.assertNothingStored(self.data, before, blobs, "by a refused upload")
        self.assertEqual(h.Client(self.server).get("/api/health").status, 200)

    def test_quoted_string_escapes(self):
        fp = h.FilePart(h.pdf_bytes(), 'kata "kunci" \\ miring.pdf', mode="quoted")
        r = self.upload_named(fp, expect_201=False)
        self.assertIn(r.status, (201, 400), r.describe())
        if r.status == 201:
            self.check_name_roundtrip(r.json(), fp.filename)

    def test_rfc5987_filename_star(self):
        evil = "../../etc/passwd\r\nX-Injected: 1\r\n\u202Efdp.exe\x1b\x7f\"'\u0085.pdf"
        for fallback, evil in ((None, evil), ("cadangan.pdf", evil), (None, evil + "\x00")):
            with self.subTest(fallback=fallback, name=evil):
                fp = h.FilePart(h.pdf_bytes(), evil, mode="rfc5987", fallback=fallback)
                r = self.upload_named(fp, expect_201=False)
                self.assertIn(r.status, (201, 400), r.describe())
                if r.status == 201:
                    self.check_name_roundtrip(r.json(), evil)
                else:
                    self.assertError(r, 400)
        # a benign RFC 5987 name, if filename* is honoured, arrives exactly
        fp = h.FilePart(h.pdf_bytes(), "Notulensi — final.pdf", mode="rfc5987",
                        fallback="Notulensi - final.pdf")
        r = self.upload_named(fp, expect_201=False)
        self.assertIn(r.status, (201, 400), r.describe())
        if r.status == 201:
            self.assertIn(r.json()["current_version"]["filename"],
                          ("Notulensi — final.pdf", "Notulensi - final.pdf"))

    def test_other_bidi_and_c1_controls_removed(self):
        name = "a\u2067b\u2066c\u202Ad\u202Be\u202Cf\u202Dg\u2068h\u2069i\u0085j\u009bk.pdf"
        d = self.upload_named(h.FilePart(h.pdf_bytes(), name)).json()
        self.check_name_roundtrip(d, name)

    def test_backslash_path_reduced(self):
        # Old browsers (IE) sent the whole Windows path; a serious system keeps no separator.
        name = "C:\\Users\\budi\\..\\..\\Windows\\evil.pdf"
        d = self.upload_named(h.FilePart(h.pdf_bytes(), name)).json()
        stored = self.check_name_roundtrip(d, name)
        self.assertNotIn("\\", stored)

    def test_benign_unicode_name_kept_exactly(self):
        name = "Notulensi Rapat Koordinasi — 24 Nov 2026 (final) ✓ 会议.pdf"
        d = self.upload_named(h.FilePart(h.pdf_bytes(), name)).json()
        self.assertEqual(d["current_version"]["filename"], name)
        self.check_name_roundtrip(d, name)

    def test_file_name_limit_255_bytes(self):
        ok = "n" * 251 + ".pdf"  # 255 bytes
        d = self.upload_named(h.FilePart(h.pdf_bytes(), ok)).json()
        self.assertEqual(d["current_version"]["filename"], ok)
        before, blobs = self.data.counts(), self.data.blob_files()
        r = self.c.upload(self.m["id"], h.pdf_bytes(), filename="n" * 252 + ".pdf")  # 256 bytes
        self.assertError(r, 400, "validation_failed")
        self.assertNothingStored(self.data, before, blobs, "by a too-long file name")


class OversizeTests(h.SidangTestCase):
    LIMIT = 1048576

    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server(["--max-upload", str(cls.LIMIT)])
        cls.user = cls.data.add_user(roles=("pengelola_persidangan",))

    def setUp(self):
        self.c = self.login(self.server, self.user)
        self.m = self.create_meeting(self.c)

    def test_meta_reports_limit(self):
        j = h.Client(self.server).get("/api/meta").json()
        self.assertEqual(j["limits"]["upload_bytes"], self.LIMIT)

    def test_2mib_upload_413_nothing_stored(self):
        before, blobs = self.data.counts(), self.data.blob_files()
        r = self.c.upload(self.m["id"], h.pdf_bytes(2 * MiB), filename="besar.pdf")
        self.assertError(r, 413, "payload_too_large")
        self.assertNothingStored(self.data, before, blobs, "by an oversize upload")
        self.assertEqual(h.Client(self.server).get("/api/health").status, 200)
        self.upload_ok(self.c, self.m["id"], h.pdf_bytes(10 * KiB))

    def test_2mib_chunked_upload_413(self):
        # No Content-Length: the cap must hold on the bytes actually received.
        before, blobs = self.data.counts(), self.data.blob_files()
        r = self.c.upload(self.m["id"], h.pdf_bytes(2 * MiB), filename="besar.pdf",
                          chunked=True)
        self.assertError(r, 413, "payload_too_large")
        self.assertNothingStored(self.data, before, blobs, "by an oversize chunked upload")

    def test_limit_is_inclusive(self):
        # The limit is on the file (src/limits.h: "an uploaded file"): LIMIT bytes pass,
        # LIMIT + 1 do not.
        d = self.upload_ok(self.c, self.m["id"], h.pdf_bytes(self.LIMIT))
        self.assertEqual(d["current_version"]["size"], self.LIMIT)
        before, blobs = self.data.counts(), self.data.blob_files()
        r = self.c.upload(self.m["id"], h.pdf_bytes(self.LIMIT + 1))
        self.assertError(r, 413, "payload_too_large")
        self.assertNothingStored(self.data, before, blobs, "by a LIMIT+1 upload")

    def test_oversize_new_version_413(self):
        d = self.upload_ok(self.c, self.m["id"])
        before, blobs = self.data.counts(), self.data.blob_files()
        r = self.c.upload_version(d["id"], h.pdf_bytes(2 * MiB))
        self.assertError(r, 413, "payload_too_large")
        self.assertNothingStored(self.data, before, blobs, "by an oversize version")


if __name__ == "__main__":
    h.main()
