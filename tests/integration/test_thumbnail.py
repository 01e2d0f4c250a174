"""Thumbnails (the job kind thumbnail, src/jobs/kind_thumb.c): a PDF's first page and a PNG, a
JPEG and a TIFF become a PNG at most 240 pixels wide and 400 tall, served at
/api/documents/{id}/derived/thumbnail to those who may read the document (404 for anyone else,
exactly as for a missing document) and not put on the audit trail; a damaged file fails with a
readable reason while the original stays downloadable."""

import os
import struct
import sys
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_ocr import tiff_bytes  # noqa: E402
from test_text import TextCase, make_pdf, text_page  # noqa: E402


def png_size(data):
    """Width and height from a PNG's IHDR."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise AssertionError("not a PNG: %r" % data[:16])
    return struct.unpack(">II", data[16:24])


def make_png(w, hgt, grey=128):
    """A grey W×H PNG (8-bit greyscale)."""
    raw = b"".join(b"\x00" + bytes([grey]) * w for _ in range(hgt))

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, hgt, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class ThumbnailTests(TextCase):
    def thumbnail(self, doc_id):
        j = self.wait_job(doc_id, "thumbnail")
        self.assertEqual(j["state"], "done", j)
        r = self.c.get("/api/documents/%d/derived/thumbnail" % doc_id)
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(r.header("Content-Type"), "image/png")
        return png_size(r.body), r

    def test_pdf_first_page(self):
        data = make_pdf([text_page("Halaman pertama"), text_page("Halaman kedua")],
                        media=(595, 842))
        d = self.upload_pdf(data, filename="laporan.pdf")
        (w, hgt), r = self.thumbnail(d["id"])
        self.assertEqual(w, 240)
        self.assertEqual(hgt, round(842 * 240 / 595))
        self.assertIn("laporan-thumbnail.png", r.header("Content-Disposition"))
        doc = self.c.get("/api/documents/%d" % d["id"]).json()
        self.assertIn("thumbnail", doc["current_version"]["derived"])
        # ... and in the dossier's list, where it is shown.
        items = self.c.get("/api/meetings/%d/documents" % self.m["id"]).json()["items"]
        self.assertIn("thumbnail", [x for x in items if x["id"] == d["id"]][0]
                      ["current_version"]["derived"])

    def test_tall_page_is_capped(self):
        data = make_pdf([text_page("Struk")], media=(200, 2000))
        (w, hgt), _ = self.thumbnail(self.upload_pdf(data)["id"])
        self.assertEqual((w, hgt), (40, 400))

    def test_images(self):
        cases = [("foto.png", make_png(1200, 600)),
                 ("faks.tif", tiff_bytes([(300, 500, bytes([200]) * 300 * 500),
                                          (500, 300, bytes([100]) * 500 * 300)]))]
        for name, data in cases:
            with self.subTest(name):
                d = self.upload_ok(self.c, self.m["id"], data, filename=name)
                (w, hgt), _ = self.thumbnail(d["id"])
                # The first page, in proportion.
                self.assertEqual((w, hgt), (240, 120) if name.endswith("png") else (240, 400))

    def test_truncated_pdf(self):
        data = make_pdf([text_page("Rusak dan terpotong")] * 3)
        data = data[:len(data) // 2]
        d = self.upload_pdf(data)
        j = self.wait_job(d["id"], "thumbnail")
        self.assertEqual(j["state"], "failed", j)
        self.assertRegex(j["error"], r"^truncated or damaged PDF")
        self.assertEqual(j["attempts"], 1, "bad input is not retried: %r" % j)
        self.assertEqual(self.c.get("/api/documents/%d/content" % d["id"]).body, data)
        r = self.c.get("/api/documents/%d/derived/thumbnail" % d["id"])
        self.assertEqual(r.status, 404, r.describe())

    def test_only_for_readers_and_not_audited(self):
        d = self.upload_pdf(make_pdf([text_page("Rahasia")]))
        self.thumbnail(d["id"])
        audited = "SELECT count(*) FROM audit_log WHERE object_id = ? AND action LIKE 'document.%'"
        before = self.data.query(audited, (str(d["id"]),))[0][0]
        self.thumbnail(d["id"])
        self.assertEqual(self.data.query(audited, (str(d["id"]),))[0][0], before,
                         "a thumbnail shows no legible text: fetching it is not a read")
        pic = self.data.add_user(roles=("reader",), clearance="rahasia")
        other = self.login(self.server, pic)
        r1 = other.get("/api/documents/%d/derived/thumbnail" % d["id"])
        r2 = other.get("/api/documents/999999/derived/thumbnail")
        self.assertEqual((r1.status, r1.json()), (r2.status, r2.json()))
        self.assertEqual(r1.status, 404)
        self.assertEqual(self.c.get("/api/documents/%d/derived/thumbnail?version=2"
                                    % d["id"]).status, 404)


if __name__ == "__main__":
    h.main()
