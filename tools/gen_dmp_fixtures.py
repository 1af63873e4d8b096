#!/usr/bin/env python3
"""Builds fixtures/dmp/iti41-valid.mtom: the conformant MTOM ITI-41 of fixtures/valid/xds/iti41-n1-mtom.mtom
plus what the DMP demands on top of XDS: a VIHF SAML 2.0 assertion in wsse:Security (DMP-SOAP-018,
DMP-VIHF-*), and the XAdES signature entry of the submission set (DMP-TX-016/017) with its `signs`
association and MIME part.

Both signatures are real: after assembling the request, this script runs
`cargo run --example sign_iti41` (dui_conform::xmldsig::iti41), which writes the IHE DSG detached XAdES
signature of the submission set into the signature part (and its hash/size slots) and signs the VIHF
(enveloped, exc-c14n, RSA-SHA256), with the committed test key fixtures/dmp/vihf-seal-key.pem and its
certificate fixtures/dmp/vihf-seal-cert.pem, issued by fixtures/dmp/signing-ca.pem (see fixtures/dmp.md).
Run from the repository root: python3 tools/gen_dmp_fixtures.py
"""
import hashlib, subprocess

SRC = "fixtures/valid/xds/iti41-n1-mtom.mtom"
OUT = "fixtures/dmp/iti41-valid.mtom"
CERT = "fixtures/dmp/vihf-seal-cert.pem"
# The HTTP Content-Type of the request (tests/dmp.rs MTOM_CT).
CONTENT_TYPE = ('multipart/related; type="application/xop+xml"; boundary="MIMEBoundary_dui_conform_0001"; '
                'start="<0.root@dui-conform.example.org>"; start-info="application/soap+xml"; '
                'action="urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"')

# RFC 4514 order, as dui_conform::pki::subject_of prints it.
subject = "CN=SSIAD Les Tilleuls cachet,OU=1480787529,O=SSIAD Les Tilleuls,C=FR"
patient = "279035121518989^^^&amp;1.2.250.1.213.1.4.10&amp;ISO^NH"

def attr(name, value):
    return f'<saml2:Attribute Name="{name}"><saml2:AttributeValue>{value}</saml2:AttributeValue></saml2:Attribute>'

vihf = (
    '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">\n'
    '<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="_vihf-0b9f6c1e-5d8a-4e1f-9b3c-2a7d4e6f8a01" IssueInstant="2026-03-15T09:30:00Z" Version="2.0">'
    f'<saml2:Issuer Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName">{subject}</saml2:Issuer>'
    '<saml2:Subject><saml2:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">801234567897</saml2:NameID></saml2:Subject>'
    '<saml2:AuthnStatement AuthnInstant="2026-03-15T09:00:00Z"><saml2:AuthnContext><saml2:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement>'
    '<saml2:AttributeStatement>'
    + attr("VIHF_Version", "3.0")
    + attr("Authentification_Mode", "INDIRECTE")
    + attr("Secteur_Activite", "SA41^1.2.250.1.71.4.2.4")
    + attr("urn:oasis:names:tc:xacml:2.0:resource:resource-id", patient)
    + attr("Ressource_URN", "urn:dmp")
    + attr("urn:oasis:names:tc:xspa:1.0:subject:subject-id", "DURAND Paul")
    + attr("Identifiant_Structure", "1480787529")
    + attr("LPS_Nom", "DUI de test")
    + attr("LPS_Version", "1.0")
    + attr("LPS_ID_HOMOLOGATION_DMP", "DUI-TEST-0001")
    + '<saml2:Attribute Name="urn:oasis:names:tc:xspa:1.0:subject:purposeofuse"><saml2:AttributeValue><PurposeOfUse xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CE" code="normal" codeSystem="1.2.250.1.213.1.1.4.248" codeSystemName="mode acces VIHF 2.0"/></saml2:AttributeValue></saml2:Attribute>'
    + '<saml2:Attribute Name="urn:oasis:names:tc:xacml:2.0:subject:role"><saml2:AttributeValue><Role xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CE" code="10" codeSystem="1.2.250.1.71.1.2.7" displayName="Médecin"/></saml2:AttributeValue>'
    '<saml2:AttributeValue><Role xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CE" code="SM26" codeSystem="1.2.250.1.71.4.2.5" displayName="Qualifié en médecine générale (SM)"/></saml2:AttributeValue></saml2:Attribute>'
    '</saml2:AttributeStatement></saml2:Assertion>\n</wsse:Security>\n'
)

# Placeholder, replaced by the signer (its hash and size slots too).
xades = b'<?xml version="1.0" encoding="UTF-8"?>\n<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>\n'
sha1 = hashlib.sha1(xades).hexdigest()

def slot(n, *vals):
    return f'<rim:Slot name="{n}"><rim:ValueList>' + "".join(f"<rim:Value>{v}</rim:Value>" for v in vals) + "</rim:ValueList></rim:Slot>"

def cl(i, scheme, code, cs, name, extra=""):
    return (f'<rim:Classification id="{i}" classificationScheme="{scheme}" classifiedObject="Signature01" nodeRepresentation="{code}">'
            f'{extra}{slot("codingScheme", cs) if cs else ""}<rim:Name><rim:LocalizedString value="{name}"/></rim:Name></rim:Classification>')

