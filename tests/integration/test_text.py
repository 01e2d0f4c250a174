"""Text extraction (extract_text, src/jobs/kind_text.c): a born-digital PDF's words are found by
GET /api/search once a worker has read them; bad PDFs (cut short, encrypted, a page claiming
100000×100000 points, a decompression bomb) each end as a failed job with a readable reason while
the original stays downloadable; a scanned page is flagged as needing OCR; a file whose name lies
about its type is judged by its contents. The PDFs are written here (mutool encrypts one when it
is installed)."""

import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


def make_pdf(pages, extra=(), media=(612, 792)):
    """A valid PDF (with its cross-reference table) whose page I has content stream PAGES[I]
    (bytes); EXTRA: more objects (bytes, numbered after the pages), which the page resources may
    name as /F2 (a font) when given."""
    objs = []  # object bodies, numbered from 1
    n_pages = len(pages)
    # 1 catalog, 2 pages, 3 font, then per page: page, contents; then extra.
    first_page = 4
    first_extra = first_page + 2 * n_pages
    kids = " ".join("%d 0 R" % (first_page + 2 * i) for i in range(n_pages))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(("<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n_pages)).encode())
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    fonts = "/F1 3 0 R" + (" /F2 %d 0 R" % first_extra if extra else "")
    for i, content in enumerate(pages):
        objs.append(("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << "
                     "%s >> >> /Contents %d 0 R >>"
                     % (media[0], media[1], fonts, first_page + 2 * i + 1)).encode())
        objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objs.extend(extra)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % (i + 1) + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += (b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objs) + 1, xref))
    return bytes(out)


def text_page(*lines):
    body = b"BT /F1 14 Tf 72 720 Td 18 TL\n"
    for line in lines:
        body += b"(" + line.encode() + b") Tj T*\n"
    return body + b"ET"


def bomb_font(expanded):
    """A /FontFile2 stream of EXPANDED zero bytes, deflated (about 1000:1), used by font /F2."""
    z = zlib.compressobj(9)
    chunk = bytes(16 * 1024 * 1024)
    parts = []
    left = expanded
    while left > 0:
        parts.append(z.compress(chunk[:min(left, len(chunk))]))
        left -= len(chunk)
    parts.append(z.flush())
    data = b"".join(parts)
    descriptor_no = 4 + 2 + 1  # one page: font dict is first_extra (6), descriptor 7, file 8
    font = (b"<< /Type /Font /Subtype /TrueType /BaseFont /Bom /FirstChar 32 /LastChar 126 "
            b"/FontDescriptor %d 0 R >>" % descriptor_no)
    descriptor = (b"<< /Type /FontDescriptor /FontName /Bom /Flags 32 /FontBBox [0 0 1000 1000] "
                  b"/ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 "
                  b"/FontFile2 %d 0 R >>" % (descriptor_no + 1))
    stream = (b"<< /Length %d /Filter /FlateDecode /Length1 %d >>\nstream\n"
              % (len(data), expanded) + data + b"\nendstream")
    return [font, descriptor, stream]


