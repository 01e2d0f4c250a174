#!/usr/bin/env python3
"""OCR throughput: the same scanned pages read by Sidang's workers, by the tesseract CLI and by
ocrmypdf (when installed), each using every core, in one run (docs/benchmarks.md, `make bench-ocr`).

The pages: dense A4 pages of Indonesian text (a meeting's minutes), set in Times 11 pt by mutool,
rendered to 300 dpi grey images, and put back into PDFs of PAGES_PER_DOC pages (what a scanner
sends). Each tool reads all of them with as many processes as there are cores:

  sidang     `sidang serve --workers 0` takes the uploads, then one `sidang worker` per core runs
             the queue (extract_text, then ocr: render, tesseract C API, searchable PDF, index)
  sidang, 1 doc   the same pages as one PDF: one worker reads it in parts, one child per core
  tesseract  `tesseract PAGE.png OUT -l ind+eng pdf`, OMP_THREAD_LIMIT=1, one process per core
  ocrmypdf   `ocrmypdf -l ind+eng --jobs 1 DOC.pdf OUT.pdf`, one document per core at a time

and the figure is pages per minute per core (pages / wall minutes / cores), with the CPU use of
the tool's processes as a share of all cores (how well it uses them).

Usage: bench/ocr_bench.py [--sidang build-bench/sidang] [--pages 16] [--pages-per-doc 4]
"""

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.dont_write_bytecode = True
import harness as h  # noqa: E402

WORDS = ("rapat koordinasi kementerian biro dokumen notulen persidangan perbatasan wilayah "
         "anggaran pelaksanaan perencanaan pelaporan keputusan peserta pimpinan kepala bagian "
         "sekretariat jenderal direktorat pengamanan pemeriksaan kegiatan tahun program usulan "
         "disposisi verifikasi arsip naskah dinas surat undangan daftar hadir pembahasan hasil "
         "tindak lanjut rekomendasi kebijakan pemerintah daerah provinsi kabupaten kota pusat "
         "laporan evaluasi koordinator narasumber materi paparan sesi diskusi kesepakatan").split()


def cores():
    return len(os.sched_getaffinity(0))


def run(cmd, cwd=None, env=None):
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True)
    if p.returncode != 0:
        raise SystemExit("%s failed: %s" % (" ".join(cmd), p.stderr.decode(errors="replace")[-2000:]))
    return p.stdout


