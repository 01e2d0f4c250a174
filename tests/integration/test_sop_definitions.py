"""SOP definitions as data: `sidang sop validate|list|show|import`, versions, and a case keeping the
version it started on (docs/api.md "The SOP engine", docs/engine.md, src/domain/sop.h).

ValidateTests: every broken fixture under tests/fixtures/sop/ is refused with the line and reason
its first line announces ("# expect: LINE: substring"); the seed validates; broken definitions made
from the seed by text substitution are refused at the right line.

ImportTests: list and show; re-importing the seed changes nothing; an edited copy becomes version
2; a case started before keeps version 1, one started after runs version 2; a restart does not put
the built-in definition back over version 2; every import is audited.
"""

import glob
import hashlib
import json
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

EXPECT_RE = re.compile(r"^#\s*expect:\s*(\d+):\s*(.*?)\s*$")
DASH_RE = re.compile(r"^(\s*)-\s")


def read_seed():
    with open(h.SEED_SOP_FILE, encoding="utf-8") as f:
        return f.read()


def significant(line):
    s = line.strip()
    return bool(s) and not s.startswith("#")


def indent(line):
    return len(line) - len(line.lstrip(" "))


def step_span(lines, number):
    """(first, end) line indexes of step NUMBER's item in the steps list: FIRST is the line of
    its "- " (the step's own line), END the index after its last line."""
    num_re = re.compile(r"^(\s*)(-\s+)?number:\s*%d\s*(#.*)?$" % number)
    at = next((i for i, ln in enumerate(lines) if num_re.match(ln)), None)
    if at is None:
        raise AssertionError("step %d not found in the seed definition" % number)
    first = at
    if not num_re.match(lines[at]).group(2):
        key_indent = indent(lines[at])
        first = next(i for i in range(at - 1, -1, -1)
                     if DASH_RE.match(lines[i]) and indent(lines[i]) < key_indent)
    dash = indent(lines[first])
    end = first + 1
    while end < len(lines):
        ln = lines[end]
        if significant(ln) and (indent(ln) < dash or
                                (indent(ln) == dash and DASH_RE.match(ln))):
            break
        end += 1
    return first, end


def find_in_step(lines, number, regex):
    """Index of the first line of step NUMBER matching REGEX."""
    first, end = step_span(lines, number)
    rx = re.compile(regex)
    for i in range(first, end):
        if rx.search(lines[i]):
            return i
    raise AssertionError("no line matching %r in step %d:\n%s"
                         % (regex, number, "".join(lines[first:end])))


def key_line(lines, number, key):
    """Index of step NUMBER's line holding KEY (as "key:" or "- key:")."""
    return find_in_step(lines, number, r"^\s*(-\s+)?%s:" % re.escape(key))


def replace_value(line, key, value):
    """'  key: old  # c' -> '  key: VALUE'."""
    m = re.match(r"^(\s*(?:-\s+)?%s:)" % re.escape(key), line)
    assert m, line
    return "%s %s\n" % (m.group(1), value)


def answer_span(lines, number, code):
    """(first, end) of the answer CODE inside decision step NUMBER."""
    i = find_in_step(lines, number, r"^\s*-\s+code:\s*[\"']?%s[\"']?\s*$" % code)
    dash = indent(lines[i])
    end = i + 1
    while end < len(lines) and (not significant(lines[end]) or indent(lines[end]) > dash):
        end += 1
    return i, end


# --- the broken definitions, each derived from the seed --------------------------------------
# Each returns (text, 1-based line expected in the error, substring of the reason).

def unknown_role(text):
    lines = text.splitlines(True)
    i = key_line(lines, 4, "role")
    lines[i] = replace_value(lines[i], "role", "kabag_keuangan")
    return "".join(lines), i + 1, "unknown role 'kabag_keuangan'"


def next_missing(text):
    lines = text.splitlines(True)
    i = key_line(lines, 5, "next")
    lines[i] = replace_value(lines[i], "next", "60")
    return "".join(lines), i + 1, "next step 60 does not exist"


def decision_single_answer(text):
    lines = text.splitlines(True)
    answers = key_line(lines, 3, "answers")
    a, b = answer_span(lines, 3, "tidak")
    del lines[a:b]
    return "".join(lines), answers + 1, "at least 2 answers"


