#!/usr/bin/env python3
"""Regenerate the XDS fixtures: fixtures/valid/xds/* and fixtures/invalid/xds/* (see fixtures/xds.md).

Run from the crate root:

    python3 tools/gen_xds_fixtures.py

Bases: the two base CDA fixtures (fixtures/valid/cda/n1-pdf.xml, tddui-export.xml) and, for the DMP
submissions, a variant of n1-pdf.xml written by a physician (DURAND, RPPS 801234567897, G15_10/SM26) in a
home-care practice setting (SAD): the DUI software author (LOGICIEL_DUI) and the ESSMS practice setting are
outside the DMP value sets J56 / J62 (XDS-DE-039 / XDS-DE-038 warnings), so a conformant DMP submission
cannot carry the base N1 document as is. Metadata values are derived from the CDA header as
shared/domain/xds-dmp.md says (XDS-DE-020…026); hash and size are computed on the exact document bytes.

Each invalid fixture is the valid ITI-41 (plain SOAP, inline base64) with one defect, named in its leading
XML comment; ID-032 and XDS-DE-036 need an XDM archive (a patientId that is not the INS only matters in XDM;
the ASS_A11 model pairing needs a structured CDA, and the structured base is the TDDUI export, which the DMP
refuses), so those two are zips shaped like fixtures/valid/xdm/*.zip.
"""
import base64
import hashlib
import io
import os
import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CDA_DIR = os.path.join(ROOT, "fixtures", "valid", "cda")
HL7 = "{urn:hl7-org:v3}"

SS_NODE = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
SS_AUTHOR = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
SS_CONTENT = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
SS_PATIENT = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
SS_SOURCE = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
SS_UNIQUE = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
DE_STABLE = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
DE_ON_DEMAND = "urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248"
DE_AUTHOR = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
DE_CLASS = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
DE_CONF = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"
DE_FORMAT = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
DE_FACILITY = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"
DE_PRACTICE = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"
DE_TYPE = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
DE_PATIENT = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
DE_UNIQUE = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
HAS_MEMBER = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"

A11 = "1.3.6.1.4.1.19376.1.2.3"
A06 = "1.2.250.1.213.1.1.4.2.282"
XDS_SD = {"application/pdf": "urn:ihe:iti:xds-sd:pdf:2008", "text/plain": "urn:ihe:iti:xds-sd:text:2008"}
# ASS_X04 (typeCode → classCode) and ASS_A11 (model templateId → formatCode) for the two models used.
CLASS = {"28653-4": ("10", "Compte rendu"), "EXPORT_DUI": ("11", "Synthèse")}
FORMAT = {"1.2.250.1.213.1.1.1.58": ("urn:asip:ci-sis:export-dui:2023", A06, "Export du Dossier Usager informatisé")}


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def utc(ts):
    """HL7 TS with offset → XDS DTM in UTC at the same precision (XDS-DE-021)."""
    m = re.fullmatch(r"(\d{4,14})(?:([+-])(\d\d)(\d\d))?", ts)
    digits, sign, hh, mm = m.groups()
    if not sign or len(digits) <= 8:
        return digits
    full = (digits + "0" * 14)[:14]
    t = datetime.strptime(full, "%Y%m%d%H%M%S")
    off = timedelta(hours=int(hh), minutes=int(mm))
    t = t - off if sign == "+" else t + off
    return t.strftime("%Y%m%d%H%M%S")[: len(digits)]


