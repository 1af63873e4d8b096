#!/usr/bin/env python3
"""Generates the IHE XDM and MSSanté message fixtures from the two base CDA fixtures.

    python3 tools/gen_xdm_fixtures.py          # rewrites fixtures/{valid,invalid}/{xdm,mime}/

Reproducible: fixed timestamps, fixed UUIDs, fixed compression; re-running gives the same bytes for a
given zlib. The METADATA.XML follows shared/domain/xds-dmp.md (DocumentEntry ↔ CDA header mapping of the
CI-SIS HL7v2 volet) and the shape of the 18 official ANS archives (ansforge/interop-exemples-xdm):
one SubmissionSet, one DocumentEntry per document, HasMember associations, URI/hash/size slots.

Each invalid fixture is a valid one with ONE defect, named after the rule it breaks.
"""

import base64
import hashlib
import io
import os
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CDA = os.path.join(ROOT, "fixtures", "valid", "cda")
OUT = os.path.join(ROOT, "fixtures")
DATE = (2026, 3, 15, 10, 16, 0)

INS_CX = "279035121518989^^^&amp;1.2.250.1.213.1.4.10&amp;ISO^NH"
INSTITUTION = "SSIAD Les Tilleuls^^^^^&amp;1.2.250.1.71.4.2.2&amp;ISO^IDNST^^^1480787529"
AUTHOR = "3480787529/1453^DUI de référence^dui-conform^^^^^^&amp;1.2.250.1.71.4.2.1&amp;ISO^U"
SPECIALTY = "LOGICIEL_DUI^Logiciel de Dossier Usager Informatisé^1.2.250.1.213.1.1.4.6"
SS_ID = "urn:uuid:5d9c7a3e-1f4b-4c2a-9e61-0a1b2c3d4e01"

# Per base document: what the metadata must mirror from its header.
DOCS = {
    "n1-pdf": dict(
        file="n1-pdf.xml",
        entry_id="urn:uuid:5d9c7a3e-1f4b-4c2a-9e61-0a1b2c3d4e11",
        unique_id="1.2.250.1.213.4.99.1.20260315101500.2",
        title="Bilan de prise en charge",
        type=("28653-4", "2.16.840.1.113883.6.1", "Document du secteur social / médico-social"),
        klass=("10", "Compte rendu"),
        format=("urn:ihe:iti:xds-sd:pdf:2008", "1.3.6.1.4.1.19376.1.2.3", "Document à corps non structuré en Pdf/A-1"),
    ),
    "tddui-export": dict(
        file="tddui-export.xml",
        entry_id="urn:uuid:5d9c7a3e-1f4b-4c2a-9e61-0a1b2c3d4e12",
        unique_id="1.2.250.1.213.4.99.1.20260315101500.1",
        title="Export du dossier usager",
        type=("EXPORT_DUI", "1.2.250.1.213.1.1.4.12", "Export du Dossier Usager Informatisé"),
        klass=("11", "Synthèse"),
        format=("urn:asip:ci-sis:export-dui:2023", "1.2.250.1.213.1.1.4.2.282", "Export du Dossier Usager informatisé"),
    ),
}


def slot(name, *values):
    vals = "".join(f"<rim:Value>{v}</rim:Value>" for v in values)
    return f'<rim:Slot name="{name}"><rim:ValueList>{vals}</rim:ValueList></rim:Slot>'


def coded(cid, scheme, obj, code, system, display):
    return (
        f'<rim:Classification id="{cid}" classificationScheme="urn:uuid:{scheme}" classifiedObject="{obj}" '
        f'nodeRepresentation="{code}">{slot("codingScheme", system)}'
        f'<rim:Name><rim:LocalizedString value="{display}"/></rim:Name></rim:Classification>'
    )


def ext_id(xid, scheme, obj, value, name):
    return (
        f'<rim:ExternalIdentifier id="{xid}" identificationScheme="urn:uuid:{scheme}" registryObject="{obj}" '
        f'value="{value}"><rim:Name><rim:LocalizedString value="{name}"/></rim:Name></rim:ExternalIdentifier>'
    )


