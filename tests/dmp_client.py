#!/usr/bin/env python3
"""A DMP client nobody here wrote a library for: python3 http.client + ssl (mutual TLS), driven by
tests/dmp.rs. deposit (ITI-41) -> FindDocuments (ITI-18) -> retrieve (ITI-43, bytes compared) ->
mask (ITI-57 new metadata version with MASQUE_PS) -> FindDocuments again (hidden) -> FindDocuments asking
for MASQUE_PS (shown).

The VIHF of the requests this client builds is signed by xmlsec1 (a signer nobody here wrote), with the
fixture seal key SEAL_KEY and certificate SEAL_CERT: the simulator verifies it (DMP-VIHF-013).

usage: dmp_client.py PORT CA CERT KEY DEPOSIT Q1 Q2 Q3 VIHF CDA UNIQUE_ID SEAL_KEY SEAL_CERT
"""
import http.client, os, re, ssl, subprocess, sys, tempfile, uuid
import xml.etree.ElementTree as ET

port, ca, cert, key, deposit, q1, q2, q3, vihf_f, cda_f, uid, seal_key, seal_cert = sys.argv[1:14]
FIXTURE_UUID = "0b9f6c1e-5d8a-4e1f-9b3c-2a7d4e6f8a01"
ctx = ssl.create_default_context(cafile=ca)
ctx.load_cert_chain(cert, key)
conn = http.client.HTTPSConnection("localhost", int(port), context=ctx)
MTOM = ('multipart/related; type="application/xop+xml"; boundary="MIMEBoundary_dui_conform_0001"; '
        'start="<0.root@dui-conform.example.org>"; start-info="application/soap+xml"')
SOAP = "application/soap+xml; charset=UTF-8"
NS = {"rim": "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0", "rs": "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0"}

def post(path, ct, body):
    conn.request("POST", path, body=body, headers={"Content-Type": ct})
    r = conn.getresponse()
    return r.status, r.getheader("Content-Type", ""), r.read()

def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)

def vihf():
    """The fixture VIHF with a new Assertion/@ID, re-signed by xmlsec1 (its signature as the template)."""
    t = open(vihf_f).read().replace(FIXTURE_UUID, str(uuid.uuid4()))
    t = re.sub(r"<ds:DigestValue>[^<]*</ds:DigestValue>", "<ds:DigestValue></ds:DigestValue>", t)
    t = re.sub(r"<ds:SignatureValue>[^<]*</ds:SignatureValue>", "<ds:SignatureValue></ds:SignatureValue>", t)
    t = re.sub(r"<ds:KeyInfo>.*</ds:KeyInfo>", "<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>", t, flags=re.S)
    with tempfile.TemporaryDirectory() as d:
        src, out = os.path.join(d, "t.xml"), os.path.join(d, "s.xml")
        open(src, "w").write(t)
        subprocess.run(["xmlsec1", "--sign", "--privkey-pem", f"{seal_key},{seal_cert}",
                        "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion", "--output", out, src], check=True)
        signed = open(out).read()
    return re.sub(r"^<\?xml[^>]*\?>\s*", "", signed)

def envelope(action, to, body):
    return (f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" '
            f'xmlns:wsa="http://www.w3.org/2005/08/addressing"><soap:Header><wsa:Action soap:mustUnderstand="true">{action}</wsa:Action>'
            f'<wsa:MessageID>urn:uuid:{uuid.uuid4()}</wsa:MessageID><wsa:To>{to}</wsa:To>{vihf()}</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>').encode()

def soap_root(ct, body):
    """The SOAP XML of a plain or MTOM response."""
    if ct.startswith("multipart/"):
        b = re.search(r'boundary="([^"]+)"', ct).group(1).encode()
        first = body.split(b"--" + b)[1]
        return first.split(b"\r\n\r\n", 1)[1].rstrip(b"\r\n")
    return body

def entries(xml):
    root = ET.fromstring(xml)
    out = {}
    for eo in root.iter("{%s}ExtrinsicObject" % NS["rim"]):
        for ei in eo.findall("rim:ExternalIdentifier", NS):
            if ei.get("identificationScheme") == "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab":
                out[ei.get("value")] = eo
    return out