def cycle_without_exit(text):
    # step 9 leads back to step 8 instead of the end: 8 -> 9 -> 8, and no end after step 4
    lines = text.splitlines(True)
    i = key_line(lines, 9, "end")
    lines[i] = replace_value(lines[i], "end", "").replace("end:", "next: 8").rstrip() + "\n"
    first8, _ = step_span(lines, 8)
    return "".join(lines), first8 + 1, "cycle with no exit"


def answers_back_to_2(lines):
    """Step 3's answers both lead back to step 2 (in place)."""
    for code in ("ya", "tidak"):
        a, b = answer_span(lines, 3, code)
        for k in range(a, b):
            m = re.match(r"^\s*(?:-\s+)?(next|end):", lines[k])
            if m:
                lines[k] = replace_value(lines[k], m.group(1), "2").replace("end:", "next:")
                break
        else:
            raise AssertionError("answer %s of step 3 has no next/end line" % code)


def back_to_2_leaves_4_unreachable(text):
    # step 3's answers both lead back to step 2: steps 4 to 9 can no longer be reached
    lines = text.splitlines(True)
    answers_back_to_2(lines)
    first4, _ = step_span(lines, 4)
    return "".join(lines), first4 + 1, "step 4: unreachable"


def cycle_2_3_2(text):
    # the seed cut after step 3, whose answers both lead back to step 2: 2 -> 3 -> 2, no end
    lines = text.splitlines(True)
    answers_back_to_2(lines)
    first4, _ = step_span(lines, 4)
    del lines[first4:]
    first2, _ = step_span(lines, 2)
    return "".join(lines), first2 + 1, "cycle with no exit (2 -> 3 -> 2"


def list_item_line(lines, number, key, item=None):
    """The line of step NUMBER's list KEY holding ITEM (the first item when None): the key's own
    line for a flow list ("key: [a, b]"), else the "- item" line below it."""
    i = key_line(lines, number, key)
    if "[" in lines[i]:
        return i
    k = i + 1
    while k < len(lines):
        ln = lines[k]
        if significant(ln):
            m = re.match(r"^\s*-\s+[\"']?([^\s\"'#]+)", ln)
            if not m or indent(ln) < indent(lines[i]):
                break
            if item is None or m.group(1) == item:
                return k
        k += 1
    raise AssertionError("step %d: no item %r under %r" % (number, item, key))


def unknown_action(text):
    lines = text.splitlines(True)
    i = list_item_line(lines, 8, "actions", "report")
    lines[i] = re.sub(r"\breport\b", "lapor", lines[i], count=1)
    return "".join(lines), i + 1, "unknown action 'lapor'"


def duplicate_number(text):
    lines = text.splitlines(True)
    i = key_line(lines, 5, "number")
    lines[i] = replace_value(lines[i], "number", "4")
    return "".join(lines), i + 1, "duplicate step number"


def unknown_key(text):
    lines = text.splitlines(True)
    i = key_line(lines, 2, "role")
    pad = " " * indent(lines[i])
    if lines[i].lstrip().startswith("-"):
        pad = " " * (indent(lines[i]) + 2)
    lines.insert(i + 1, "%spelaksana: karo_hph\n" % pad)
    return "".join(lines), i + 2, "unknown key 'pelaksana'"


def second_start(text):
    lines = text.splitlines(True)
    i = key_line(lines, 4, "role")
    pad = " " * (indent(lines[i]) + (2 if lines[i].lstrip().startswith("-") else 0))
    lines.insert(i + 1, "%sstart: true\n" % pad)
    first4, _ = step_span(lines, 4)
    return "".join(lines), first4 + 1, "second start step"


def kelengkapan_unknown(text):
    lines = text.splitlines(True)
    i = list_item_line(lines, 8, "kelengkapan")
    if "[" in lines[i]:
        lines[i] = re.sub(r"\[[^\]]*\]", "[laporan_tidak_ada]", lines[i])
    else:
        lines[i] = re.sub(r"-\s+.*$", "- laporan_tidak_ada", lines[i].rstrip()) + "\n"
    return "".join(lines), i + 1, "laporan_tidak_ada"


def waktu_not_a_number(text):
    lines = text.splitlines(True)
    i = key_line(lines, 9, "waktu_minutes")
    lines[i] = replace_value(lines[i], "waktu_minutes", "sepuluh")
    return "".join(lines), i + 1, "waktu_minutes"