def dmp_variant(n1: bytes) -> bytes:
    """n1-pdf.xml written by a physician in a home-care (SAD) practice setting: DMP value sets hold."""
    s = n1.decode("utf-8")
    s = re.sub(r"<!-- dui-conform fixture:.*?-->", "<!-- dui-conform fixture (tools/gen_xds_fixtures.py): fixtures/valid/cda/n1-pdf.xml written by a physician\n     (RPPS 801234567897, G15_10/SM26) of the SSIAD in a home-care practice setting (SAD), for DMP submissions. -->", s, count=1, flags=re.S)
    person = (
        '<id root="1.2.250.1.71.4.2.1" extension="801234567897"/>\n'
        '\t\t\t<code code="G15_10/SM26" displayName="Médecin - Qualifié en Médecine Générale (SM)" codeSystem="1.2.250.1.213.1.1.4.5"/>\n'
        "\t\t\t<assignedPerson>\n\t\t\t\t<name>\n\t\t\t\t\t<family>DURAND</family>\n\t\t\t\t\t<given>Paul</given>\n\t\t\t\t</name>\n\t\t\t</assignedPerson>"
    )
    device = re.compile(
        r'<id root="1\.2\.250\.1\.71\.4\.2\.1" extension="3480787529/1453"/>\s*'
        r'<code code="LOGICIEL_DUI"[^>]*/>\s*'
        r"<assignedAuthoringDevice>.*?</assignedAuthoringDevice>",
        re.S,
    )
    s, n = device.subn(person, s, count=1)
    assert n == 1, "author block of n1-pdf.xml changed"
    la = re.compile(r'(<legalAuthenticator>.*?<assignedEntity>\s*)<id root="1\.2\.250\.1\.71\.4\.2\.1" extension="3480787529/1453"/>\s*<code code="LOGICIEL_DUI"[^>]*/>', re.S)
    s, n = la.subn(lambda m: m.group(1) + person, s, count=1)
    assert n == 1, "legalAuthenticator block of n1-pdf.xml changed"
    perf = re.compile(r'(<performer typeCode="PRF">\s*<assignedEntity>\s*)<id root="1\.2\.250\.1\.71\.4\.2\.1" extension="3480787529/1453"/>\s*<code code="LOGICIEL_DUI"[^>]*/>', re.S)
    s, n = perf.subn(lambda m: m.group(1) + '<id root="1.2.250.1.71.4.2.1" extension="801234567897"/>', s, count=1)
    assert n == 1, "performer block of n1-pdf.xml changed"
    s = s.replace('<standardIndustryClassCode code="ESSMS" displayName="Etablissement ou Service Social ou Médico-Social"', '<standardIndustryClassCode code="SAD" displayName="Soins à domicile"')
    return s.encode("utf-8")


class Header:
    """The CDA header values the metadata mirror (xds-dmp.md XDS-DE-020…026)."""

    def __init__(self, data: bytes):
        r = ET.fromstring(data)
        f = lambda p: r.find(p.replace("/", "/" + HL7).replace("./", "./"))  # noqa: E731
        g = lambda path: r.find("./" + "/".join(HL7 + x for x in path.split("/")))  # noqa: E731
        self.id_root = g("id").get("root")
        code = g("code")
        self.type_code, self.type_system, self.type_display = code.get("code"), code.get("codeSystem"), code.get("displayName")
        self.title = " ".join("".join(g("title").itertext()).split())
        self.effective = g("effectiveTime").get("value")
        self.conf = g("confidentialityCode").get("code")
        self.lang = g("languageCode").get("code")
        pr = g("recordTarget/patientRole")
        ids = [(i.get("root"), i.get("extension")) for i in pr.findall(HL7 + "id")]
        self.ins = next((x for x in ids if x[0].startswith("1.2.250.1.213.1.4.") and x[0].rsplit(".", 1)[1] in ("8", "9", "10", "11")), None)
        self.local = next(x for x in ids if not x[0].startswith("1.2.250.1.213.1.4."))
        pat = pr.find(HL7 + "patient")
        name = pat.find(HL7 + "name")
        self.family = name.find(HL7 + "family").text
        givens = [x.text for x in name.findall(HL7 + "given")]
        self.given, self.givens = givens[1] if len(givens) > 1 else givens[0], givens[0]
        self.sex = pat.find(HL7 + "administrativeGenderCode").get("code")
        self.birth = pat.find(HL7 + "birthTime").get("value")
        aa = g("author/assignedAuthor")
        aid = aa.find(HL7 + "id")
        self.author_id, self.author_root = aid.get("extension"), aid.get("root")
        acode = aa.find(HL7 + "code")
        self.author_code = (acode.get("code"), acode.get("displayName"), acode.get("codeSystem"))
        person = aa.find(HL7 + "assignedPerson")
        if person is not None:
            n = person.find(HL7 + "name")
            self.author_xcn = f"{self.author_id}^{n.find(HL7 + 'family').text}^{n.find(HL7 + 'given').text}^^^^^^&{self.author_root}&ISO^D^^^IDNPS"
        else:
            dev = aa.find(HL7 + "assignedAuthoringDevice")
            self.author_xcn = f"{self.author_id}^{dev.find(HL7 + 'softwareName').text}^{dev.find(HL7 + 'manufacturerModelName').text}^^^^^^&{self.author_root}&ISO^U"
        org = aa.find(HL7 + "representedOrganization")
        self.org_id = org.find(HL7 + "id").get("extension")
        self.org_name = org.find(HL7 + "name").text
        la = g("legalAuthenticator/assignedEntity")
        lid = la.find(HL7 + "id")
        lp = la.find(HL7 + "assignedPerson")
        if lp is not None:
            n = lp.find(HL7 + "name")
            self.legal_xcn = f"{lid.get('extension')}^{n.find(HL7 + 'family').text}^{n.find(HL7 + 'given').text}^^^^^^&{lid.get('root')}&ISO^D^^^IDNPS"
        else:
            self.legal_xcn = self.author_xcn
        se = g("documentationOf/serviceEvent")
        et = se.find(HL7 + "effectiveTime")
        low, high = et.find(HL7 + "low"), et.find(HL7 + "high")
        self.start = low.get("value") if low is not None else None
        self.stop = high.get("value") if high is not None else None
        sic = se.find(f"{HL7}performer/{HL7}assignedEntity/{HL7}representedOrganization/{HL7}standardIndustryClassCode")
        self.practice = (sic.get("code"), sic.get("codeSystem"), sic.get("displayName"))
        hcf = g("componentOf/encompassingEncounter/location/healthCareFacility/code")
        self.facility = (hcf.get("code"), hcf.get("codeSystem"), hcf.get("displayName"))
        self.templates = [t.get("root") for t in r.findall(HL7 + "templateId")]
        text = g("component/nonXMLBody/text")
        self.media = text.get("mediaType") if text is not None else None