# 1. deposit
s, ct, b = post("/dmp/repository", MTOM, open(deposit, "rb").read())
if b"ResponseStatusType:Success" not in b:
    fail(f"deposit: HTTP {s} {b[:2000]!r}")
print("OK deposit")

# 2. FindDocuments
s, ct, b = post("/dmp/registry", SOAP, open(q1, "rb").read())
found = entries(soap_root(ct, b))
if uid not in found:
    fail(f"FindDocuments does not return {uid}: {b[:3000]!r}")
eo = found[uid]
entry_uuid = eo.get("id")
repo = [v.text for s_ in eo.findall("rim:Slot", NS) if s_.get("name") == "repositoryUniqueId" for v in s_.iter("{%s}Value" % NS["rim"])][0]
print("OK found", entry_uuid, "in repository", repo)

# 3. retrieve, byte-exact
body = (f'<xdsb:RetrieveDocumentSetRequest xmlns:xdsb="urn:ihe:iti:xds-b:2007"><xdsb:DocumentRequest>'
        f'<xdsb:RepositoryUniqueId>{repo}</xdsb:RepositoryUniqueId><xdsb:DocumentUniqueId>{uid}</xdsb:DocumentUniqueId>'
        f'</xdsb:DocumentRequest></xdsb:RetrieveDocumentSetRequest>')
s, ct, b = post("/dmp/repository", SOAP, envelope("urn:ihe:iti:2007:RetrieveDocumentSet", "https://localhost/dmp/repository", body))
if not ct.startswith("multipart/related") or b"ResponseStatusType:Success" not in b:
    fail(f"retrieve: HTTP {s} {ct} {b[:2000]!r}")
boundary = re.search(r'boundary="([^"]+)"', ct).group(1).encode()
doc = None
for part in b.split(b"--" + boundary):
    if b"Content-ID: <doc0@dui-conform>" in part:
        doc = part.split(b"\r\n\r\n", 1)[1][:-2]  # the CRLF before the next delimiter belongs to it
if doc != open(cda_f, "rb").read():
    fail(f"retrieved bytes differ from the deposited document ({None if doc is None else len(doc)} bytes)")
print("OK retrieved", len(doc), "bytes, identical")

# 4. ITI-57: a new metadata version with MASQUE_PS
conf = lambda i, code, scheme: (f'<rim:Classification id="c{i}" classificationScheme="urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f" '
                                f'classifiedObject="NewVersion" nodeRepresentation="{code}"><rim:Slot name="codingScheme"><rim:ValueList>'
                                f'<rim:Value>{scheme}</rim:Value></rim:ValueList></rim:Slot></rim:Classification>')
body = ('<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">'
        '<rim:RegistryObjectList>'
        f'<rim:ExtrinsicObject id="NewVersion" lid="{entry_uuid}" mimeType="text/xml" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1">'
        + conf(1, "N", "2.16.840.1.113883.5.25") + conf(2, "MASQUE_PS", "1.2.250.1.213.1.1.4.13")
        + f'<rim:ExternalIdentifier id="u" identificationScheme="urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab" registryObject="NewVersion" value="{uid}"/>'
        '</rim:ExtrinsicObject>'
        f'<rim:Association id="a" associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember" sourceObject="SubmissionSet" targetObject="NewVersion">'
        '<rim:Slot name="PreviousVersion"><rim:ValueList><rim:Value>1</rim:Value></rim:ValueList></rim:Slot></rim:Association>'
        '</rim:RegistryObjectList></lcm:SubmitObjectsRequest>')
s, ct, b = post("/dmp/registry", SOAP, envelope("urn:ihe:iti:2010:UpdateDocumentSet", "https://localhost/dmp/registry", body))
if b"ResponseStatusType:Success" not in b:
    fail(f"mask: HTTP {s} {b[:2000]!r}")
print("OK masked")

# 5. FindDocuments again: hidden
s, ct, b = post("/dmp/registry", SOAP, open(q2, "rb").read())
if uid in entries(soap_root(ct, b)):
    fail("masked document still returned by a FindDocuments that does not ask for MASQUE_PS")
# 6. ...but returned to a query asking for it
s, ct, b = post("/dmp/registry", SOAP, open(q3, "rb").read())
if uid not in entries(soap_root(ct, b)):
    fail(f"masked document not returned when MASQUE_PS is asked for: {b[:2000]!r}")
print("OK hidden after mask")
