#!/usr/bin/env python3
"""The reference side of the differential test: the official CI-SIS kit's Schematron verdicts, by Saxon.

What it does, per document, following the kit README (`../shared/ans-kit/README.md`, "How ANS runs it"):
  1. selects the volet schematron from the document's `ClinicalDocument/templateId`s (table built from the
     kit folder itself: see `volet_table`);
  2. runs Structuration minimale, the volet (if any), then the three generic profiles;
  3. prints, as JSON, every `failed-assert` and `successful-report` (schematron, test, location, role,
     error or not, text) and the verdict.

How a schematron becomes something Saxon runs (the route verified in issue 3): the ISO Schematron XSLT
skeleton bundled by PyPI's `lxml` (`lxml/isoschematron/resources/xsl/iso-schematron-xslt1/`):
`iso_dsdl_include.xsl` → `iso_abstract_expand.xsl` → `iso_svrl_for_xslt1.xsl`, run with lxml (libxslt);
before the last step `queryBinding="xslt2"` is relabelled `xslt` (the xslt1 skeleton refuses other
bindings), and the generated stylesheet is then declared `version="2.0"` so that Saxon (PyPI `saxonche`,
SaxonC-HE) evaluates the kit's XPath 2.0. `xml:base` on the generated stylesheet points back to the
schematron file, so `document('../jeuxDeValeurs/…')` resolves as in the kit.

Kit defects (README "Known defects") are handled as the README says: reported once (in `kit_defects` of
the output), never fatal. A missing `sch:include` is dropped by the include step (reported); a missing
value-set file makes `document()` fail only if a rule actually reads it (Saxon evaluates global variables
lazily): such a run is reported as `error` for that schematron, with Saxon's message, not as a pass.

Caching: the generated XSLT of each schematron is written under `--cache DIR` (keyed by the SHA-256 of the
schematron and of every file it includes), and compiled by Saxon once per process; a process validates
any number of documents.

Usage:
  saxon_reference.py --kit KIT [--cache DIR] [--volet FILE.sch|none] [--timings] DOC...
  saxon_reference.py --kit KIT --verify-samples SAMPLES_DIR     (checks expected.json's official_kit)
  saxon_reference.py --kit KIT --bench N DOC...                 (cold first verdict, warm ms per document)
Output: JSON on stdout: {"documents": [{"file", "sha256", "volet", "schematrons": [...], "asserts": [...],
"errors": [...], "xsd_valid", "verdict", "ms"}], "compile_ms": {...}, "kit_defects": [...]}.
"""

import argparse
import hashlib
import json
import os
import re
import sys
import time
from urllib.parse import unquote

from lxml import etree
import lxml.isoschematron
from saxonche import PySaxonApiError, PySaxonProcessor

SKELETON = os.path.join(
    os.path.dirname(lxml.isoschematron.__file__), "resources", "xsl", "iso-schematron-xslt1"
)
SCH_NS = "http://purl.oclc.org/dsdl/schematron"
SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
HL7 = "urn:hl7-org:v3"

# The ANS CI's generic profiles, run on every document after the volet (kit README).
STRUCT_MIN = "profils/structurationMinimale/ASIP-STRUCT-MIN-StrucMin.sch"
PROFILES = [
    "profils/CI-SIS_Modeles_ANS.sch",
    "profils/CI-SIS_ModelesDeContenusCDA.sch",
    "profils/IHE.sch",
]
# Roles that do not make a document non-conformant (kit README).
NON_ERROR_ROLES = {"warning", "info", "w", "i"}
# Document-level templateIds of the CI-SIS are under this arc; `…1.1.1.1` is the generic CI-SIS template
# every document carries, so it does not select a volet.
DOC_ARC = re.compile(r"1\.2\.250\.1\.213\.1\.1\.1\.[0-9]+(?:\.[0-9]+)*")
GENERIC_ROOT = "1.2.250.1.213.1.1.1.1"
VOLET_FILE = re.compile(r"^CI-SIS_(?P<volet>.+)_(?P<version>[0-9]{4}\.[0-9]{2})\.sch$")


XML_LITERAL = re.compile(r"(['\"])([^'\"\s]+\.xml)\1")