def params(doc: bytes, h: Header, dmp: bool):
    """The metadata values of a conformant submission of `doc`."""
    if h.media:
        fmt = (XDS_SD[h.media], A11, "Document à corps non structuré en Pdf/A-1")
    else:
        fmt = next(FORMAT[t] for t in h.templates if t in FORMAT)
    cls = CLASS[h.type_code]
    ins_cx = f"{h.ins[1]}^^^&{h.ins[0]}&ISO^NH"
    return {
        "ss_id": "SubmissionSet01",
        "de_id": "Document01",
        "submission_time": "20260315093000",
        "ss_title": "Envoi de documents du DUI",
        "content_type": ("SA41", "1.2.250.1.71.4.2.4", "Autre établissement du domaine social ou médico-social"),
        "ss_patient": ins_cx,
        "source_id": "1.2.250.1.71.4.2.2.1480787529",
        "ss_unique": "1.2.250.1.213.4.99.3.20260315093000",
        "ss_author_person": h.author_xcn,
        "ss_author_institution": f"{h.org_name}^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^{h.org_id}",
        "ss_author_specialty": f"{h.author_code[0]}^{h.author_code[1]}^{h.author_code[2]}",
        "ss_extra_classification": None,
        "ss_node": True,
        "ss_source": True,
        "object_type": DE_STABLE,
        "mime": "text/xml",
        "hash": hashlib.sha1(doc).hexdigest(),
        "size": str(len(doc)),
        "uri": "DOC0001.XML",
        "creation": utc(h.effective),
        "lang": h.lang,
        "legal": h.legal_xcn,
        "start": utc(h.start) if h.start else None,
        "stop": utc(h.stop) if h.stop else None,
        "source_patient": f"{h.local[1]}^^^&{h.local[0]}&ISO^PI",
        "source_patient_info": [f"PID-5|{h.family}^{h.given}^{h.givens}^^^^L", f"PID-7|{h.birth}", f"PID-8|{h.sex}"],
        "title": h.title,
        "de_author_person": h.author_xcn,
        "de_author_institution": f"{h.org_name}^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^{h.org_id}",
        "de_author_specialty": f"{h.author_code[0]}^{h.author_code[1]}^{h.author_code[2]}",
        "de_author_role": None,
        "class": (cls[0], "1.2.250.1.213.1.1.4.1", cls[1]),
        "confidentiality": [(h.conf, "2.16.840.1.113883.5.25", "Normal")],
        "format": fmt,
        "facility": h.facility,
        "practice": h.practice,
        "type": (h.type_code, h.type_system, h.type_display),
        "de_patient": ins_cx,
        "de_unique": h.id_root,
        "de_extra_classification": None,
        "association": True,
        "status": "Original",
        "with_uri": not dmp,
    }