def make_pages(d, n_pages, per_doc, seed=20261124):
    """N_PAGES dense pages as 300 dpi grey PNGs, and PDFs of PER_DOC of them; their paths."""
    rnd = random.Random(seed)
    names = []
    for i in range(n_pages):
        body = "%%MediaBox 0 0 595 842\n%%Font F1 Times-Roman\n"
        body += "BT /F1 14 Tf 72 780 Td (NOTULEN RAPAT KOORDINASI - HALAMAN %d) Tj ET\n" % (i + 1)
        y = 750
        while y > 60:
            line = " ".join(rnd.choice(WORDS) for _ in range(11))
            body += "BT /F1 11 Tf 72 %d Td (%s) Tj ET\n" % (y, line.capitalize() + ".")
            y -= 15
        name = "page%03d.txt" % i
        with open(os.path.join(d, name), "w") as f:
            f.write(body)
        names.append(name)
    run(["mutool", "create", "-o", "born.pdf", *names], cwd=d)
    run(["mutool", "draw", "-q", "-r", "300", "-c", "gray", "-o", "p%03d.png", "born.pdf"], cwd=d)
    pngs = sorted(f for f in os.listdir(d) if f.startswith("p") and f.endswith(".png"))
    docs = []
    for k in range(0, len(pngs), per_doc):
        name = "scan%02d.pdf" % (k // per_doc)
        run(["mutool", "convert", "-O", "compress", "-o", name, *pngs[k:k + per_doc]], cwd=d)
        docs.append(os.path.join(d, name))
    run(["mutool", "convert", "-O", "compress", "-o", "all.pdf", *pngs], cwd=d)
    return [os.path.join(d, p) for p in pngs], docs, os.path.join(d, "all.pdf")


class Measure:
    """Wall time and the CPU time of the processes waited for in between."""

    def __enter__(self):
        self.t0 = time.monotonic()
        self.r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        return self

    def __exit__(self, *exc):
        self.wall = time.monotonic() - self.t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu = (r1.ru_utime - self.r0.ru_utime) + (r1.ru_stime - self.r0.ru_stime)


def in_parallel(cmds, n, env=None, cwd=None):
    with ThreadPoolExecutor(max_workers=n) as pool:
        list(pool.map(lambda c: run(c, cwd=cwd, env=env), cmds))


def bench_tesseract(pngs, out, n):
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    cmds = [["tesseract", p, os.path.join(out, "t%03d" % i), "-l", "ind+eng", "pdf"]
            for i, p in enumerate(pngs)]
    with Measure() as m:
        in_parallel(cmds, n, env=env)
    return m


def bench_ocrmypdf(docs, out, n):
    cmds = [["ocrmypdf", "-q", "-l", "ind+eng", "--jobs", "1", d,
             os.path.join(out, "o%02d.pdf" % i)] for i, d in enumerate(docs)]
    with Measure() as m:
        in_parallel(cmds, n)
    return m


def bench_sidang(binary, docs, n, pages):
    os.environ["SIDANG_BIN"] = os.path.abspath(binary)
    data = h.DataDir()
    server = h.Server(data, ("--workers", "0")).start()
    try:
        user = data.add_user(roles=("pengelola_naskah",), clearance="sangat_rahasia")
        c = h.new_client(server, user)
        r = c.post("/api/meetings", h.meeting_body())
        meeting = r.json()["id"]
        for path in docs:
            with open(path, "rb") as f:
                r = c.upload(meeting, f.read(), filename=os.path.basename(path), source="scan",
                             extra={"scanned_by": "Bench", "scanned_at": "2026-11-24",
                                    "scan_device": "mutool", "scan_pages": "1"})
            if r.status != 201:
                raise SystemExit("upload failed: %s" % r.describe())
        db = os.path.join(data.path, "sidang.db")
        with Measure() as m:
            workers = [subprocess.Popen([binary, "worker", "--data", data.path],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                       for _ in range(n)]
            try:
                while True:
                    rows = data.query("SELECT state, count(*) FROM jobs WHERE kind = 'ocr'"
                                      " GROUP BY state")
                    states = dict(rows)
                    if states.get("failed"):
                        raise SystemExit("an OCR job failed: %r" % data.query(
                            "SELECT error FROM jobs WHERE state = 'failed'"))
                    if states.get("done", 0) == len(docs):
                        break
                    time.sleep(0.05)
            finally:
                for w in workers:
                    w.terminate()
                for w in workers:
                    w.wait()
        ocr_pages = sum(int(x[0]) for x in data.query(
            "SELECT json_extract(result, '$.ocr_pages') FROM jobs WHERE kind = 'ocr'"))
        if ocr_pages != pages:
            raise SystemExit("Sidang OCR'd %d pages, not %d" % (ocr_pages, pages))
        del db
        return m
    finally:
        server.stop()
        h.remove_tempdir(os.path.dirname(data.path))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sidang", default="build-bench/sidang")
    ap.add_argument("--pages", type=int, default=16)
    ap.add_argument("--pages-per-doc", type=int, default=4)
    a = ap.parse_args()
    for tool in ("mutool", "tesseract"):
        if not shutil.which(tool):
            raise SystemExit("%s is needed (make deps-test installs it)" % tool)
    n = cores()
    work = tempfile.mkdtemp(prefix="sidang-ocr-bench-")
    try:
        pngs, docs, whole = make_pages(work, a.pages, a.pages_per_doc)
        print("OCR bench: %d scanned A4 pages at 300 dpi (%d PDFs of %d), %d cores, "
              "languages ind+eng" % (len(pngs), len(docs), a.pages_per_doc, n))
        results = []
        results.append(("sidang worker", bench_sidang(a.sidang, docs, n, len(pngs))))
        results.append(("sidang, 1 doc", bench_sidang(a.sidang, [whole], n, len(pngs))))
        results.append(("tesseract CLI", bench_tesseract(pngs, work, n)))
        if shutil.which("ocrmypdf"):
            results.append(("ocrmypdf", bench_ocrmypdf(docs, work, n)))
        else:
            print("(ocrmypdf is not installed: `apt-get install ocrmypdf` to include it)")
        base = dict(results)["tesseract CLI"]
        base_rate = len(pngs) / (base.wall / 60) / n
        print("%-14s %6s %8s %18s %10s %14s" % ("tool", "pages", "wall s", "pages/min/core",
                                                 "CPU use", "vs tesseract"))
        for name, m in results:
            rate = len(pngs) / (m.wall / 60) / n
            print("%-14s %6d %8.1f %18.1f %9.0f%% %13.0f%%" % (
                name, len(pngs), m.wall, rate, 100 * m.cpu / (m.wall * n), 100 * rate / base_rate))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
