"""OCR (the job kind ocr, src/jobs/kind_ocr.c): a scanned multi-page PDF made here (text set in a
PDF by mutool, rendered to 300 dpi grey images, the images put back into a PDF) becomes searchable
by the words on its pages, and gets a searchable PDF (the original's pages with an invisible text
layer) beside the untouched original; a mixed PDF is OCR'd only where it has no text; a PNG and a
two-page TIFF likewise; a damaged TIFF fails with a readable reason, the original downloadable;
the derived file is only for those who may read the document."""

import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_text import TextCase, make_pdf, text_page  # noqa: E402

MUTOOL = shutil.which("mutool")
OCR_TIMEOUT = 180.0


def word():
    """A made-up word OCR reads reliably (lowercase consonant-vowel syllables) and no other
    document of the run contains."""
    rnd = random.SystemRandom()
    return "".join(rnd.choice("bdgklmnprstz") + rnd.choice("aiu") for _ in range(5))


def mutool(*args, cwd):
    p = subprocess.run(["mutool", *args], cwd=cwd, capture_output=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("mutool %s: %s" % (" ".join(args), p.stderr.decode(errors="replace")))
    return p.stdout


class Scans:
    """Scanned pages made with mutool in a temporary directory."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="sidang-ocr-")

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def born_digital(self, pages, name="born.pdf"):
        """A born-digital PDF: page I has the lines PAGES[I], in Times 16 pt."""
        files = []
        for i, lines in enumerate(pages):
            body = "%%MediaBox 0 0 595 842\n%%Font F1 Times-Roman\n"
            y = 760
            for line in lines:
                body += "BT /F1 16 Tf 72 %d Td (%s) Tj ET\n" % (y, line)
                y -= 28
            f = "page%d.txt" % i
            with open(self.path(f), "w") as out:
                out.write(body)
            files.append(f)
        mutool("create", "-o", name, *files, cwd=self.dir)
        return name

    def pngs(self, pdf, prefix="p"):
        """The pages of PDF as 300 dpi grey PNGs; their names."""
        for f in os.listdir(self.dir):
            if f.startswith(prefix) and f.endswith(".png"):
                os.remove(self.path(f))
        mutool("draw", "-q", "-r", "300", "-c", "gray", "-o", prefix + "%d.png", pdf, cwd=self.dir)
        return sorted((f for f in os.listdir(self.dir) if f.startswith(prefix) and f.endswith(".png")),
                      key=lambda f: int(f[len(prefix):-4]))

    def scanned_pdf(self, pages):
        """A PDF of images only: PAGES set, rendered at 300 dpi, put back into a PDF."""
        pngs = self.pngs(self.born_digital(pages))
        mutool("convert", "-O", "compress", "-o", "scan.pdf", *pngs, cwd=self.dir)
        with open(self.path("scan.pdf"), "rb") as f:
            return f.read()

    def tiff(self, pages):
        """A multi-page TIFF (8-bit grey, uncompressed, 300 dpi) of PAGES."""
        pdf = self.born_digital(pages)
        mutool("draw", "-q", "-r", "300", "-c", "gray", "-o", "t%d.pgm", pdf, cwd=self.dir)
        images = []
        for i in range(len(pages)):
            with open(self.path("t%d.pgm" % (i + 1)), "rb") as f:
                data = f.read()
            parts = data.split(b"\n", 3)  # P5, "W H", 255, pixels
            w, hgt = (int(x) for x in parts[1].split())
            images.append((w, hgt, parts[3][:w * hgt]))
        return tiff_bytes(images)

    def text_of(self, pdf_bytes):
        with open(self.path("out.pdf"), "wb") as f:
            f.write(pdf_bytes)
        return mutool("draw", "-q", "-F", "txt", "out.pdf", cwd=self.dir).decode()

    def page_count(self, pdf_bytes):
        with open(self.path("count.pdf"), "wb") as f:
            f.write(pdf_bytes)
        return mutool("show", "count.pdf", "trailer/Root/Pages/Count", cwd=self.dir).decode().strip()


def tiff_bytes(images):
    """A little-endian multi-page TIFF of (width, height, grey bytes) images at 300 dpi."""
    out = bytearray(b"II*\x00\x00\x00\x00\x00")
    first_ifd_at = 4
    prev_next_at = first_ifd_at
    for w, hgt, pixels in images:
        pix_at = len(out)
        out += pixels
        if len(out) % 2:
            out += b"\x00"
        res_at = len(out)
        out += struct.pack("<IIII", 300, 1, 300, 1)
        ifd_at = len(out)
        struct.pack_into("<I", out, prev_next_at, ifd_at)
        entries = [  # tag, type (3 SHORT, 4 LONG, 5 RATIONAL), count, value
            (256, 4, 1, w), (257, 4, 1, hgt), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
            (273, 4, 1, pix_at), (277, 3, 1, 1), (278, 4, 1, hgt), (279, 4, 1, len(pixels)),
            (282, 5, 1, res_at), (283, 5, 1, res_at + 8), (296, 3, 1, 2),
        ]
        out += struct.pack("<H", len(entries))
        for tag, typ, count, value in entries:
            if typ == 3:
                out += struct.pack("<HHIHH", tag, typ, count, value, 0)
            else:
                out += struct.pack("<HHII", tag, typ, count, value)
        prev_next_at = len(out)
        out += b"\x00\x00\x00\x00"
    return bytes(out)


@unittest.skipUnless(MUTOOL, "mutool (mupdf-tools) is needed to make the scans")
class OcrTests(TextCase):
    def setUp(self):
        super().setUp()
        self.scans = Scans()
        self.addCleanup(self.scans.close)

    def result(self, job):
        return h.json.loads(self.data.query("SELECT result FROM jobs WHERE id = ?",
                                            (job["id"],))[0][0])

    def wait_ocr(self, doc_id):
        j = self.wait_job(doc_id, "ocr", timeout=OCR_TIMEOUT)
        self.assertEqual(j["state"], "done", j)
        self.assertEqual(j["progress"], 100, j)
        return self.result(j)

    def derived(self, doc_id, kind="searchable_pdf"):
        r = self.c.get("/api/documents/%d/derived/%s" % (doc_id, kind))
        self.assertEqual(r.status, 200, r.describe())
        return r

    def test_scanned_pdf_becomes_searchable(self):
        w1, w2 = word(), word()
        data = self.scans.scanned_pdf([["Notulen rapat koordinasi perbatasan", "kata " + w1],
                                       ["Halaman kedua tentang anggaran", "kata " + w2]])
        d = self.upload_pdf(data, filename="pindaian.pdf")
        j = self.wait_job(d["id"], "extract_text")
        self.assertEqual(self.result(j), {"pages": 2, "needs_ocr": 2})
        res = self.wait_ocr(d["id"])
        self.assertEqual(res["ocr_pages"], 2, res)
        self.assertEqual(res["parts"], 1, "too few scanned pages to split: %r" % res)
        self.assertEqual(self.search_ids(w1), [d["id"]])
        self.assertEqual(self.search_ids(w2), [d["id"]])
        self.assertEqual(self.search_ids("perbatasan")[:0], [])  # a real word is indexed too
        self.assertIn(d["id"], self.search_ids("perbatasan"))
        # The searchable PDF: two pages, the words in its text layer, offered as its own file.
        r = self.derived(d["id"])
        self.assertEqual(r.header("Content-Type"), "application/pdf")
        self.assertIn("pindaian-ocr.pdf", r.header("Content-Disposition"))
        self.assertEqual(res["searchable_pdf"]["size"], len(r.body))
        self.assertEqual(self.scans.page_count(r.body), "2")
        text = self.scans.text_of(r.body)
        self.assertIn(w1, text)
        self.assertIn(w2, text)
        # The original is untouched, and the document says what was derived from it.
        r = self.c.get("/api/documents/%d/content" % d["id"])
        self.assertEqual(r.body, data)
        doc = self.c.get("/api/documents/%d" % d["id"]).json()
        self.assertIn("searchable_pdf", doc["current_version"]["derived"])

    def test_mixed_pdf_is_read_only_where_scanned(self):
        typed, scanned = word(), word()
        self.scans.born_digital([["Halaman ketikan dengan kata " + typed]], name="typed.pdf")
        scan = self.scans.scanned_pdf([["Halaman pindaian dengan kata " + scanned]])
        with open(self.scans.path("scan.pdf"), "wb") as f:
            f.write(scan)
        mutool("merge", "-o", "mixed.pdf", "typed.pdf", "scan.pdf", cwd=self.scans.dir)
        with open(self.scans.path("mixed.pdf"), "rb") as f:
            data = f.read()
        d = self.upload_pdf(data)
        self.assertEqual(self.result(self.wait_job(d["id"], "extract_text")),
                         {"pages": 2, "needs_ocr": 1})
        self.assertEqual(self.wait_ocr(d["id"])["ocr_pages"], 1)
        self.assertEqual(self.search_ids(typed), [d["id"]])
        self.assertEqual(self.search_ids(scanned), [d["id"]])
        text = self.scans.text_of(self.derived(d["id"]).body)
        self.assertIn(typed, text)
        self.assertIn(scanned, text)
        self.assertEqual(text.count(typed), 1, "the typed page is not OCR'd again")

    def test_rotated_page_gets_its_text_where_shown(self):
        """A scanner that stores a page sideways and sets /Rotate: the text layer must lie over
        the words as the page is shown (through the inverse of the page transform)."""
        w = word()
        born = self.scans.born_digital([["Halaman diputar dengan kata " + w]])
        mutool("draw", "-q", "-R", "90", "-r", "300", "-c", "gray", "-o", "rot.png", born,
               cwd=self.scans.dir)
        mutool("convert", "-O", "compress", "-o", "rot0.pdf", "rot.png", cwd=self.scans.dir)
        with open(self.scans.path("rot.js"), "w") as f:
            f.write('var doc = new PDFDocument("rot0.pdf");\n'
                    'doc.findPage(0).Rotate = 270;\n'
                    'doc.save("rot.pdf");\n')
        mutool("run", "rot.js", cwd=self.scans.dir)
        with open(self.scans.path("rot.pdf"), "rb") as f:
            d = self.upload_pdf(f.read())
        self.wait_ocr(d["id"])
        self.assertEqual(self.search_ids(w), [d["id"]])
        with open(self.scans.path("out.pdf"), "wb") as f:
            f.write(self.derived(d["id"]).body)
        stext = mutool("draw", "-q", "-F", "stext", "-o", "-", "out.pdf",
                       cwd=self.scans.dir).decode()
        m = h.re.search(r'<line bbox="([-0-9.]+) ([-0-9.]+) ', stext)
        self.assertIsNotNone(m, stext[:500])
        x0, y0 = float(m.group(1)), float(m.group(2))
        # The line was set at x 72, baseline 760 of 842 (16 pt): top about 68 from the top.
        self.assertTrue(60 <= x0 <= 85 and 55 <= y0 <= 85, (x0, y0))

    def test_png_is_read(self):
        w = word()
        pngs = self.scans.pngs(self.scans.born_digital([["Foto dokumen dengan kata " + w]]))
        with open(self.scans.path(pngs[0]), "rb") as f:
            data = f.read()
        d = self.upload_ok(self.c, self.m["id"], data, filename="foto.png")
        self.assertEqual(d["current_version"]["mime"], "image/png")
        self.assertEqual(self.wait_ocr(d["id"])["ocr_pages"], 1)
        self.assertEqual(self.search_ids(w), [d["id"]])
        body = self.derived(d["id"]).body
        self.assertEqual(self.scans.page_count(body), "1")
        self.assertIn(w, self.scans.text_of(body))

    def test_multipage_tiff_is_read(self):
        w1, w2 = word(), word()
        data = self.scans.tiff([["Lembar pertama " + w1], ["Lembar kedua " + w2]])
        d = self.upload_ok(self.c, self.m["id"], data, filename="faks.tif")
        self.assertEqual(d["current_version"]["mime"], "image/tiff")
        self.assertEqual(self.wait_ocr(d["id"])["ocr_pages"], 2)
        self.assertEqual(self.search_ids(w1), [d["id"]])
        self.assertEqual(self.search_ids(w2), [d["id"]])
        body = self.derived(d["id"]).body
        self.assertEqual(self.scans.page_count(body), "2")

    def test_damaged_tiff_fails_with_a_reason(self):
        data = self.scans.tiff([["Lembar rusak"]])
        data = data[:len(data) // 3]  # the pixels and the directory are cut off
        d = self.upload_ok(self.c, self.m["id"], data, filename="rusak.tif")
        j = self.wait_job(d["id"], "ocr", timeout=OCR_TIMEOUT)
        self.assertEqual(j["state"], "failed", j)
        self.assertRegex(j["error"], r"^damaged file")
        self.assertEqual(j["attempts"], 1, "bad input is not retried: %r" % j)
        r = self.c.get("/api/documents/%d/content" % d["id"])
        self.assertEqual(r.body, data, "the original stays downloadable")
        r = self.c.get("/api/documents/%d/derived/searchable_pdf" % d["id"])
        self.assertEqual(r.status, 404, r.describe())

    def test_derived_file_only_for_readers(self):
        data = self.scans.scanned_pdf([["Rahasia " + word()]])
        d = self.upload_pdf(data)
        self.wait_ocr(d["id"])
        self.derived(d["id"])
        for kind in ("nothing", "..", "thumbnails"):
            r = self.c.get("/api/documents/%d/derived/%s" % (d["id"], kind))
            self.assertEqual(r.status, 404, r.describe())
        # A PIC who was granted nothing sees the derived file exactly as a missing document.
        pic = self.data.add_user(roles=("reader",), clearance="rahasia")
        other = self.login(self.server, pic)
        r1 = other.get("/api/documents/%d/derived/searchable_pdf" % d["id"])
        r2 = other.get("/api/documents/999999/derived/searchable_pdf")
        self.assertEqual((r1.status, r1.json()), (r2.status, r2.json()))
        self.assertEqual(r1.status, 404)


@unittest.skipUnless(MUTOOL, "mutool (mupdf-tools) is needed to make the scans")
class OcrPartsTests(TextCase):
    """A long scan read by several children at once (SIDANG_OCR_PARTS forces the number this
    machine's cores would choose), their text layers laid over the original by one more."""

    @classmethod
    def setUpClass(cls):
        h.SidangTestCase.setUpClass.__func__(cls)
        cls.data, cls.server = cls.class_server(args=("--workers", "1"),
                                                env={"SIDANG_OCR_PARTS": "3"})
        cls.user = cls.data.add_user(roles=("pengelola_naskah",), clearance="sangat_rahasia")

    def setUp(self):
        super().setUp()
        self.scans = Scans()
        self.addCleanup(self.scans.close)

    def test_long_scan_in_parts(self):
        words = [word() for _ in range(7)]
        typed = word()
        # Page 4 is typed (no OCR); the other seven are scans, split over three children.
        scan = self.scans.scanned_pdf([["Halaman pindaian kata " + w] for w in words])
        with open(self.scans.path("scan.pdf"), "wb") as f:
            f.write(scan)
        self.scans.born_digital([["Halaman ketikan kata " + typed]], name="typed.pdf")
        mutool("merge", "-o", "long.pdf", "scan.pdf", "1-3", "typed.pdf", "scan.pdf", "4-7",
               cwd=self.scans.dir)
        with open(self.scans.path("long.pdf"), "rb") as f:
            data = f.read()
        d = self.upload_ok(self.c, self.m["id"], data, filename="panjang.pdf")
        j = self.wait_job(d["id"], "ocr", timeout=OCR_TIMEOUT)
        self.assertEqual(j["state"], "done", j)
        res = h.json.loads(self.data.query("SELECT result FROM jobs WHERE id = ?",
                                           (j["id"],))[0][0])
        self.assertEqual((res["ocr_pages"], res["parts"]), (7, 3), res)
        for w in words + [typed]:
            self.assertEqual(self.search_ids(w), [d["id"]], w)
        r = self.c.get("/api/documents/%d/derived/searchable_pdf" % d["id"])
        self.assertEqual(r.status, 200, r.describe())
        with open(self.scans.path("out.pdf"), "wb") as f:
            f.write(r.body)
        self.assertEqual(self.scans.page_count(r.body), "8")
        # Each word on its own page: the parts' layers went over the right pages.
        expected = words[:3] + [typed] + words[3:]
        for i, w in enumerate(expected):
            text = mutool("draw", "-q", "-F", "txt", "out.pdf", str(i + 1),
                          cwd=self.scans.dir).decode()
            self.assertIn(w, text, "page %d" % (i + 1))
            self.assertEqual(text.count(w), 1, "page %d once" % (i + 1))


if __name__ == "__main__":
    h.main()