def slot(name, *values):
    vs = "".join(f"<rim:Value>{esc(v)}</rim:Value>" for v in values)
    return f'<rim:Slot name="{name}"><rim:ValueList>{vs}</rim:ValueList></rim:Slot>'


def classification(cid, scheme, obj, code, system, display, inner=""):
    cs = slot("codingScheme", system) if system is not None else ""
    return (
        f'<rim:Classification id="{cid}" classificationScheme="{scheme}" classifiedObject="{obj}" nodeRepresentation="{esc(code)}">'
        f'{inner}{cs}<rim:Name><rim:LocalizedString value="{esc(display)}"/></rim:Name></rim:Classification>'
    )


def author(cid, scheme, obj, person, institution, specialty, role=None):
    inner = ""
    if institution:
        inner += slot("authorInstitution", institution)
    if person:
        inner += slot("authorPerson", person)
    if role:
        inner += slot("authorRole", role)
    if specialty:
        inner += slot("authorSpecialty", specialty)
    return f'<rim:Classification id="{cid}" classificationScheme="{scheme}" classifiedObject="{obj}" nodeRepresentation="">{inner}</rim:Classification>'


def ext_id(xid, scheme, obj, value, name):
    return f'<rim:ExternalIdentifier id="{xid}" identificationScheme="{scheme}" registryObject="{obj}" value="{esc(value)}"><rim:Name><rim:LocalizedString value="{name}"/></rim:Name></rim:ExternalIdentifier>'


def metadata(p, root=True):
    ss, de = p["ss_id"], p["de_id"]
    ct = p["content_type"]
    out = []
    ns = ' xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"'
    out.append(f"<lcm:SubmitObjectsRequest{ns}>\n<rim:RegistryObjectList>\n")
    out.append(f'<rim:RegistryPackage id="{ss}" objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage">\n')
    out.append(slot("submissionTime", p["submission_time"]) + "\n")
    out.append(f'<rim:Name><rim:LocalizedString value="{esc(p["ss_title"])}"/></rim:Name>\n')
    if p["ss_node"]:
        out.append(f'<rim:Classification id="cl-ss-node" classificationNode="{SS_NODE}" classifiedObject="{ss}"/>\n')
    out.append(author("cl-ss-author", SS_AUTHOR, ss, p["ss_author_person"], p["ss_author_institution"], p["ss_author_specialty"]) + "\n")
    out.append(classification("cl-ss-content", SS_CONTENT, ss, ct[0], ct[1], ct[2]) + "\n")
    if p["ss_extra_classification"]:
        out.append(p["ss_extra_classification"] + "\n")
    out.append(ext_id("ei-ss-patient", SS_PATIENT, ss, p["ss_patient"], "XDSSubmissionSet.patientId") + "\n")
    if p["ss_source"]:
        out.append(ext_id("ei-ss-source", SS_SOURCE, ss, p["source_id"], "XDSSubmissionSet.sourceId") + "\n")
    out.append(ext_id("ei-ss-unique", SS_UNIQUE, ss, p["ss_unique"], "XDSSubmissionSet.uniqueId") + "\n")
    out.append("</rim:RegistryPackage>\n")
    out.append(f'<rim:ExtrinsicObject id="{de}" mimeType="{p["mime"]}" objectType="{p["object_type"]}">\n')
    for name in ["creationTime", "hash", "languageCode", "legalAuthenticator", "serviceStartTime", "serviceStopTime", "size", "sourcePatientId"]:
        key = {"creationTime": "creation", "hash": "hash", "languageCode": "lang", "legalAuthenticator": "legal", "serviceStartTime": "start", "serviceStopTime": "stop", "size": "size", "sourcePatientId": "source_patient"}[name]
        if p.get(key):
            out.append(slot(name, p[key]) + "\n")
    if p["source_patient_info"]:
        out.append(slot("sourcePatientInfo", *p["source_patient_info"]) + "\n")
    if p["with_uri"]:
        out.append(slot("URI", p["uri"]) + "\n")
    out.append(f'<rim:Name><rim:LocalizedString value="{esc(p["title"])}"/></rim:Name>\n')
    out.append(author("cl-de-author", DE_AUTHOR, de, p["de_author_person"], p["de_author_institution"], p["de_author_specialty"], p["de_author_role"]) + "\n")
    c = p["class"]
    out.append(classification("cl-de-class", DE_CLASS, de, c[0], c[1], c[2]) + "\n")
    for i, (code, system, display) in enumerate(p["confidentiality"]):
        out.append(classification(f"cl-de-conf{i + 1}", DE_CONF, de, code, system, display) + "\n")
    for key, scheme, cid in [("format", DE_FORMAT, "cl-de-format"), ("facility", DE_FACILITY, "cl-de-facility"), ("practice", DE_PRACTICE, "cl-de-practice"), ("type", DE_TYPE, "cl-de-type")]:
        v = p[key]
        if key == "format":
            out.append(classification(cid, scheme, de, v[0], v[1], v[2]) + "\n")
        else:
            out.append(classification(cid, scheme, de, v[0], v[1], v[2]) + "\n")
    if p["de_extra_classification"]:
        out.append(p["de_extra_classification"] + "\n")
    out.append(ext_id("ei-de-patient", DE_PATIENT, de, p["de_patient"], "XDSDocumentEntry.patientId") + "\n")
    out.append(ext_id("ei-de-unique", DE_UNIQUE, de, p["de_unique"], "XDSDocumentEntry.uniqueId") + "\n")
    out.append("</rim:ExtrinsicObject>\n")
    if p["association"]:
        out.append(f'<rim:Association id="as-01" associationType="{HAS_MEMBER}" sourceObject="{ss}" targetObject="{de}">{slot("SubmissionSetStatus", p["status"])}</rim:Association>\n')
    out.append("</rim:RegistryObjectList>\n</lcm:SubmitObjectsRequest>\n")
    return "".join(out)