def file_uri(path):
    return "file://" + path.replace("%", "%25").replace(" ", "%20")


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Kit:
    """A kit folder: the volet table, the generated stylesheets, the Saxon executables (compiled once)."""

    def __init__(self, kit_dir, cache_dir):
        self.dir = os.path.abspath(kit_dir)
        self.sch_dir = os.path.join(self.dir, "schematrons")
        # Absolute: substitute value sets are referenced from the generated stylesheets by file URI.
        self.cache_dir = os.path.abspath(cache_dir)
        os.makedirs(self.cache_dir, exist_ok=True)
        self.defects = []
        # Per schematron: lxml skeleton steps (0 when cached on disk), then Saxon's compile.
        self.generate_ms = {}
        self.compile_ms = {}
        self.proc = PySaxonProcessor(license=False)
        self.xslt30 = self.proc.new_xslt30_processor()
        self.executables = {}
        self._noopt = None
        self._steps = None
        self.table = self.volet_table()

    # ---- volet selection -------------------------------------------------------------------------
    def volet_table(self):
        """[(volet, version, file, {document-level roots the schematron tests})] from the kit files.

        The kit ships no mapping table (README): the file name gives volet and version; the document-level
        templateId roots (arc 1.2.250.1.213.1.1.1) written in the schematron and the files it includes give
        the document model. Scanning the includes recursively is what the include step does anyway.
        """
        table = []
        for name in sorted(os.listdir(self.sch_dir)):
            m = VOLET_FILE.match(name)
            if not m:
                continue
            roots = set()
            for path in self.include_closure(os.path.join(self.sch_dir, name)):
                with open(path, encoding="utf-8", errors="replace") as f:
                    roots.update(DOC_ARC.findall(f.read()))
            roots.discard(GENERIC_ROOT)
            table.append((m.group("volet"), m.group("version"), name, roots))
        return table

    def include_closure(self, path, seen=None):
        """The schematron and every file it `sch:include`s or `sch:extends`es, transitively (as written)."""
        seen = [] if seen is None else seen
        if path in seen or not os.path.isfile(path):
            return seen
        seen.append(path)
        try:
            tree = etree.parse(path)
        except etree.XMLSyntaxError:
            return seen
        for el in tree.iter("{%s}include" % SCH_NS, "{%s}extends" % SCH_NS):
            href = el.get("href")
            if href:
                self.include_closure(os.path.normpath(os.path.join(os.path.dirname(path), href)), seen)
        return seen

    def select_volet(self, doc_tree):
        """The volet schematron for a document (README: templateId root + extension = model and version;
        no or an unknown extension → the oldest version of that volet), or None."""
        tids = [
            (e.get("root"), e.get("extension"))
            for e in doc_tree.getroot().findall("{%s}templateId" % HL7)
        ]
        roots = [r for r, _ in tids if r]
        # The most specific document-level root the document declares, last one first; a root that is
        # the prefix of another one the document declares is a parent model (CSE-MDE declares
        # …1.1.1.5 and …1.1.1.5.4): it does not select a volet.
        for root, ext in reversed(tids):
            if not root or root == GENERIC_ROOT or not DOC_ARC.fullmatch(root):
                continue
            if any(r.startswith(root + ".") for r in roots):
                continue
            candidates = [row for row in self.table if root in row[3]]
            if not candidates:
                continue
            # A volet whose own name-level roots include this one; several volets may mention a root
            # (a volet citing another): prefer the ones that mention the fewest document-level roots.
            best = min(len(r[3]) for r in candidates)
            candidates = [r for r in candidates if len(r[3]) == best]
            exact = [r for r in candidates if ext and r[1] == ext]
            if exact:
                return exact[0][2]
            return sorted(candidates, key=lambda r: (r[1], r[2]))[0][2]
        return None

    # ---- compiling -------------------------------------------------------------------------------
    def steps(self):
        if self._steps is None:
            self._steps = [
                etree.XSLT(etree.parse(os.path.join(SKELETON, n)))
                for n in ("iso_dsdl_include.xsl", "iso_abstract_expand.xsl", "iso_svrl_for_xslt1.xsl")
            ]
        return self._steps

    def generated_xslt(self, rel):
        """The SVRL-producing XSLT 2.0 stylesheet of one schematron (cached on disk by content hash)."""
        path = os.path.join(self.sch_dir, rel)
        closure = self.include_closure(path)
        h = hashlib.sha256()
        h.update(sha256_file(os.path.abspath(__file__)).encode())  # how the stylesheet is generated
        for p in closure:
            h.update(p.encode())
            h.update(sha256_file(p).encode())
        out = os.path.join(self.cache_dir, "%s-%s.xsl" % (os.path.basename(rel), h.hexdigest()[:16]))
        if os.path.isfile(out) and os.path.isfile(out + ".defects.json"):
            for d in json.load(open(out + ".defects.json")):
                self.defect(d)
            return out
        before = len(self.defects)
        include, expand, svrl = self.steps()
        doc = etree.ElementTree(self.inline_includes(rel, path, []))
        step1 = include(doc)
        for entry in include.error_log:
            self.defect("%s: include step: %s" % (rel, entry.message))
        step2 = expand(step1)
        root = step2.getroot()
        if root.get("queryBinding") in ("xslt2", "xpath2"):
            root.set("queryBinding", "xslt")
        step3 = svrl(step2)
        for entry in svrl.error_log:
            if entry.level_name in ("ERROR", "FATAL"):
                self.defect("%s: skeleton: %s" % (rel, entry.message))
        sheet = step3.getroot()
        sheet.set("version", "2.0")
        for el in sheet.iter("{http://www.w3.org/1999/XSL/Transform}*"):
            # XSLT instructions only: the `test` written into svrl:failed-assert stays the kit's text.
            for attr in ("select", "test"):
                v = el.get(attr)
                if v and ".xml" in v:
                    el.set(attr, XML_LITERAL.sub(lambda m: self.fix_literal(rel, m), v))
        # document() resolves against the schematron file, as in the kit.
        sheet.set("{http://www.w3.org/XML/1998/namespace}base", file_uri(path))
        tmp = out + ".tmp%d" % os.getpid()
        step3.write(tmp, xml_declaration=True, encoding="UTF-8")
        os.replace(tmp, out)
        with open(out + ".defects.json", "w") as f:
            json.dump(self.defects[before:], f)
        return out

    def inline_includes(self, rel, path, stack):
        """`sch:include` done before the skeleton's include step (which then has nothing left to do),
        because two kit defects break it (README): an `href` with a space (`E_observationTNM _fr.sch`),
        resolved here as written, and a missing file (`E_directiveAnticipee_int.sch`), dropped and
        reported once instead of aborting the whole schematron."""
        root = etree.parse(path).getroot()
        for inc in list(root.iter("{%s}include" % SCH_NS)):
            href = inc.get("href") or ""
            target = os.path.normpath(os.path.join(os.path.dirname(path), unquote(href)))
            parent = inc.getparent()
            if not os.path.isfile(target) or target in stack:
                why = "absent" if not os.path.isfile(target) else "an include cycle"
                self.defect("%s: sch:include %s is %s: dropped" % (rel, href, why))
                parent.remove(inc)
                continue
            sub = self.inline_includes(rel, target, stack + [path])
            sub.tail = inc.tail
            parent.replace(inc, sub)
        return root

    def fix_literal(self, rel, m):
        """Resolves a `'….xml'` string literal of the kit (an argument of `doc()`/`document()`, or a
        `sch:let` path later given to them), applying the README's known defects.

        - the file exists: unchanged;
        - it exists with another letter case (CSE-CS8): the real file;
        - `include/voc-<OID>-DYNAMIC.xml` (Structuration minimale, ART-DECOR layout `/*/valueSet/conceptList/
          concept/@code`): README: "the same value set is jeuxDeValeurs/…" → that SVS value set, rewritten
          in the layout the expression reads;
        - absent otherwise (ClinicalStatusCodes, BilanDiagnostic): an empty document, so the value set is
          empty, as a missing file is for a lenient engine; reported.
        """
        q, href = m.group(1), m.group(2)
        base = os.path.dirname(os.path.join(self.sch_dir, rel))
        path = os.path.normpath(os.path.join(base, href))
        if os.path.isfile(path) or "://" in href:
            return m.group(0)
        folder, name = os.path.split(path)
        if os.path.isdir(folder):
            same = [n for n in os.listdir(folder) if n.lower() == name.lower()]
            if same:
                self.defect("%s: value set %s exists as %s (letter case)" % (rel, href, same[0]))
                return q + file_uri(os.path.join(folder, same[0])) + q
        voc = re.match(r"voc-([0-9.]+)-DYNAMIC\.xml$", name)
        if voc:
            sub = self.artdecor_substitute(voc.group(1))
            if sub:
                self.defect("%s: %s is absent; the same value set read from %s" % (rel, href, sub[1]))
                return q + file_uri(sub[0]) + q
        empty = os.path.join(self.cache_dir, "missing-value-set.xml")
        if not os.path.isfile(empty):
            with open(empty, "w") as f:
                f.write("<missing/>\n")
        self.defect("%s: %s is absent: read as an empty value set" % (rel, href))
        return q + file_uri(empty) + q

    def artdecor_substitute(self, oid):
        jdv = os.path.join(self.dir, "jeuxDeValeurs")
        for n in sorted(os.listdir(jdv)):
            p = os.path.join(jdv, n)
            try:
                t = etree.parse(p)
            except etree.XMLSyntaxError:
                continue
            vs = t.getroot().find("{urn:ihe:iti:svs:2008}ValueSet")
            if vs is None or vs.get("id") != oid:
                continue
            out = os.path.join(self.cache_dir, "voc-%s-from-%s" % (oid, n))
            root = etree.Element("valueSets")
            conc = etree.SubElement(etree.SubElement(root, "valueSet", id=oid), "conceptList")
            for c in vs.iter("{urn:ihe:iti:svs:2008}Concept"):
                etree.SubElement(conc, "concept", {k: v for k, v in c.attrib.items() if "}" not in k})
            etree.ElementTree(root).write(out, xml_declaration=True, encoding="UTF-8")
            return out, "jeuxDeValeurs/" + n
        return None

    def executable(self, rel):
        if rel not in self.executables:
            t0 = time.perf_counter()
            xsl = self.generated_xslt(rel)
            t1 = time.perf_counter()
            proc = self.proc
            try:
                exe = self.xslt30.compile_stylesheet(stylesheet_file=xsl)
            except PySaxonApiError as e:
                # SaxonC-HE 13.1.1's optimiser fails on CI-SIS_BIO-CR-BIO_2024.01 ("Bad parent pointer in
                # expression tree"): an internal error, not a kit error. The same stylesheet compiles
                # and runs without optimisation, which does not change results.
                self.defect("%s: Saxon optimiser error (%s): compiled with optimizationLevel=0" % (rel, str(e).strip()))
                proc = self.unoptimised()
                exe = proc.new_xslt30_processor().compile_stylesheet(stylesheet_file=xsl)
            self.generate_ms[rel] = round((t1 - t0) * 1000, 1)
            self.executables[rel] = (proc, exe)
            self.compile_ms[rel] = round((time.perf_counter() - t1) * 1000, 1)
        return self.executables[rel]

    def unoptimised(self):
        if self._noopt is None:
            self._noopt = PySaxonProcessor(license=False)
            self._noopt.set_configuration_property("http://saxon.sf.net/feature/optimizationLevel", "0")
        return self._noopt

    def defect(self, msg):
        if msg not in self.defects:
            self.defects.append(msg)

    # ---- running ---------------------------------------------------------------------------------
    def run(self, doc_path, volet=None, xsd=True):
        t0 = time.perf_counter()
        raw = open(doc_path, "rb").read()
        tree = etree.parse(doc_path, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
        if volet is None:
            volet = self.select_volet(tree)
        elif volet == "none":
            volet = None
        schematrons = [STRUCT_MIN] + ([volet] if volet else []) + PROFILES
        result = {
            "file": doc_path,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "volet": volet,
            "schematrons": schematrons,
            "asserts": [],
            "errors": [],
        }
        if xsd:
            result["xsd_errors"] = self.xsd_errors(tree)
        nodes = {}
        per = {}
        for rel in schematrons:
            proc, exe = self.executable(rel)
            if id(proc) not in nodes:
                nodes[id(proc)] = proc.parse_xml(xml_file_name=os.path.abspath(doc_path))
            node = nodes[id(proc)]
            t1 = time.perf_counter()
            exe.set_cwd(os.path.dirname(os.path.join(self.sch_dir, rel)))
            try:
                out = exe.transform_to_string(xdm_node=node)
            except PySaxonApiError as e:
                out, msg = None, str(e).strip()
            else:
                msg = "no output"
            per[rel] = round((time.perf_counter() - t1) * 1000, 1)
            if out is None:
                # A dynamic error stops the whole schematron: never a pass.
                result["errors"].append({"schematron": rel, "message": msg})
                continue
            result["asserts"].extend(parse_svrl(rel, out))
        failed = any(a["is_error"] for a in result["asserts"]) or result["errors"]
        if xsd and result["xsd_errors"]:
            failed = True
        result["verdict"] = "fail" if failed else "pass"
        result["ms"] = {"total": round((time.perf_counter() - t0) * 1000, 1), "per_schematron": per}
        return result

    def xsd_errors(self, tree):
        if not hasattr(self, "_xsd"):
            self._xsd = etree.XMLSchema(
                etree.parse(os.path.join(self.dir, "infrastructure", "cda", "CDA_extended.xsd"))
            )
        ok = self._xsd.validate(tree)
        return [] if ok else [{"line": e.line, "message": e.message} for e in self._xsd.error_log]


def parse_svrl(rel, text):
    out = []
    svrl = etree.fromstring(text.encode("utf-8"))
    for el in svrl:
        if not isinstance(el.tag, str):
            continue
        kind = etree.QName(el).localname
        if kind not in ("failed-assert", "successful-report"):
            continue
        role = el.get("role") or ""
        msg = " ".join("".join(t.itertext()) for t in el.findall("{%s}text" % SVRL_NS))
        out.append(
            {
                "schematron": rel,
                "kind": kind,
                "test": el.get("test") or "",
                "location": el.get("location") or "",
                "role": role,
                "is_error": role.strip().lower() not in NON_ERROR_ROLES,
                "text": " ".join(msg.split()),
            }
        )
    return out


def verify_samples(kit, samples_dir):
    """Runs every CDA sample of expected.json and compares the verdict with `official_kit`."""
    expected = json.load(open(os.path.join(samples_dir, "expected.json")))["files"]
    rows, mismatches = [], 0
    for rel, exp in sorted(expected.items()):
        if exp.get("kind") != "cda":
            continue
        r = kit.run(os.path.join(samples_dir, rel))
        ok = r["verdict"] == exp.get("official_kit")
        mismatches += 0 if ok else 1
        errs = [a for a in r["asserts"] if a["is_error"]]
        rows.append(
            {
                "file": rel,
                "expected": exp.get("official_kit"),
                "expected_reason": exp.get("official_kit_reason"),
                "saxon": r["verdict"],
                "volet": r["volet"],
                "xsd_errors": len(r.get("xsd_errors", [])),
                "errors": r["errors"],
                "failed": [
                    "%s | %s | %s" % (os.path.basename(a["schematron"]), a["location"], a["text"][:160])
                    for a in errs
                ],
                "ms": r["ms"],
            }
        )
    return {"mismatches": mismatches, "samples": rows}


def bench(kit, docs, repeat):
    """The benchmark baseline: cold start (load + compile + first document), then each document `repeat`
    times on the warm executables. Times in ms."""
    t0 = time.perf_counter()
    kit.run(docs[0], xsd=False)
    cold = (time.perf_counter() - t0) * 1000
    for d in docs:  # warm-up: compiles every volet used
        kit.run(d, xsd=False)
    per_doc = {}
    t1 = time.perf_counter()
    for _ in range(repeat):
        for d in docs:
            t = time.perf_counter()
            kit.run(d, xsd=False)
            per_doc.setdefault(d, []).append((time.perf_counter() - t) * 1000)
    wall = time.perf_counter() - t1
    medians = sorted(sorted(v)[len(v) // 2] for v in per_doc.values())
    return {
        "documents": len(docs),
        "repeat": repeat,
        "cold_first_verdict_ms": round(cold, 1),
        "median_ms_per_document": round(medians[len(medians) // 2], 1),
        "max_median_ms": round(medians[-1], 1),
        "documents_per_second": round(len(docs) * repeat / wall, 2),
        "per_document_median_ms": {os.path.basename(d): round(sorted(v)[len(v) // 2], 1) for d, v in per_doc.items()},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kit", required=True)
    ap.add_argument("--cache", default=os.path.join("target", "saxon-reference"))
    ap.add_argument("--volet", help="schematron file (relative to schematrons/) or 'none'; default: by templateId")
    ap.add_argument("--no-xsd", action="store_true")
    ap.add_argument("--verify-samples", metavar="SAMPLES_DIR")
    ap.add_argument("--bench", type=int, metavar="N", help="benchmark: run the documents N times (warm)")
    ap.add_argument("docs", nargs="*")
    args = ap.parse_args()
    t0 = time.perf_counter()
    kit = Kit(args.kit, args.cache)
    if args.bench:
        out = bench(kit, args.docs, args.bench)
    elif args.verify_samples:
        out = verify_samples(kit, args.verify_samples)
    else:
        out = {"documents": [kit.run(d, args.volet, not args.no_xsd) for d in args.docs]}
    out["generate_ms"] = kit.generate_ms
    out["compile_ms"] = kit.compile_ms
    out["kit_defects"] = kit.defects
    out["total_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 1 if out.get("mismatches") else 0


if __name__ == "__main__":
    sys.exit(main())