class TextCase(h.SidangTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data, cls.server = cls.class_server(args=("--workers", "2"))
        cls.user = cls.data.add_user(roles=("pengelola_naskah",), clearance="sangat_rahasia")

    def setUp(self):
        super().setUp()
        self.c = self.login(self.server, self.user)
        self.m = self.create_meeting(self.c)

    def jobs(self, doc_id):
        r = self.c.get("/api/documents/%d/jobs" % doc_id)
        self.assertEqual(r.status, 200, r.describe())
        return r.json()["items"]

    def wait_job(self, doc_id, kind, timeout=60.0):
        deadline = h.time.monotonic() + timeout
        while True:
            for j in self.jobs(doc_id):
                if j["kind"] == kind and j["state"] in ("done", "failed"):
                    return j
            if h.time.monotonic() > deadline:
                self.fail("no finished %s job of document %d in %gs: %r"
                          % (kind, doc_id, timeout, self.jobs(doc_id)))
            h.time.sleep(0.1)

    def upload_pdf(self, data, filename="dokumen.pdf"):
        return self.upload_ok(self.c, self.m["id"], data, filename=filename)

    def search_ids(self, word):
        r = self.c.get("/api/search?" + urllib.parse.urlencode({"q": word}))
        self.assertEqual(r.status, 200, r.describe())
        return [it["document"]["id"] for it in r.json()["items"]]

    def assert_failed(self, data, reason, kind="extract_text", filename="dokumen.pdf"):
        d = self.upload_pdf(data, filename=filename)
        j = self.wait_job(d["id"], kind)
        self.assertEqual(j["state"], "failed", j)
        self.assertRegex(j["error"], reason)
        self.assertEqual(j["attempts"], 1, "bad input is not retried: %r" % j)
        r = self.c.get("/api/documents/%d/content" % d["id"])
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(r.body, data, "the original stays downloadable")
        return j


class ExtractTextTests(TextCase):
    def test_born_digital_pdf_is_searchable_per_page(self):
        one, two = h.unique_marker().decode(), h.unique_marker().decode()
        word1, word2 = "zq" + one.lower()[:10], "zq" + two.lower()[:10]
        data = make_pdf([text_page("Notulen rapat koordinasi", "kata kunci " + word1),
                         text_page("Halaman kedua dengan " + word2, "dan teks lain lagi")])
        d = self.upload_pdf(data)
        j = self.wait_job(d["id"], "extract_text")
        self.assertEqual(j["state"], "done", j)
        self.assertEqual(j["progress"], 100)
        result = self.data.query("SELECT result FROM jobs WHERE id = ?", (j["id"],))[0][0]
        self.assertEqual(h.json.loads(result), {"pages": 2, "needs_ocr": 0})
        self.assertEqual(self.search_ids(word1), [d["id"]])
        self.assertEqual(self.search_ids(word2), [d["id"]])
        self.assertEqual(self.search_ids("zqtidakadasama"), [])

    def test_page_without_text_needs_ocr(self):
        data = make_pdf([b"0.5 g 72 72 400 400 re f", text_page("Lembar berisi teks yang cukup")])
        d = self.upload_pdf(data)
        j = self.wait_job(d["id"], "extract_text")
        self.assertEqual(j["state"], "done", j)
        result = self.data.query("SELECT result FROM jobs WHERE id = ?", (j["id"],))[0][0]
        self.assertEqual(h.json.loads(result), {"pages": 2, "needs_ocr": 1})

    def test_pdf_header_only(self):
        self.assert_failed(b"%PDF-", r"^truncated or damaged PDF: no %%EOF marker")

    def test_truncated_pdf(self):
        data = make_pdf([text_page("Dokumen yang terpotong di tengah jalan")] * 3)
        self.assert_failed(data[:len(data) // 2], r"^truncated or damaged PDF")

    def test_damaged_pdf(self):
        self.assert_failed(h.pdf_bytes(), r"^truncated or damaged PDF: .+")

    def test_huge_page(self):
        data = make_pdf([text_page("Halaman raksasa")], media=(100000, 100000))
        self.assert_failed(data, r"^page too large: page 1 is 100000×100000 points \(at most "
                                 r"14400×14400\)$")

    def test_decompression_bomb(self):
        page = b"BT /F2 12 Tf 72 720 Td (Bom) Tj ET"
        data = make_pdf([page], extra=bomb_font(1024 * 1024 * 1024))
        self.assertLess(len(data), 4 * h.MiB)
        self.assert_failed(data, r"^the document needs more memory than allowed \(512 MiB; a "
                                 r"decompression bomb\?\)$")

    @h.unittest.skipUnless(shutil.which("mutool"), "mutool (mupdf-tools) is not installed")
    def test_encrypted_pdf(self):
        plain = make_pdf([text_page("Dokumen rahasia terkunci")])
        with tempfile.TemporaryDirectory() as tmp:
            src, dst = os.path.join(tmp, "in.pdf"), os.path.join(tmp, "out.pdf")
            with open(src, "wb") as f:
                f.write(plain)
            subprocess.run(["mutool", "clean", "-E", "aes-128", "-U", "sandi", "-O", "pemilik",
                            src, dst], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            with open(dst, "rb") as f:
                data = f.read()
        self.assert_failed(data, r"^encrypted PDF$")


class LyingNameTests(TextCase):
    def test_text_named_png_refused(self):
        r = self.c.upload(self.m["id"], b"bukan gambar, hanya teks biasa\n" * 4,
                          filename="foto.png")
        self.assertEqual(r.status, 415, r.describe())

    def test_pdf_named_png_is_read_as_pdf(self):
        word = "zq" + h.unique_marker().decode().lower()[:10]
        d = self.upload_pdf(make_pdf([text_page("Berkas bernama salah " + word)]),
                            filename="gambar.png")
        j = self.wait_job(d["id"], "extract_text")
        self.assertEqual(j["state"], "done", j)
        self.assertEqual(self.search_ids(word), [d["id"]])


if __name__ == "__main__":
    h.main()