def envelope(meta, document_xml):
    return (
        '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing">\n'
        "<soap:Header>\n"
        '<wsa:Action soap:mustUnderstand="true">urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b</wsa:Action>\n'
        "<wsa:MessageID>urn:uuid:0b9f6c1e-5d8a-4e1f-9b3c-2a7d4e6f8a01</wsa:MessageID>\n"
        '<wsa:To soap:mustUnderstand="true">https://dmp.example.org/repository</wsa:To>\n'
        "</soap:Header>\n<soap:Body>\n"
        '<xdsb:ProvideAndRegisterDocumentSetRequest xmlns:xdsb="urn:ihe:iti:xds-b:2007">\n'
        f"{meta}{document_xml}\n"
        "</xdsb:ProvideAndRegisterDocumentSetRequest>\n</soap:Body>\n</soap:Envelope>\n"
    )


def soap(meta, doc: bytes, comment, doc_id="Document01"):
    b64 = base64.encodebytes(doc).decode("ascii").strip()
    body = f'<xdsb:Document id="{doc_id}">{b64}</xdsb:Document>'
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' f"<!-- {comment} -->\n" + envelope(meta, body)).encode("utf-8")


def mtom(meta, doc: bytes, comment, doc_id="Document01"):
    boundary = "MIMEBoundary_dui_conform_0001"
    cid = f"1.{doc_id}@dui-conform.example.org"
    href = cid.replace("@", "%40")
    inc = f'<xdsb:Document id="{doc_id}"><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:{href}"/></xdsb:Document>'
    root = ('<?xml version="1.0" encoding="UTF-8"?>\n' f"<!-- {comment} -->\n" + envelope(meta, inc)).encode("utf-8")
    crlf = b"\r\n"
    parts = [
        f"--{boundary}".encode(),
        b'Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"',
        b"Content-Transfer-Encoding: binary",
        b"Content-ID: <0.root@dui-conform.example.org>",
        b"",
        root,
        f"--{boundary}".encode(),
        b"Content-Type: text/xml",
        b"Content-Transfer-Encoding: binary",
        f"Content-ID: <{cid}>".encode(),
        b"",
        doc,
        f"--{boundary}--".encode(),
        b"",
    ]
    return crlf.join(parts)


