"""Office files (src/jobs/kind_office.c): the words of DOCX, XLSX, PPTX, ODT, ODS and ODP files
made here with zipfile become searchable through GET /api/search once extract_office has read
them (a page per sheet or slide); a zip bomb and a truncated file fail with readable reasons while
the original stays downloadable. office_preview: without LibreOffice it ends done, saying so; with
a fake `soffice` on PATH (a shell script written here) the confinement is checked — a private
work directory under DATA/tmp, a file of a fixed name, a minimal environment, rlimits, stdin from
/dev/null — and its PDF is stored as the preview, from which the thumbnail is drawn; a fake that
hangs is killed with its process group at the time limit and the job fails with a reason. With
the real LibreOffice installed, a DOCX and a legacy .doc are converted (skipped otherwise)."""

import io
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_text import TextCase, make_pdf, text_page  # noqa: E402

MIME = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
P = 'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
S = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"')
# The content type of each main part (LibreOffice reads a package by them).
MAIN_TYPE = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml."
                         "document.main+xml",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "ppt/presentation.xml": "application/vnd.openxmlformats-officedocument.presentationml."
                            "presentation.main+xml",
}
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def word():
    """A word no other document of the run contains."""
    return "zq" + h.unique_marker().decode().lower()[:10]


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def ooxml(main_dir, parts):
    """An OOXML package: [Content_Types].xml first and _rels/.rels, as Office writes them (libmagic
    recognises the format by that order), then PARTS {name: xml text or bytes}."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", XML_DECL + '<Types xmlns="http://schemas.openxmlformats.'
                   'org/package/2006/content-types"><Default Extension="rels" ContentType="'
                   'application/vnd.openxmlformats-package.relationships+xml"/><Default '
                   'Extension="xml" ContentType="application/xml"/><Override PartName="/%s" '
                   'ContentType="%s"/></Types>' % (main_dir, MAIN_TYPE.get(main_dir, "")))
        z.writestr("_rels/.rels", XML_DECL + '<Relationships xmlns="http://schemas.openxmlformats'
                   '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
                   'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
                   ' Target="%s"/></Relationships>' % main_dir)
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def docx(paragraphs, header=None):
    body = "".join('<w:p><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>' % esc(p)
                   for p in paragraphs)
    parts = {"word/document.xml": XML_DECL + "<w:document %s><w:body>%s</w:body></w:document>"
             % (W, body)}
    if header:
        parts["word/header1.xml"] = (XML_DECL + "<w:hdr %s><w:p><w:r><w:t>%s</w:t></w:r></w:p>"
                                     "</w:hdr>" % (W, esc(header)))
    return ooxml("word/document.xml", parts)


def xlsx(sheets):
    """SHEETS: a list of sheets, each a list of rows of strings; the first string of each row is
    shared, the others inline."""
    shared = []
    parts = {"xl/workbook.xml": XML_DECL + "<workbook %s><sheets/></workbook>" % S}
    for i, rows in enumerate(sheets):
        xml_rows = ""
        for r, row in enumerate(rows):
            cells = ""
            for c, value in enumerate(row):
                ref = "%s%d" % ("ABCDEFGH"[c], r + 1)
                if c == 0:
                    shared.append(value)
                    cells += '<c r="%s" t="s"><v>%d</v></c>' % (ref, len(shared) - 1)
                else:
                    cells += '<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref, esc(value))
            cells += '<c r="H%d"><v>12345</v></c>' % (r + 1)  # a number: not text
            xml_rows += '<row r="%d">%s</row>' % (r + 1, cells)
        parts["xl/worksheets/sheet%d.xml" % (i + 1)] = (
            XML_DECL + "<worksheet %s><sheetData>%s</sheetData></worksheet>" % (S, xml_rows))
    parts["xl/sharedStrings.xml"] = (
        XML_DECL + '<sst %s count="%d">%s</sst>'
        % (S, len(shared), "".join("<si><t>%s</t></si>" % esc(s) for s in shared)))
    return ooxml("xl/workbook.xml", parts)


def pptx(slides):
    parts = {"ppt/presentation.xml": XML_DECL + "<p:presentation %s/>" % P}
    for i, lines in enumerate(slides):
        paras = "".join("<a:p><a:r><a:t>%s</a:t></a:r></a:p>" % esc(t) for t in lines)
        parts["ppt/slides/slide%d.xml" % (i + 1)] = (
            XML_DECL + "<p:sld %s %s><p:cSld><p:spTree><p:sp><p:txBody>%s</p:txBody></p:sp>"
            "</p:spTree></p:cSld></p:sld>" % (P, A, paras))
    return ooxml("ppt/presentation.xml", parts)


def odf(kind, body):
    """An ODF package: the mimetype entry first and stored, as the format requires."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), MIME[kind], compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", XML_DECL + '<office:document-content %s office:version="1.2">'
                   "<office:body>%s</office:body></office:document-content>" % (ODF_NS, body))
        z.writestr("META-INF/manifest.xml", XML_DECL + '<manifest:manifest xmlns:manifest="urn:'
                   'oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    return out.getvalue()


def odt(paragraphs):
    return odf("odt", "<office:text>%s</office:text>"
               % "".join("<text:p>%s</text:p>" % esc(p) for p in paragraphs))


def ods(sheets):
    tables = "".join('<table:table table:name="S%d">%s</table:table>' % (
        i, "".join("<table:table-row>%s</table:table-row>" % "".join(
            "<table:table-cell><text:p>%s</text:p></table:table-cell>" % esc(c) for c in row)
            for row in rows)) for i, rows in enumerate(sheets))
    return odf("ods", "<office:spreadsheet>%s</office:spreadsheet>" % tables)


def odp(slides):
    pages = "".join('<draw:page draw:name="p%d"><draw:frame><draw:text-box>%s</draw:text-box>'
                    "</draw:frame></draw:page>" % (i, "".join("<text:p>%s</text:p>" % esc(t)
                                                             for t in lines))
                    for i, lines in enumerate(slides))
    return odf("odp", "<office:presentation>%s</office:presentation>" % pages)


def bomb_docx(part_sizes):
    """A DOCX whose parts (name: inflated size) are spaces, deflated about 1000:1, written in
    chunks so the test never holds them."""
    out = io.BytesIO()
    chunk = b" " * (16 * h.MiB)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", XML_DECL + "<Types/>")
        z.writestr("_rels/.rels", XML_DECL + "<Relationships/>")
        for name, size in part_sizes.items():
            with z.open(name, "w", force_zip64=True) as f:
                left = size
                while left > 0:
                    f.write(chunk[:min(left, len(chunk))])
                    left -= len(chunk)
    return out.getvalue()


class OfficeCase(TextCase):
    """TextCase with a server whose workers see ENV (PATH: where LibreOffice is looked for)."""
    ENV = None

    @classmethod
    def setUpClass(cls):
        super(TextCase, cls).setUpClass()
        cls.data, cls.server = cls.class_server(args=("--workers", "2"), env=cls.env())
        cls.user = cls.data.add_user(roles=("pengelola_naskah",), clearance="sangat_rahasia")

    @classmethod
    def env(cls):
        return None

    def result(self, job):
        return h.json.loads(self.data.query("SELECT result FROM jobs WHERE id = ?",
                                            (job["id"],))[0][0])

    def upload_office(self, data, ext):
        d = self.upload_ok(self.c, self.m["id"], data, filename="berkas." + ext)
        self.assertEqual(d["current_version"]["mime"], MIME.get(ext, d["current_version"]["mime"]))
        return d

    def done(self, doc_id, kind, timeout=60.0):
        j = self.wait_job(doc_id, kind, timeout=timeout)
        self.assertEqual(j["state"], "done", j)
        return self.result(j)

    def pages(self, doc_id):
        return self.data.query("SELECT page FROM document_texts WHERE document_id = ? ORDER BY page",
                               (doc_id,))

    def assert_failed(self, data, ext, reason):
        return super().assert_failed(data, reason, kind="extract_office", filename="berkas." + ext)


class _EmptyPath:
    """A directory with nothing in it, for PATH: LibreOffice is not installed."""
    dir = None

    @classmethod
    def get(cls):
        if cls.dir is None:
            cls.dir = h.make_tempdir("sidang-nopath-")
        return cls.dir


class OfficeTextTests(OfficeCase):
    @classmethod
    def env(cls):
        return {"PATH": _EmptyPath.get()}

    def test_docx(self):
        w1, w2, w3 = word(), word(), word()
        d = self.upload_office(docx(["Notulen rapat " + w1, "Anggaran & biaya " + w2],
                                    header="Kop surat " + w3), "docx")
        self.assertEqual(self.done(d["id"], "extract_office"), {"pages": 1})
        for w in (w1, w2, w3):
            self.assertEqual(self.search_ids(w), [d["id"]], w)

    def test_xlsx_page_per_sheet(self):
        w1, w2, w3 = word(), word(), word()
        d = self.upload_office(xlsx([[["Uraian " + w1, "Jumlah"]], [["Lain", "Sel " + w2],
                                                                     [w3]]]), "xlsx")
        self.assertEqual(self.done(d["id"], "extract_office"), {"pages": 2})
        for w in (w1, w2, w3):
            self.assertEqual(self.search_ids(w), [d["id"]], w)
        self.assertEqual(self.search_ids("12345"), [], "numbers are not indexed as text")
        text = self.data.query("SELECT page, text FROM document_texts WHERE document_id = ? "
                               "ORDER BY page", (d["id"],))
        self.assertIn(w1, text[0][1])
        self.assertIn(w2, text[1][1])

    def test_pptx_page_per_slide(self):
        w1, w2 = word(), word()
        d = self.upload_office(pptx([["Judul", "Poin " + w1], ["Slide kedua " + w2]]), "pptx")
        self.assertEqual(self.done(d["id"], "extract_office"), {"pages": 2})
        self.assertEqual(self.search_ids(w1), [d["id"]])
        self.assertEqual(self.search_ids(w2), [d["id"]])

    def test_odf(self):
        for ext, data, pages, words in self.odf_cases():
            with self.subTest(ext):
                d = self.upload_office(data, ext)
                self.assertEqual(self.done(d["id"], "extract_office"), {"pages": pages})
                for w in words:
                    self.assertEqual(self.search_ids(w), [d["id"]], w)

    def odf_cases(self):
        t1, t2, s1, s2, p1, p2 = (word() for _ in range(6))
        return [("odt", odt(["Paragraf " + t1, "Paragraf <dua> " + t2]), 1, [t1, t2]),
                ("ods", ods([[["A " + s1, "B"]], [["C", s2]]]), 2, [s1, s2]),
                ("odp", odp([["Slide " + p1], ["Slide " + p2]]), 2, [p1, p2])]

    def test_zip_bomb(self):
        data = bomb_docx({"word/document.xml": 200 * h.MiB})
        self.assertLess(len(data), 2 * h.MiB)
        self.assert_failed(data, "docx", r"^the DOCX file's part word/document\.xml inflates to "
                                         r"more than 128 MiB \(a zip bomb\?\)$")

    def test_zip_bomb_in_many_parts(self):
        data = bomb_docx({"word/document.xml": 100 * h.MiB, "word/header1.xml": 120 * h.MiB,
                          "word/header2.xml": 120 * h.MiB, "word/header3.xml": 120 * h.MiB,
                          "word/header4.xml": 120 * h.MiB})
        self.assert_failed(data, "docx", r"^the DOCX file inflates to more than 512 MiB \(a zip "
                                         r"bomb\?\)$")

    def test_truncated(self):
        # Cut where a copy stopped: the parts are there, the directory at the end is not (a file
        # cut earlier is no longer recognised as a DOCX, and refused at upload).
        data = docx(["Dokumen yang terpotong " + word()] * 50)
        self.assert_failed(data[:-60], "docx", r"^truncated or damaged DOCX file: .+")

    def test_missing_part(self):
        data = ooxml("word/document.xml", {"word/styles.xml": "<w:styles %s/>" % W})
        self.assert_failed(data, "docx", r"^damaged DOCX file: its part word/document\.xml is "
                                         r"missing$")

    def test_preview_without_libreoffice(self):
        d = self.upload_office(docx(["Tanpa pratinjau"]), "docx")
        j = self.wait_job(d["id"], "office_preview")
        self.assertEqual((j["state"], j["attempts"]), ("done", 1), j)
        self.assertEqual(self.result(j), {"preview": False,
                                          "reason": "LibreOffice is not installed"})
        r = self.c.get("/api/documents/%d/derived/preview_pdf" % d["id"])
        self.assertEqual(r.status, 404, r.describe())
        # No preview, so no thumbnail is queued for it.
        self.assertNotIn("thumbnail", [x["kind"] for x in self.jobs(d["id"])])
        # The job list says why (the UI shows it).
        items = self.jobs(d["id"])
        preview = [x for x in items if x["kind"] == "office_preview"][0]
        self.assertEqual(preview["result"]["preview"], False)


FAKE_SOFFICE = r"""#!/bin/sh
# A stand-in for LibreOffice: records how it was started, then does what CTL/mode says.
ctl='%(ctl)s'
printf '%%s\n' "$@" > "$ctl/args"
env > "$ctl/env"
pwd > "$ctl/cwd"
echo $$ > "$ctl/pid"
ulimit -t > "$ctl/ulimit_t"
ulimit -v > "$ctl/ulimit_v"
cat > "$ctl/stdin"
outdir=""; prev=""; last=""
for a in "$@"; do
  if [ "$prev" = "--outdir" ]; then outdir="$a"; fi
  prev="$a"; last="$a"
done
ls -ld "$outdir/.." > "$ctl/workdir"
case "$(cat "$ctl/mode")" in
  pdf) base=$(basename "$last"); cp "$ctl/preview.pdf" "$outdir/${base%%.*}.pdf";;
  sleep) sleep 600 & echo $! > "$ctl/sleep.pid"; wait;;
  fail) echo "Error: source file could not be loaded" >&2; exit 3;;
  nopdf) exit 0;;
esac
"""


class FakeLibreOfficeTests(OfficeCase):
    ctl = None

    @classmethod
    def env(cls):
        cls.ctl = h.make_tempdir("sidang-fake-soffice-")
        bindir = os.path.join(cls.ctl, "bin")
        os.mkdir(bindir)
        path = os.path.join(bindir, "soffice")
        with open(path, "w") as f:
            f.write(FAKE_SOFFICE % {"ctl": cls.ctl})
        os.chmod(path, stat.S_IRWXU)
        return {"PATH": bindir, "SIDANG_OFFICE_TIMEOUT_MS": "3000"}

    def set_mode(self, mode, pdf=None):
        with open(os.path.join(self.ctl, "mode"), "w") as f:
            f.write(mode)
        if pdf is not None:
            with open(os.path.join(self.ctl, "preview.pdf"), "wb") as f:
                f.write(pdf)

    def ctl_text(self, name):
        with open(os.path.join(self.ctl, name)) as f:
            return f.read()

    def work_dirs(self):
        tmp = os.path.join(self.data.path, "tmp")
        return [n for n in os.listdir(tmp) if n.startswith("office-")] if os.path.isdir(tmp) else []

    def test_preview_made_and_stored(self):
        pdf = make_pdf([text_page("Pratinjau buatan tiruan " + word())])
        self.set_mode("pdf", pdf)
        d = self.upload_office(docx(["Dokumen dengan pratinjau"]), "docx")
        res = self.done(d["id"], "office_preview")
        self.assertEqual((res["preview"], res["size"]), (True, len(pdf)), res)
        r = self.c.get("/api/documents/%d/derived/preview_pdf" % d["id"])
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(r.body, pdf)
        self.assertEqual(r.header("Content-Type"), "application/pdf")
        self.assertIn("berkas-preview.pdf", r.header("Content-Disposition"))
        # The thumbnail is drawn from the preview.
        self.assertEqual(self.done(d["id"], "thumbnail")["width"], 240)
        r = self.c.get("/api/documents/%d/derived/thumbnail" % d["id"])
        self.assertEqual((r.status, r.body[:8]), (200, b"\x89PNG\r\n\x1a\n"), r.describe())
        doc = self.c.get("/api/documents/%d" % d["id"]).json()
        self.assertEqual(sorted(doc["current_version"]["derived"]), ["preview_pdf", "thumbnail"])
        # How LibreOffice was started: in a private directory under DATA/tmp, on a copy of the
        # file under a fixed name, with a profile and HOME inside it, nothing else inherited.
        cwd = self.ctl_text("cwd").strip()
        self.assertEqual(os.path.dirname(cwd), os.path.join(self.data.path, "tmp"))
        self.assertRegex(os.path.basename(cwd), r"^office-\w{6}$")
        self.assertTrue(self.ctl_text("workdir").startswith("drwx------"),
                        self.ctl_text("workdir"))
        args = self.ctl_text("args").splitlines()
        self.assertEqual(args[-5:], ["--convert-to", "pdf", "--outdir", cwd + "/out",
                                     cwd + "/file.docx"])
        self.assertIn("--headless", args)
        self.assertIn("-env:UserInstallation=file://%s/profile" % cwd, args)
        env = dict(line.split("=", 1) for line in self.ctl_text("env").splitlines() if "=" in line)
        self.assertEqual(env["HOME"], cwd)
        self.assertEqual(env["TMPDIR"], cwd)
        self.assertNotIn("SIDANG_OFFICE_TIMEOUT_MS", env, "the environment is not inherited")
        self.assertNotIn("ASAN_OPTIONS", env)
        self.assertEqual(self.ctl_text("stdin"), "")
        self.assertEqual(self.ctl_text("ulimit_t").strip(), "240")
        self.assertEqual(self.ctl_text("ulimit_v").strip(), str(4096 * 1024))
        self.assertEqual(self.work_dirs(), [], "the work directory is removed")

    def test_hang_is_killed(self):
        self.set_mode("sleep")
        d = self.upload_office(docx(["Dokumen yang macet"]), "docx")
        j = self.wait_job(d["id"], "office_preview")
        self.assertEqual(j["state"], "failed", j)
        self.assertEqual(j["error"], "LibreOffice did not finish within 3 seconds and was stopped")
        self.assertEqual(j["attempts"], 1, "a timeout is not retried: %r" % j)
        for name in ("pid", "sleep.pid"):
            pid = int(self.ctl_text(name))
            self.assertFalse(alive(pid), "%s %d still runs" % (name, pid))
        self.assertEqual(self.work_dirs(), [])
        self.assertEqual(self.c.get("/api/documents/%d/content" % d["id"]).status, 200)

    def test_failure_is_reported(self):
        self.set_mode("fail")
        d = self.upload_office(docx(["Dokumen gagal"]), "docx")
        deadline = h.time.monotonic() + 30
        while True:
            j = [x for x in self.jobs(d["id"]) if x["kind"] == "office_preview"][0]
            if j["error"] or h.time.monotonic() > deadline:
                break
            h.time.sleep(0.1)
        # Retried later (the same file may convert next time): the reason shows meanwhile.
        self.assertEqual(j["error"], "LibreOffice failed (exit status 3): Error: source file "
                                     "could not be loaded", j)
        self.assertEqual(self.work_dirs(), [])

    def test_no_pdf(self):
        self.set_mode("nopdf")
        d = self.upload_office(docx(["Tanpa hasil"]), "docx")
        j = self.wait_job(d["id"], "office_preview")
        self.assertEqual(j["state"], "failed", j)
        self.assertRegex(j["error"], r"^LibreOffice made no PDF of this file")


def alive(pid):
    """Whether process PID runs (a zombie does not)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@h.unittest.skipUnless(SOFFICE, "LibreOffice (soffice) is not installed: the real conversion is "
                                "not tested (the fake one above is)")
class RealLibreOfficeTests(OfficeCase):
    TIMEOUT = 240.0

    def test_docx_preview_and_thumbnail(self):
        w = word()
        d = self.upload_office(docx(["Pratinjau sungguhan " + w]), "docx")
        res = self.done(d["id"], "office_preview", timeout=self.TIMEOUT)
        self.assertTrue(res["preview"], res)
        r = self.c.get("/api/documents/%d/derived/preview_pdf" % d["id"])
        self.assertEqual((r.status, r.body[:5]), (200, b"%PDF-"), r.describe())
        self.assertEqual(self.done(d["id"], "thumbnail")["width"], 240)

    def test_legacy_doc_text_from_preview(self):
        w = word()
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "lama.docx")
            with open(src, "wb") as f:
                f.write(docx(["Berkas lama " + w]))
            subprocess.run([SOFFICE, "--headless", "--norestore",
                            "-env:UserInstallation=file://%s/profile" % tmp, "--convert-to",
                            "doc", "--outdir", tmp, src], check=True, timeout=180,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env={"HOME": tmp, "PATH": "/usr/bin:/bin"})
            with open(os.path.join(tmp, "lama.doc"), "rb") as f:
                data = f.read()
        d = self.upload_ok(self.c, self.m["id"], data, filename="lama.doc")
        self.assertEqual(d["current_version"]["mime"], "application/msword")
        res = self.done(d["id"], "extract_office")
        self.assertEqual(res["text"], False, res)
        res = self.done(d["id"], "office_preview", timeout=self.TIMEOUT)
        self.assertEqual(res.get("pages"), 1, res)
        self.assertEqual(self.search_ids(w), [d["id"]])


if __name__ == "__main__":
    h.main()