def entry(key, uri, data, n, patient=INS_CX, drop=(), hash_value=None, confidentiality=("N",)):
    d = DOCS[key]
    eid = d["entry_id"]
    sha1 = hash_value or hashlib.sha1(data).hexdigest().upper()
    slots = [
        slot("creationTime", "20260315091500"),
        slot("hash", sha1),
        slot("size", str(len(data))),
        slot("URI", uri),
        slot("languageCode", "fr-FR"),
        slot("legalAuthenticator", AUTHOR),
        slot("serviceStartTime", "20260315091500"),
        slot("sourcePatientId", "3480787529/1045^^^&amp;1.2.250.1.213.4.99.2&amp;ISO^PI"),
        slot("sourcePatientInfo", "PID-3|279035121518989^^^&amp;1.2.250.1.213.1.4.10&amp;ISO^NH",
             "PID-5|MARTIN^Claire Marie^^^^^L", "PID-7|19790315", "PID-8|F"),
    ]
    slots = [s for s in slots if not any(f'name="{x}"' in s for x in drop)]
    conf = "".join(
        coded(f"cl-{n}-conf{i}", "f4f85eac-e6cb-4883-b524-f2705394840f", eid, c,
              "2.16.840.1.113883.5.25" if c in ("N", "R", "V") else "1.2.250.1.213.1.1.4.13",
              {"N": "Normal"}.get(c, c))
        for i, c in enumerate(confidentiality)
    )
    return (
        f'<rim:ExtrinsicObject id="{eid}" mimeType="text/xml" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1">'
        + "".join(slots)
        + f'<rim:Name><rim:LocalizedString value="{d["title"]}"/></rim:Name>'
        + f'<rim:Classification id="cl-{n}-author" classificationScheme="urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d" '
        f'classifiedObject="{eid}" nodeRepresentation="">'
        + slot("authorInstitution", INSTITUTION) + slot("authorPerson", AUTHOR) + slot("authorSpecialty", SPECIALTY)
        + "</rim:Classification>"
        + coded(f"cl-{n}-class", "41a5887f-8865-4c09-adf7-e362475b143a", eid, d["klass"][0], "1.2.250.1.213.1.1.4.1", d["klass"][1])
        + conf
        + coded(f"cl-{n}-format", "a09d5840-386c-46f2-b5ad-9c3699a4309d", eid, *d["format"])
        + coded(f"cl-{n}-facility", "f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1", eid, "SA41", "1.2.250.1.71.4.2.4",
                "Autre établissement du domaine social ou médico-social")
        + coded(f"cl-{n}-practice", "cccf5598-8b07-4b77-a05e-ae952c785ead", eid, "ESSMS", "1.2.250.1.213.1.1.4.9",
                "Etablissement ou Service Social ou Médico-Social")
        + coded(f"cl-{n}-type", "f0306f51-975f-434e-a61c-c59651d33983", eid, *d["type"])
        + ext_id(f"ei-{n}-pid", "58a6f841-87b3-4a3e-92fd-a8ffeff98427", eid, patient, "XDSDocumentEntry.patientId")
        + ext_id(f"ei-{n}-uid", "2e82c1f6-a085-4c72-9da3-8640a32e42ab", eid, d["unique_id"], "XDSDocumentEntry.uniqueId")
        + "</rim:ExtrinsicObject>"
        + f'<rim:Association id="as-{n}" associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember" '
        f'sourceObject="{SS_ID}" targetObject="{eid}">{slot("SubmissionSetStatus", "Original")}</rim:Association>'
    )