author = ('<rim:Classification id="cl-sig-author" classificationScheme="urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d" classifiedObject="Signature01" nodeRepresentation="">'
          + slot("authorInstitution", "SSIAD Les Tilleuls^^^^^&amp;1.2.250.1.71.4.2.2&amp;ISO^IDNST^^^1480787529")
          + slot("authorPerson", "801234567897^DURAND^Paul^^^^^^&amp;1.2.250.1.71.4.2.1&amp;ISO^D^^^IDNPS")
          + slot("authorSpecialty", "G15_10/SM26^Médecin - Qualifié en Médecine Générale (SM)^1.2.250.1.213.1.1.4.5")
          + "</rim:Classification>")
sig_entry = (
    '<rim:ExtrinsicObject id="Signature01" mimeType="text/xml" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1">'
    + slot("creationTime", "20260315093000")
    + slot("hash", sha1)
    + slot("languageCode", "art")
    + slot("legalAuthenticator", "801234567897^DURAND^Paul^^^^^^&amp;1.2.250.1.71.4.2.1&amp;ISO^D^^^IDNPS")
    + slot("serviceStartTime", "20260315093000")
    + slot("serviceStopTime", "20260315093000")
    + slot("size", str(len(xades)))
    + slot("sourcePatientId", "3480787529/1045^^^&amp;1.2.250.1.213.4.99.2&amp;ISO^PI")
    + slot("sourcePatientInfo", "PID-5|MARTIN^Claire^Claire Marie^^^^L", "PID-7|19790315", "PID-8|F")
    + '<rim:Name><rim:LocalizedString value="Source"/></rim:Name>'
    + author
    + cl("cl-sig-class", "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a", "urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1", "URN", "Digital Signature")
    + cl("cl-sig-conf", "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f", "N", "2.16.840.1.113883.5.25", "Normal")
    + cl("cl-sig-event", "urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4", "1.2.840.10065.1.12.1.14", "1.2.840.10065.1.12", "Source")
    + cl("cl-sig-format", "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d", "urn:ihe:iti:dsg:detached:2014", "1.3.6.1.4.1.19376.1.2.3", "Signature détachée")
    + cl("cl-sig-facility", "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1", "SA41", "1.2.250.1.71.4.2.4", "Autre établissement du domaine social ou médico-social")
    + cl("cl-sig-practice", "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead", "SAD", "1.2.250.1.213.1.1.4.9", "Soins à domicile")
    + cl("cl-sig-type", "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983", "E1762", "ASTM", "Full Document")
    + f'<rim:ExternalIdentifier id="ei-sig-patient" identificationScheme="urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427" registryObject="Signature01" value="{patient}"><rim:Name><rim:LocalizedString value="XDSDocumentEntry.patientId"/></rim:Name></rim:ExternalIdentifier>'
    + '<rim:ExternalIdentifier id="ei-sig-unique" identificationScheme="urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab" registryObject="Signature01" value="1.2.250.1.213.4.99.1.20260315101500.2.1"><rim:Name><rim:LocalizedString value="XDSDocumentEntry.uniqueId"/></rim:Name></rim:ExternalIdentifier>'
    + "</rim:ExtrinsicObject>\n"
    + '<rim:Association id="as-sig-member" associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember" sourceObject="SubmissionSet01" targetObject="Signature01">' + slot("SubmissionSetStatus", "Original") + "</rim:Association>\n"
    + '<rim:Association id="as-sig-signs" associationType="urn:ihe:iti:2007:AssociationType:signs" sourceObject="Signature01" targetObject="SubmissionSet01"/>\n'
)

s = open(SRC, "rb").read().decode()
s = s.replace("<!-- dui-conform fixture (tools/gen_xds_fixtures.py): conformant ITI-41 to the DMP, MTOM/XOP, the level-1 PDF CDA in its own MIME part -->",
              "<!-- dui-conform fixture (tools/gen_dmp_fixtures.py): conformant ITI-41 to the DMP simulator: VIHF in wsse:Security, XAdES signature entry, MTOM/XOP -->")
s = s.replace("</soap:Header>", vihf + "</soap:Header>", 1)
s = s.replace("</rim:RegistryObjectList>", sig_entry + "</rim:RegistryObjectList>", 1)
s = s.replace("</xdsb:ProvideAndRegisterDocumentSetRequest>",
              '<xdsb:Document id="Signature01"><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:2.Signature01%40dui-conform.example.org"/></xdsb:Document>\n</xdsb:ProvideAndRegisterDocumentSetRequest>', 1)
b = s.encode()
end = b"--MIMEBoundary_dui_conform_0001--"
i = b.rindex(end)
part = (b"--MIMEBoundary_dui_conform_0001\r\nContent-Type: text/xml\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <2.Signature01@dui-conform.example.org>\r\n\r\n"
        + xades + b"\r\n")
nl = b"\r\n" if b"\r\n" in b[:200] else b"\n"
part = part.replace(b"\r\n", nl) if nl == b"\n" else part
# keep the document bytes exact (hash): only the header lines follow the file's line ending
b = b[:i] + part.replace(xades.replace(b"\r\n", nl), xades) + b[i:]
open(OUT, "wb").write(b)
subprocess.run(["cargo", "run", "--quiet", "--example", "sign_iti41", "--", "fixtures/dmp/vihf-seal-key.pem", CERT,
                CONTENT_TYPE, "2026-03-15T09:30:00Z", OUT], check=True)
print(OUT, len(open(OUT, "rb").read()), "bytes, signed")