INDEX = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>IHE_XDM</title></head><body>\n'
    "<p>Emetteur : SSIAD Les Tilleuls (1480787529)</p>\n"
    '<p>Voir le fichier <a href="README.TXT">ReadMe</a></p>\n'
    "</body></html>\n"
)
README = (
    "Emetteur :\r\n=============\r\n    . Nom : SSIAD Les Tilleuls\r\n    . Organisme : SSIAD Les Tilleuls (1480787529)\r\n"
    "    . Adresse : 1 rue des Tilleuls 51100 REIMS\r\n    . Téléphone : tel:0300000000\r\n\r\n"
    "Application de l'emetteur :\r\n=========================\r\n    . Nom : DUI de référence\r\n    . Version : 1.0\r\n    . Editeur : dui-conform\r\n\r\n"
    "Instructions :\r\n=============\r\n. Consultez les fichiers reçus par messagerie sécurisée de santé dans votre logiciel.\r\n\r\n"
    "Arborescence :\r\n============\r\n     README.TXT\r\n     INDEX.HTM\r\n     + IHE_XDM\r\n           +SUBSET01\r\n                METADATA.XML\r\n                DOC0001.XML\r\n"
)


def xdm(meta, doc: bytes, comment):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in [("INDEX.HTM", INDEX.encode()), ("README.TXT", README.encode()), ("IHE_XDM/SUBSET01/METADATA.XML", ('<?xml version="1.0" encoding="UTF-8"?>\n' + meta).encode()), ("IHE_XDM/SUBSET01/DOC0001.XML", doc)]:
            zi = zipfile.ZipInfo(name, date_time=(2026, 3, 15, 10, 16, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)
        z.comment = comment.encode()
    return buf.getvalue()


def write(rel, data):
    path = os.path.join(ROOT, "fixtures", rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    n1 = open(os.path.join(CDA_DIR, "n1-pdf.xml"), "rb").read()
    tddui = open(os.path.join(CDA_DIR, "tddui-export.xml"), "rb").read()
    dmp_doc = dmp_variant(n1)
    h = Header(dmp_doc)
    base = params(dmp_doc, h, dmp=True)

    # ---- valid
    write("valid/xds/iti41-n1-soap.xml", soap(metadata(base), dmp_doc, "dui-conform fixture (tools/gen_xds_fixtures.py): conformant ITI-41 to the DMP, plain SOAP 1.2, the level-1 PDF CDA inline in base64"))
    write("valid/xds/iti41-n1-mtom.mtom", mtom(metadata(base), dmp_doc, "dui-conform fixture (tools/gen_xds_fixtures.py): conformant ITI-41 to the DMP, MTOM/XOP, the level-1 PDF CDA in its own MIME part"))
    for name, doc in [("n1-pdf", n1), ("tddui-export", tddui)]:
        hh = Header(doc)
        p = params(doc, hh, dmp=False)
        comment = f"dui-conform fixture (tools/gen_xds_fixtures.py): METADATA.XML of an XDM archive carrying fixtures/valid/cda/{name}.xml as DOC0001.XML (standalone: no document, the consistency rules do not apply)"
        write(f"valid/xds/metadata-{name}.xml", ('<?xml version="1.0" encoding="UTF-8"?>\n' f"<!-- {comment} -->\n" + metadata(p)).encode())

    # ---- invalid (ITI-41 plain SOAP, one defect each)
    other_ins = "185057800604830^^^&1.2.250.1.213.1.4.10&ISO^NH"
    esmss_doc = dmp_doc.replace(b'<standardIndustryClassCode code="SAD" displayName="Soins \xc3\xa0 domicile"', '<standardIndustryClassCode code="ESSMS" displayName="Etablissement ou Service Social ou Médico-Social"'.encode())
    assert esmss_doc != dmp_doc
    sa66_doc = re.sub(
        rb'<code code="SA41"[^>]*>\s*<translation[^>]*/>\s*</code>',
        '<code code="SA66" displayName="Services de Prévention et de Santé au Travail (SPST)" codeSystem="1.2.250.1.71.4.2.4"/>'.encode(),
        dmp_doc,
    )
    assert sa66_doc != dmp_doc
    unknown = "urn:uuid:00000000-0000-4000-8000-000000000001"
    cases = [
        ("XDS-UUID-010", "the SubmissionSet carries a classification whose classificationScheme is an unknown UUID", {"ss_extra_classification": classification("cl-ss-x", unknown, "SubmissionSet01", "X", "1.2.3", "Inconnu")}, None),
        ("XDS-UUID-011", "the DocumentEntry carries a classification whose classificationScheme is the SubmissionSet contentTypeCode UUID", {"de_extra_classification": classification("cl-de-x", SS_CONTENT, "Document01", "SA41", "1.2.250.1.71.4.2.4", "Autre")}, None),
        ("XDS-SS-010", "the RegistryPackage has no SubmissionSet classification (classificationNode)", {"ss_node": False}, None),
        ("XDS-SS-011", "the SubmissionSet has no sourceId ExternalIdentifier", {"ss_source": False}, None),
        ("XDS-SS-012", "the SubmissionSet author has no authorInstitution", {"ss_author_institution": None}, None),
        ("XDS-SS-013", "the SubmissionSet patientId is another (valid) INS than the DocumentEntry's", {"ss_patient": other_ins}, None),
        ("XDS-SS-014", "no HasMember association from the SubmissionSet to the DocumentEntry", {"association": False}, None),
        ("XDS-SS-015", "the SubmissionSet contentTypeCode SA62 is in neither JDV_J03 nor JDV_J59 (warning)", {"content_type": ("SA62", "1.2.250.1.71.4.2.4", "Inconnu")}, None),
        ("XDS-SS-016", "the SubmissionSet author has no authorSpecialty although the CDA author has assignedAuthor/code (warning)", {"ss_author_specialty": None}, None),
        ("XDS-DE-010", "the ExtrinsicObject objectType is the on-demand UUID instead of the stable one", {"object_type": DE_ON_DEMAND}, None),
        ("XDS-DE-011", "the DocumentEntry has no languageCode slot", {"lang": None}, None),
        ("XDS-DE-012", "the DocumentEntry author has no authorInstitution although the CDA author has representedOrganization", {"de_author_institution": None}, None),
        ("XDS-DE-013", "the DocumentEntry has no sourcePatientInfo slot (warning)", {"source_patient_info": None}, None),
        ("XDS-DE-020", "typeCode 83981-1 while the CDA code is 28653-4", {"type": ("83981-1", "2.16.840.1.113883.6.1", "Lettre de liaison")}, None),
        ("XDS-DE-021", "creationTime is the CDA local time 20260315101500 instead of UTC 20260315091500", {"creation": "20260315101500"}, None),
        ("XDS-DE-022", "the DocumentEntry title differs from the CDA title", {"title": "Compte rendu de visite"}, None),
        ("XDS-DE-023", "practiceSettingCode MAD while the CDA standardIndustryClassCode is SAD", {"practice": ("MAD", "1.2.250.1.213.1.1.4.9", "Maintien à domicile")}, None),
        ("XDS-DE-024", "uniqueId is not the CDA ClinicalDocument/id", {"de_unique": "1.2.250.1.213.4.99.1.20260315101500.9"}, None),
        ("XDS-DE-025", "sourcePatientId 3480787529/9999 is none of the CDA patientRole/id", {"source_patient": "3480787529/9999^^^&1.2.250.1.213.4.99.2&ISO^PI"}, None),
        ("XDS-DE-026", "legalAuthenticator XCN.1 801234567898 while the CDA legalAuthenticator id is 801234567897", {"legal": "801234567898^DURAND^Paul^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"}, None),
        ("XDS-DE-027", "hash is the SHA-1 of other bytes", {"hash": "0123456789abcdef0123456789abcdef01234567"}, None),
        ("XDS-DE-028", "mimeType application/pdf for a CDA document", {"mime": "application/pdf"}, None),
        ("XDS-DE-029", "submissionTime 2026-03-15T09:30:00Z is not an XDS DTM", {"submission_time": "2026-03-15T09:30:00Z"}, None),
        ("XDS-DE-030", "classCode 10 under codingScheme 1.2.250.1.213.1.1.4.2 (not TRE_A03)", {"class": ("10", "1.2.250.1.213.1.1.4.2", "Compte rendu")}, None),
        ("XDS-DE-031", "classCode 11 while ASS_X04 gives 10 for typeCode 28653-4 (warning)", {"class": ("11", "1.2.250.1.213.1.1.4.1", "Synthèse")}, None),
        ("XDS-DE-032", "formatCode urn:ihe:iti:xds-sd:text:2008 for a level-1 CDA whose body is application/pdf", {"format": ("urn:ihe:iti:xds-sd:text:2008", A11, "Document à corps non structuré en texte brut")}, None),
        ("XDS-DE-033", "authorRole Plombier is no JDV_J47 concept", {"de_author_role": "Plombier"}, None),
        ("XDS-DE-034", "healthcareFacilityTypeCode SA66 (JDV_J02, also in the CDA) is not in JDV_J61 (DMP)", {"facility": ("SA66", "1.2.250.1.71.4.2.4", "Services de Prévention et de Santé au Travail (SPST)")}, sa66_doc),
        ("XDS-DE-038", "practiceSettingCode ESSMS (also in the CDA) is not in JDV_J62 (DMP) (warning)", {"practice": ("ESSMS", "1.2.250.1.213.1.1.4.9", "Etablissement ou Service Social ou Médico-Social")}, esmss_doc),
        ("XDS-DE-039", "authorSpecialty LOGICIEL_DUI (JDV_J01) is not in JDV_J56 (DMP) (warning)", {"de_author_specialty": "LOGICIEL_DUI^Logiciel de Dossier Usager Informatisé^1.2.250.1.213.1.1.4.6"}, None),
        ("XDS-DE-040", "the masking flag MASQUE_PS is given twice", {"confidentiality": [("N", "2.16.840.1.113883.5.25", "Normal"), ("MASQUE_PS", "1.2.250.1.213.1.1.4.13", "Masqué aux professionnels de santé"), ("MASQUE_PS", "1.2.250.1.213.1.1.4.13", "Masqué aux professionnels de santé")]}, None),
        ("XDS-DE-041", "confidentiality flag INVISIBLE_REP_LEGAUX (HL7v2 spelling) instead of INVISIBLE_REPRESENTANTS_LEGAUX", {"confidentiality": [("N", "2.16.840.1.113883.5.25", "Normal"), ("INVISIBLE_REP_LEGAUX", "1.2.250.1.213.1.1.4.13", "Invisible aux représentants légaux")]}, None),
        ("XDS-DE-050", "DocumentEntry authorInstitution XON.7 is FINESS instead of IDNST", {"de_author_institution": "SSIAD Les Tilleuls^^^^^&1.2.250.1.71.4.2.2&ISO^FINESS^^^1480787529"}, None),
        ("XDS-DE-051", "DocumentEntry authorPerson without XCN.10 (D for a person)", {"de_author_person": "801234567897^DURAND^Paul^^^^^^&1.2.250.1.71.4.2.1&ISO"}, None),
        ("XDS-DE-060", "formatCode urn:ihe:iti:xds-sd:pdf:2008 under codingScheme TRE_A05 1.2.250.1.213.1.1.4.12 instead of TRE_A11 (warning)", {"format": ("urn:ihe:iti:xds-sd:pdf:2008", "1.2.250.1.213.1.1.4.12", "Document à corps non structuré en Pdf/A-1")}, None),
        ("ID-030", "patientId (SubmissionSet and DocumentEntry) typed PI instead of NH", {"ss_patient": "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^PI", "de_patient": "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^PI"}, None),
        ("ID-031", "sourcePatientId without CX.5 (identifier type)", {"source_patient": "3480787529/1045^^^&1.2.250.1.213.4.99.2&ISO"}, None),
    ]
    for rule, defect, over, doc in cases:
        d = doc if doc is not None else dmp_doc
        hh = Header(d)
        p = params(d, hh, dmp=True)
        p.update(over)
        write(f"invalid/xds/{rule}.xml", soap(metadata(p), d, f"Invalid fixture for {rule} (tools/gen_xds_fixtures.py): {defect}"))

    # ---- invalid XDM archives
    ht = Header(tddui)
    pt = params(tddui, ht, dmp=False)
    pt.update({"format": ("urn:asip:ci-sis:vsm:2012", A06, "Synthèse médicale")})
    write("invalid/xds/XDS-DE-036.zip", xdm(metadata(pt), tddui, "Invalid fixture for XDS-DE-036: the TDDUI export (model 1.2.250.1.213.1.1.1.58) with formatCode urn:asip:ci-sis:vsm:2012 instead of urn:asip:ci-sis:export-dui:2023 (warning)"))
    hn = Header(n1)
    pn = params(n1, hn, dmp=False)
    ipp = f"{hn.local[1]}^^^&{hn.local[0]}&ISO^PI"
    pn.update({"ss_patient": ipp, "de_patient": ipp})
    write("invalid/xds/ID-032.zip", xdm(metadata(pn), n1, "Invalid fixture for ID-032: patientId is the local usager id 3480787529/1045 while the CDA carries the INS (warning)"))


if __name__ == "__main__":
    main()