def metadata(entries, ss_patient=INS_CX):
    ss = (
        f'<rim:RegistryPackage id="{SS_ID}">'
        + slot("submissionTime", "20260315091600")
        + '<rim:Name><rim:LocalizedString value="Envoi de documents du DUI"/></rim:Name>'
        + f'<rim:Classification id="cl-ss-node" classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd" classifiedObject="{SS_ID}"/>'
        + f'<rim:Classification id="cl-ss-author" classificationScheme="urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d" '
        f'classifiedObject="{SS_ID}" nodeRepresentation="">'
        + slot("authorInstitution", INSTITUTION) + slot("authorPerson", AUTHOR) + slot("authorSpecialty", SPECIALTY)
        + "</rim:Classification>"
        + coded("cl-ss-content", "aa543740-bdda-424e-8c96-df4873be8500", SS_ID, "SA41", "1.2.250.1.71.4.2.4",
                "Autre établissement du domaine social ou médico-social")
        + ext_id("ei-ss-pid", "6b5aea1a-874d-4603-a4bc-96a0a7b38446", SS_ID, ss_patient, "XDSSubmissionSet.patientId")
        + ext_id("ei-ss-src", "554ac39e-e3fe-47fe-b233-965d2a147832", SS_ID, "1.2.250.1.213.4.99.4", "XDSSubmissionSet.sourceId")
        + ext_id("ei-ss-uid", "96fdda7c-d067-4183-912e-bf5ee74998a8", SS_ID, "1.2.250.1.213.4.99.5.20260315101600",
                 "XDSSubmissionSet.uniqueId")
        + "</rim:RegistryPackage>"
    )
    body = ss + "".join(entries)
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" '
        'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">\n'
        f"<rim:RegistryObjectList>\n{body}\n</rim:RegistryObjectList>\n</lcm:SubmitObjectsRequest>\n"
    )
    return xml.replace("><rim:", ">\n<rim:").encode("utf-8")


INDEX = (
    '<?xml version="1.0" encoding="UTF-8"?>\r\n'
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\r\n'
    '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>IHE_XDM</title></head><body>\r\n'
    "<p>Emetteur : SSIAD Les Tilleuls (1480787529)</p>\r\n"
    '<p>Voir le fichier <a href="README.TXT">ReadMe</a></p>\r\n'
    "</body></html>\r\n"
)


def readme(uris):
    tree = "".join(f"                {u}\r\n" for u in ["METADATA.XML"] + uris)
    return (
        "Emetteur :\r\n=============\r\n    . Nom : SSIAD Les Tilleuls\r\n    . Organisme : SSIAD Les Tilleuls (1480787529)\r\n"
        "    . Adresse : 1 rue des Tilleuls 51100 REIMS\r\n    . Téléphone : tel:0300000000\r\n\r\n"
        "Application de l'emetteur :\r\n=========================\r\n    . Nom : DUI de référence\r\n"
        "    . Version : 1.0\r\n    . Editeur : dui-conform\r\n\r\n"
        "Instructions :\r\n=============\r\n. Consultez les fichiers reçus par messagerie sécurisée de santé dans votre logiciel.\r\n\r\n"
        "Arborescence :\r\n============\r\n     README.TXT\r\n     INDEX.HTM\r\n     + IHE_XDM\r\n           +SUBSET01\r\n" + tree
    )


