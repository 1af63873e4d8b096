#!/usr/bin/env python3
"""Regenerate src/catalogue/valuesets/*.tsv, the value sets compiled into the binary.

Sources (read-only): the official kit's SVS files (../shared/ans-kit/jeuxDeValeurs) and the DMP value sets and
NOS correspondence tables of ../shared/domain/valuesets. Run from the crate root:

    python3 tools/gen_valuesets.py ../shared

Each output starts with `#` header lines (name, oid, version/date, source file, sha256 of the source) followed
by one concept per line: `code<TAB>codeSystem<TAB>displayName`; for correspondence tables (ASS_*):
`sourceCode<TAB>sourceSystem<TAB>targetCode<TAB>targetSystem`. XML comments are not members (J65 keeps
TRE_G16 codes inside comments).
"""
import hashlib, json, pathlib, sys
import xml.etree.ElementTree as ET

shared = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "../shared")
out = pathlib.Path("src/catalogue/valuesets")
out.mkdir(parents=True, exist_ok=True)
SVS = "{urn:ihe:iti:svs:2008}"

KIT = {
    "J01": "JDV_J01_XdsAuthorSpecialty_CISIS.xml",
    "J02": "JDV_J02_XdsHealthcareFacilityTypeCode_CISIS.xml",
    "J04": "JDV_J04_XdsPracticeSettingCode_CISIS.xml",
    "J07": "JDV_J07_XdsTypeCode_CISIS.xml",
    "J08": "JDV_J08_XdsConfidentialityCode_CISIS.xml",
    "J47": "JDV_J47_FunctionCode_CISIS.xml",
    "J142": "JDV_J142_TypeRencontre_CISIS.xml",
    "J143": "JDV_J143_AdministrativeGender_CISIS.xml",
    "J254": "JDV_J254_CategorieEtablissementESSMSPH.xml",
}
DMP_JSON = {
    "J56": "ValueSet-JDV-J56-AuthorSpecialty-DMP.json",
    "J59": "ValueSet-JDV-J59-ContentTypeCode-DMP.json",
    "J60": "ValueSet-JDV-J60-FormatCode-DMP.json",
    "J62": "ValueSet-JDV-J62-PracticeSettingCode-DMP.json",
    "J66": "ValueSet-JDV-J66-TypeCode-DMP.json",
}

def sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()

def clean(s):
    return (s or "").replace("\t", " ").replace("\n", " ").strip()

def svs(name, path, rel):
    root = ET.parse(path).getroot()
    vs = root.find(f"{SVS}ValueSet")
    rows = [(c.get("code"), c.get("codeSystem"), c.get("displayName")) for c in vs.iter(f"{SVS}Concept")]
    hdr = [f"# name\t{name}", f"# oid\t{vs.get('id')}", f"# version\t{vs.get('dateMaj')}", f"# source\t{rel}", f"# sha256\t{sha(path)}"]
    (out / f"{name}.tsv").write_text("\n".join(hdr + ["\t".join(clean(x) for x in r) for r in rows]) + "\n", encoding="utf-8")
    print(name, len(rows))

for name, f in KIT.items():
    svs(name, shared / "ans-kit/jeuxDeValeurs" / f, f"ans-kit/jeuxDeValeurs/{f}")
svs("J65", shared / "domain/valuesets/JDV_J65-SubjectRole-DMP.xml", "domain/valuesets/JDV_J65-SubjectRole-DMP.xml")

for name, f in DMP_JSON.items():
    p = shared / "domain/valuesets" / f
    d = json.loads(p.read_text(encoding="utf-8"))
    rows = []
    for inc in d["compose"]["include"]:
        for c in inc.get("concept", []):
            rows.append((c["code"], inc["system"], c.get("display", "")))
    oid = next((i["value"] for i in d.get("identifier", []) if "value" in i), d["url"])
    hdr = [f"# name\t{name}", f"# oid\t{oid.removeprefix('urn:oid:')}", f"# version\t{d.get('version')} ({d.get('date')})", f"# source\tdomain/valuesets/{f}", f"# sha256\t{sha(p)}"]
    (out / f"{name}.tsv").write_text("\n".join(hdr + ["\t".join(clean(x) for x in r) for r in rows]) + "\n", encoding="utf-8")
    print(name, len(rows))

for name, f in {"ASS_X04": "ASS_X04-CorrespondanceType-Classe-CISIS.xml", "ASS_A11": "ASS_A11-CorresModeleCDA-XdsFormatCode-CISIS.xml"}.items():
    p = shared / "domain/valuesets" / f
    root = ET.parse(p).getroot()
    vs = root.find(f"{SVS}ValueSet")
    rows = []
    for mc in vs.iter(f"{SVS}MappedConcept"):
        a, b = mc.findall(f"{SVS}Concept")[:2]
        rows.append((a.get("code"), a.get("codeSystem"), b.get("code"), b.get("codeSystem")))
    hdr = [f"# name\t{name}", f"# oid\t{vs.get('id')}", f"# version\t{vs.get('dateMaj')}", f"# source\tdomain/valuesets/{f}", f"# sha256\t{sha(p)}"]
    (out / f"{name}.tsv").write_text("\n".join(hdr + ["\t".join(clean(x) for x in r) for r in rows]) + "\n", encoding="utf-8")
    print(name, len(rows))