def tab_indentation(text):
    # YAML forbids tabs for indentation: the parser must say where
    lines = text.splitlines(True)
    i = key_line(lines, 6, "role")
    lines[i] = "\t" + lines[i].lstrip(" ")
    return "".join(lines), i + 1, ""


BROKEN = [unknown_role, next_missing, decision_single_answer, cycle_without_exit, cycle_2_3_2,
          back_to_2_leaves_4_unreachable,
          unknown_action, duplicate_number, unknown_key, second_start, kelengkapan_unknown,
          waktu_not_a_number, tab_indentation]


class ValidateTests(h.SidangTestCase):
    @classmethod
    def setUpClass(cls):
        h.require_binary()
        cls.tmp = h.make_tempdir("sidang-sop-")
        cls.addClassCleanup(h.remove_tempdir, cls.tmp)

    def validate(self, path):
        return h.cli(["sop", "validate", path])

    def assertRefusedAt(self, path, line, reason):
        """`sop validate PATH` exits 1 and says PATH:LINE: REASON on standard error."""
        r = self.validate(path)
        self.assertEqual(r.returncode, 1, r.describe())
        m = re.search(r"%s:(\d+): (.+)" % re.escape(path), r.stderr)
        self.assertIsNotNone(m, "no '%s:LINE: reason' on stderr: %s" % (path, r.describe()))
        self.assertEqual(int(m.group(1)), line, r.describe())
        self.assertIn(reason, m.group(2), r.describe())
        self.assertEqual(r.stdout.strip(), "", "a refused definition printed on stdout")
        return r

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_seed_validates(self):
        r = self.validate(h.SEED_SOP_FILE)
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertEqual(r.stderr.strip(), "", r.describe())

    def test_fixtures_refused_where_they_say(self):
        files = sorted(glob.glob(os.path.join(h.SOP_FIXTURES_DIR, "*.yaml")))
        self.assertTrue(files, "no broken definitions in %s" % h.SOP_FIXTURES_DIR)
        for path in files:
            with self.subTest(fixture=os.path.basename(path)):
                with open(path, encoding="utf-8", errors="replace") as f:
                    first = f.readline()
                m = EXPECT_RE.match(first)
                self.assertIsNotNone(m, "fixture without '# expect: LINE: reason': %r" % first)
                self.assertRefusedAt(path, int(m.group(1)), m.group(2))

    def test_good_fixtures_validate(self):
        files = sorted(glob.glob(os.path.join(h.SOP_FIXTURES_DIR, "ok", "*.yaml")))
        for path in files:
            with self.subTest(fixture=os.path.basename(path)):
                r = self.validate(path)
                self.assertEqual(r.returncode, 0, r.describe())
                self.assertIn("%s: ok" % path, r.stdout, r.describe())

    def test_broken_definitions_from_the_seed(self):
        seed = read_seed()
        for make in BROKEN:
            with self.subTest(broken=make.__name__):
                text, line, reason = make(seed)
                self.assertNotEqual(text, seed)
                path = self.write(make.__name__ + ".yaml", text)
                self.assertRefusedAt(path, line, reason)

    def test_substitutions_are_the_only_fault(self):
        # the helpers above must change nothing when asked for a harmless edit
        seed = read_seed()
        lines = seed.splitlines(True)
        i = key_line(lines, 4, "role")
        lines[i] = replace_value(lines[i], "role", "kabag_persidangan")
        path = self.write("harmless.yaml", "".join(lines))
        r = self.validate(path)
        self.assertEqual(r.returncode, 0, r.describe())

    def test_not_a_definition(self):
        cases = [("empty.yaml", "", 1), ("list.yaml", "- satu\n- dua\n", 1),
                 ("scalar.yaml", "hanya teks\n", 1)]
        for name, text, line in cases:
            with self.subTest(file=name):
                path = self.write(name, text)
                r = self.validate(path)
                self.assertEqual(r.returncode, 1, r.describe())
                self.assertRegex(r.stderr, re.escape(path) + r":%d: " % line)
        binary = self.write("biner.yaml", "")
        with open(binary, "wb") as f:
            f.write(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
        r = self.validate(binary)
        self.assertEqual(r.returncode, 1, r.describe())
        self.assertIn(binary, r.stderr)
        missing = os.path.join(self.tmp, "tidak-ada.yaml")
        r = self.validate(missing)
        self.assertIn(r.returncode, (1, 2), r.describe())
        self.assertIn(missing, r.stderr)

    def test_too_large_refused(self):
        seed = read_seed()
        big = seed + "\n" + ("# " + "x" * 1000 + "\n") * 300  # > 256 KiB
        path = self.write("besar.yaml", big)
        r = self.validate(path)
        self.assertEqual(r.returncode, 1, r.describe())
        self.assertIn(path, r.stderr)


class ImportTests(h.SopTestCase):
    @classmethod
    def setUpClass(cls):
        cls.data, cls.server = cls.class_server()
        cls.people = h.SopPeople(cls.data, cls.server,
                                 only=[n for n, _ in h.SEED_OFFICIALS] + ["admin"])
        cls.tmp = h.make_tempdir("sidang-sop-")
        cls.addClassCleanup(h.remove_tempdir, cls.tmp)

    def sops(self):
        r = self.people.c["karo"].get("/api/sops")
        self.assertEqual(r.status, 200, r.describe())
        return [s for s in r.json()["items"] if s["code"] == h.SEED_SOP_CODE]

    def versions_in_db(self):
        return self.data.query("SELECT version, sha256 FROM sop_versions WHERE code = ? "
                               "ORDER BY version", (h.SEED_SOP_CODE,))

    def listed_versions(self):
        """`sop list`: [(version, latest?)] of the seed's code."""
        r = self.data.cli("sop", "list")
        self.assertEqual(r.returncode, 0, r.describe())
        out = []
        for ln in r.stdout.splitlines():
            m = re.search(r"\s%s\s+(\d+)( \*)?\s" % re.escape(h.SEED_SOP_CODE), ln)
            if m:
                out.append((int(m.group(1)), bool(m.group(2))))
        self.assertTrue(out, r.describe())
        return out

    def edited_seed(self):
        """The seed with a Waktu of 7 minutes on step 2 (which has none)."""
        lines = read_seed().splitlines(True)
        i = key_line(lines, 2, "role")
        pad = " " * (indent(lines[i]) + (2 if lines[i].lstrip().startswith("-") else 0))
        lines.insert(i + 1, "%swaktu_minutes: 7\n" % pad)
        return "".join(lines)

    def start_and_pass_step_1(self, title):
        m = self.create_meeting(self.people.c["persidangan"], title=title)
        self.upload_doc("persidangan", m["id"], "perencanaan", "undangan")
        return m["id"]

    def finish_step_1(self, mid):
        t = self.available_task(mid, 1)
        self.complete_ok(t["id"], "persidangan", {"note": "dihimpun"})
        return self.available_task(mid, 2)

    def test_import_list_show_versions(self):
        with open(h.SEED_SOP_FILE, "rb") as f:
            seed_sha = hashlib.sha256(f.read()).hexdigest()
        # the built-in seed was imported by init, as version 1
        self.assertEqual(self.versions_in_db(), [(1, seed_sha)])
        items = self.sops()
        self.assertEqual(len(items), 1, items)
        v1 = items[0]
        self.assertEqual(v1["version"], 1)
        self.assertEqual(v1["sha256"], seed_sha)
        self.assertIsNotNone(h.parse_iso(v1["imported_at"]))
        r = self.people.c["karo"].get("/api/sops/%d" % v1["version_id"])
        self.assertEqual(r.status, 200, r.describe())
        d = r.json()
        self.assertEqual((d["code"], d["version"], d["sha256"]), (h.SEED_SOP_CODE, 1, seed_sha))
        self.assertEqual(sorted(s["number"] for s in d["definition"]["steps"]),
                         list(range(1, 10)))

        self.assertEqual(self.listed_versions(), [(1, True)])
        r = self.data.cli("sop", "show", h.SEED_SOP_CODE)
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertIn("OT.01.02-057-057.Set.KumSidhal", r.stdout, r.describe())
        r = self.data.cli("sop", "show", "sop-yang-tidak-ada")
        self.assertEqual(r.returncode, 1, r.describe())

        # a case started now runs version 1
        a = self.start_and_pass_step_1("Rapat sebelum revisi SOP")
        self.assertEqual(self.get_case(a)["sop"]["version"], 1)
        self.assertEqual(self.get_case(a)["sop"]["version_id"], v1["version_id"])

        # re-importing the same text changes nothing
        r = self.data.cli("sop", "import", h.SEED_SOP_FILE)
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertIn("unchanged", r.output, r.describe())
        self.assertEqual(self.versions_in_db(), [(1, seed_sha)])
        audited_before = [x for x in self.audit_rows() if x["action"] == "sop.import"]

        # an edited copy becomes version 2
        edited = self.edited_seed()
        path = os.path.join(self.tmp, "pemilihan-pengunggahan-data-rev1.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(edited)
        edited_sha = hashlib.sha256(edited.encode("utf-8")).hexdigest()
        r = self.data.cli("sop", "import", path)
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertNotIn("unchanged", r.output, r.describe())
        self.assertRegex(r.output, r"\b2\b")
        self.assertEqual(self.versions_in_db(), [(1, seed_sha), (2, edited_sha)])
        r = self.data.cli("sop", "import", path)
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertIn("unchanged", r.output, r.describe())
        self.assertEqual(len(self.versions_in_db()), 2, "an unchanged re-import made a version")
        audited = [x for x in self.audit_rows() if x["action"] == "sop.import"]
        self.assertEqual(len(audited), len(audited_before) + 1, audited)
        self.assertEqual(json.loads(audited[-1]["detail"]).get("version"), 2, audited[-1])
        items = {s["version"]: s for s in self.sops()}
        self.assertEqual(sorted(items), [1, 2])
        r = self.people.c["karo"].get("/api/sops/%d" % items[2]["version_id"])
        step2 = [s for s in r.json()["definition"]["steps"] if s["number"] == 2][0]
        self.assertEqual(step2.get("waktu_minutes"), 7, step2)
        self.assertEqual(self.listed_versions(), [(1, False), (2, True)])
        r = self.data.cli("sop", "show", h.SEED_SOP_CODE)
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertIn("version 2", r.stdout.splitlines()[0])
        r = self.data.cli("sop", "show", h.SEED_SOP_CODE + "@1")
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertIn("version 1", r.stdout.splitlines()[0])
        r = self.data.cli("sop", "show", h.SEED_SOP_CODE, "--json")
        self.assertEqual(r.returncode, 0, r.describe())
        shown = json.loads(r.stdout)
        step2 = [x for x in shown["steps"] if x["number"] == 2][0]
        self.assertEqual(step2.get("waktu_minutes"), 7, step2)

        # a broken edit is refused and stores nothing
        broken, line, _ = unknown_role(read_seed())
        bpath = os.path.join(self.tmp, "rusak.yaml")
        with open(bpath, "w", encoding="utf-8") as f:
            f.write(broken)
        r = self.data.cli("sop", "import", bpath)
        self.assertEqual(r.returncode, 1, r.describe())
        self.assertIn("%s:%d: " % (bpath, line), r.stderr)
        self.assertEqual(len(self.versions_in_db()), 2)

        # the case started before keeps version 1; a new one runs version 2
        b = self.start_and_pass_step_1("Rapat sesudah revisi SOP")
        self.assertEqual(self.get_case(b)["sop"]["version"], 2)
        self.assertEqual(self.get_case(a)["sop"]["version"], 1)
        t2a = self.finish_step_1(a)
        t2b = self.finish_step_1(b)
        self.assertIsNone(t2a["waktu_minutes"], "the old case took version 2's Waktu")
        self.assertIsNone(t2a["due_at"])
        self.assertEqual(t2b["waktu_minutes"], 7)
        self.assertEqual(h.parse_iso(t2b["due_at"]), h.parse_iso(t2b["available_at"]) + 420)

        # a restart re-imports the built-in seed only once: version 2 stays the latest
        self.server.stop()
        self.server.check_clean_exit()
        server = self.start_server(self.data)
        karo = h.new_client(server, "karo")
        self.assertEqual(len(self.versions_in_db()), 2, "a restart put the built-in seed back")
        persidangan = h.new_client(server, "persidangan")
        r = persidangan.post("/api/meetings", h.meeting_body(title="Rapat sesudah restart"))
        self.assertEqual(r.status, 201, r.describe())
        r = karo.get("/api/meetings/%d/case" % r.json()["id"])
        self.assertEqual(r.json()["sop"]["version"], 2)
        r = karo.get("/api/meetings/%d/case" % a)
        self.assertEqual(r.json()["sop"]["version"], 1)
        self.assertAuditVerifies()


if __name__ == "__main__":
    h.main()