def zip_bytes(files, comment=""):
    """files: list of (name, bytes or None for a directory); the archive comment says what the fixture is."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.comment = comment.encode("utf-8")
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=DATE)
            if data is None:
                info.external_attr = 0x10
                z.writestr(info, b"")
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o100644 << 16
                z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buf.getvalue()


def cda(key):
    with open(os.path.join(CDA, DOCS[key]["file"]), "rb") as f:
        return f.read()


def xdm(keys=("n1-pdf",), **kw):
    """An archive; keyword variants introduce one defect each."""
    docs = [(k, f"DOC{i + 1:04d}.XML", cda(k)) for i, k in enumerate(keys)]
    subset = kw.get("subset", "SUBSET01")
    entries = []
    for n, (k, uri, data) in enumerate(docs, 1):
        entries.append(entry(k, kw.get("uri", {}).get(uri, uri), data, n, drop=kw.get("drop", ()),
                             hash_value=kw.get("hash"), confidentiality=kw.get("confidentiality", ("N",))))
    meta = metadata(entries)
    files = []
    if not kw.get("no_index"):
        files.append(("INDEX.HTM", kw.get("index", INDEX).encode("utf-8")))
    if not kw.get("no_readme"):
        files.append(("README.TXT", readme([u for _, u, _ in docs]).encode("utf-8")))
    files += [("IHE_XDM/", None), (f"IHE_XDM/{subset}/", None)]
    if not kw.get("no_metadata"):
        files.append((f"IHE_XDM/{subset}/METADATA.XML", meta))
    for _, uri, data in docs:
        if uri not in kw.get("omit", ()):
            files.append((f"IHE_XDM/{subset}/{kw.get('rename', {}).get(uri, uri)}", data))
    files += kw.get("extra", [])
    return zip_bytes(files, kw.get("comment", "dui-conform fixture: valid IHE XDM archive"))


# ---------------------------------------------------------------------------------------------------
# MIME messages.

PDFA = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /Metadata 3 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Metadata /Subtype /XML >>\nstream\n"
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">'
    b"<pdfaid:part>1</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance></rdf:Description></rdf:RDF></x:xmpmeta>\n"
    b"endstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def b64_lines(data):
    s = base64.b64encode(data).decode("ascii")
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76))


def eml(comment, zip_data, to="infirmier.dupont@hopital-a.mssante.fr", headers=None, subject=None, body_charset="utf-8",
        body=None, pdf=PDFA, pdf_name="20260315_BILAN_MARTIN_Claire.pdf", zip_name="IHE_XDM.zip", zip_b64=None,
        codecda="28653-4", ins="O", drop=()):
    h = [
        ("X-Fixture", comment),
        ("Date", "Sun, 15 Mar 2026 10:16:00 +0100"),
        ("From", "SSIAD Les Tilleuls <dui@ssiad-tilleuls.mssante.fr>"),
        ("To", to),
        ("Message-ID", "<20260315101600.1@ssiad-tilleuls.mssante.fr>"),
        ("Subject", subject or "=?UTF-8?Q?XDM/1.0/DDM+Bilan_de_prise_en_charge_=C3=A0_domicile_MARTIN_Claire_15/03/1979?="),
        ("MIME-Version", "1.0"),
        ("X-MSS-NIL", "DUI-CONFORM-0001"),
        ("X-MSS-CODECDA", codecda),
        ("X-MSS-INS", ins),
    ] + (headers or [])
    h = [(k, v) for k, v in h if k not in drop and v is not None]
    h.append(("Content-Type", 'multipart/mixed; boundary="=_dui-conform_0001"'))
    out = "".join(f"{k}: {v}\r\n" for k, v in h) + "\r\n"
    out += "This is a multi-part message in MIME format.\r\n"
    text = body or "Bonjour,\r\n\r\nVeuillez trouver ci-joint le bilan de prise en charge de Mme MARTIN.\r\n\r\nSSIAD Les Tilleuls\r\n"
    out += "--=_dui-conform_0001\r\n"
    out += f"Content-Type: text/plain; charset={body_charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    raw = out.encode("utf-8") + (text.encode("latin-1") if body_charset.lower() == "iso-8859-1" else text.encode("utf-8"))
    parts = []
    if pdf is not None:
        parts.append(
            f"--=_dui-conform_0001\r\nContent-Type: application/pdf; name=\"{pdf_name}\"\r\n"
            f"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"{pdf_name}\"\r\n\r\n"
            f"{b64_lines(pdf)}\r\n"
        )
    parts.append(
        f"--=_dui-conform_0001\r\nContent-Type: application/zip; name=\"{zip_name}\"\r\n"
        f"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"{zip_name}\"\r\n\r\n"
        f"{zip_b64 or b64_lines(zip_data)}\r\n"
    )
    parts.append("--=_dui-conform_0001--\r\n")
    return raw + "".join(parts).encode("ascii")


def write(rel, data):
    p = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)



def two_patients():
    """XDM-018: two submission sets, each consistent with its document, about two different usagers.

    A second patient cannot be put in the same subset without also breaking XDS-SS-013, so the second
    usager gets a subset of its own, which also warns XDM-017 (declared in fixtures/invalid/ALSO.toml).
    """
    other_ins = "280017512301266"
    base = xdm(("n1-pdf",))
    second_cda = cda("n1-pdf").replace(b"279035121518989", other_ins.encode()).replace(
        b"20260315101500.2", b"20260315101500.3")
    d = dict(DOCS["n1-pdf"])
    d["unique_id"] = d["unique_id"][:-1] + "3"
    DOCS["n1-pdf-other"] = d
    meta2 = metadata([entry("n1-pdf-other", "DOC0001.XML", second_cda, 1,
                            patient=INS_CX.replace("279035121518989", other_ins))],
                     ss_patient=INS_CX.replace("279035121518989", other_ins))
    meta2 = meta2.replace(b"279035121518989", other_ins.encode()) if isinstance(meta2, bytes) else meta2.replace("279035121518989", other_ins)
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        files = [(i.filename, None if i.is_dir() else z.read(i.filename)) for i in z.infolist()]
    files += [("IHE_XDM/SUBSET02/", None), ("IHE_XDM/SUBSET02/METADATA.XML", meta2),
              ("IHE_XDM/SUBSET02/DOC0001.XML", second_cda)]
    return zip_bytes(files, "dui-conform fixture, defect: two submission sets about two different usagers (one patient per archive)")

def main():
    for d in ["valid/xdm", "invalid/xdm", "valid/mime", "invalid/mime"]:
        full = os.path.join(OUT, d)
        if os.path.isdir(full):
            for f in os.listdir(full):
                os.remove(os.path.join(full, f))

    # Valid archives.
    write("valid/xdm/n1-pdf.zip", xdm(("n1-pdf",)))
    write("valid/xdm/tddui-export.zip", xdm(("tddui-export",)))
    write("valid/xdm/two-documents.zip", xdm(("n1-pdf", "tddui-export")))

    # Invalid archives: one defect each.
    write("invalid/xdm/XDM-010.zip", xdm(no_readme=True, comment="dui-conform fixture, defect: no README.TXT at the root"))
    write("invalid/xdm/XDM-011.zip", xdm(no_metadata=True, comment="dui-conform fixture, defect: no METADATA.XML in IHE_XDM/SUBSET01/"))
    write("invalid/xdm/XDM-012.zip", xdm(drop=("URI",), comment="dui-conform fixture, defect: the DocumentEntry has no URI slot"))
    write("invalid/xdm/XDM-013.zip", xdm(omit=("DOC0001.XML",), comment="dui-conform fixture, defect: the document named by the URI slot is not in the archive"))
    write("invalid/xdm/XDM-014.zip", xdm(uri={"DOC0001.XML": "DOC_0001_N1.XML"}, rename={"DOC0001.XML": "DOC_0001_N1.XML"}, comment="dui-conform fixture, defect: document file name DOC_0001_N1.XML is not ISO 9660 8.3"))
    write("invalid/xdm/XDM-015.zip", xdm(extra=[("../PATCH.TXT", b"hors de l'archive\r\n")], comment="dui-conform fixture, defect: an entry named ../PATCH.TXT escapes the archive"))
    write("invalid/xdm/XDM-016.zip", xdm(extra=[("IHE_XDM/SUBSET01/DOC0002.XML", cda("n1-pdf"))], comment="dui-conform fixture, defect: IHE_XDM/SUBSET01/DOC0002.XML is described by no DocumentEntry"))
    write("invalid/xdm/XDM-017.zip", xdm(subset="SUBSET02", comment="dui-conform fixture, defect: the submission set directory is SUBSET02, not SUBSET01"))
    write("invalid/xdm/XDM-018.zip", two_patients())
    write("invalid/xdm/XDM-019.zip", xdm(index=INDEX.replace('<p>Voir le fichier <a href="README.TXT">ReadMe</a></p>\r\n', ""), comment="dui-conform fixture, defect: INDEX.HTM has no link to README.TXT"))

    # Messages.
    one = xdm(("n1-pdf",))
    two = xdm(("n1-pdf", "tddui-export"))
    write("valid/mime/professional.eml", eml("valid: message to a professional carrying one level-1 CDA", one))
    write("valid/mime/patient.eml", eml(
        "valid: message to the usager carrying two CDA documents, end of exchange", two,
        to="279035121518989@patient.mssante.fr", codecda="28653-4, EXPORT_DUI", headers=[("X-MSS-MES", "FIN")]))

    write("invalid/mime/MSS-MSG-010.eml", eml("defect: no Message-ID header", one, drop=("Message-ID",)))
    write("invalid/mime/MSS-MSG-011.eml", eml("defect: subject without the XDM/1.0/DDM+ prefix", one,
                                              subject="Bilan de prise en charge MARTIN Claire 15/03/1979"))
    write("invalid/mime/MSS-MSG-012.eml", eml("defect: subject without the birth date", one,
                                              subject="XDM/1.0/DDM+Bilan de prise en charge MARTIN Claire"))
    write("invalid/mime/MSS-MSG-013.eml", eml("defect: the archive attachment is named documents.zip", one, zip_name="documents.zip"))
    write("invalid/mime/MSS-MSG-013_base64.eml", eml("defect: the IHE_XDM.zip base64 is corrupt", one,
                                                     zip_b64=b64_lines(one)[:-12] + "*invalid*=="))
    write("invalid/mime/MSS-MSG-014.eml", eml("defect: the PDF rendering is named rendu.pdf", one, pdf_name="rendu.pdf"))
    write("invalid/mime/MSS-MSG-017.eml", eml("defect: the PDF rendering has no PDF/A-1 identification", one,
                                              pdf=PDFA.replace(b"<pdfaid:part>1</pdfaid:part>", b"")))
    write("invalid/mime/MSS-MSG-018.eml", eml("defect: text body in ISO-8859-1", one, body_charset="iso-8859-1",
                                              body="Bonjour,\r\n\r\nVeuillez trouver ci-joint le bilan de Mme MARTIN (reçu).\r\n"))
    write("invalid/mime/MSS-HDR-010.eml", eml("defect: X-MSS-CODECDA names another document code", one, codecda="11488-4"))
    write("invalid/mime/MSS-HDR-011.eml", eml("defect: X-MSS-INS N although the CDA carries a qualified INS", one, ins="N"))
    write("invalid/mime/MSS-HDR-012.eml", eml("defect: no X-MSS-NIL header", one, drop=("X-MSS-NIL",)))
    write("invalid/mime/MSS-HDR-013.eml", eml("defect: X-MSS-MES is not FIN", one, to="279035121518989@patient.mssante.fr",
                                              headers=[("X-MSS-MES", "fin")]))
    write("invalid/mime/MSS-HDR-014.eml", eml("defect: X-MSS-MES towards a professional", one, headers=[("X-MSS-MES", "FIN")]))
    write("invalid/mime/MSS-ADDR-010.eml", eml("defect: recipient outside mssante.fr", one, to="infirmier.dupont@hopital-a.fr"))
    write("invalid/mime/MSS-ADDR-011.eml", eml("defect: patient address of another INS", one,
                                               to="180017512345660@patient.mssante.fr"))
    write("invalid/mime/MSS-ADDR-012.eml", eml(
        "defect: document invisible to the patient sent to the patient",
        xdm(("n1-pdf",), confidentiality=("N", "INVISIBLE_PATIENT")), to="279035121518989@patient.mssante.fr"))


if __name__ == "__main__":
    main()
