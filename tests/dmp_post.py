#!/usr/bin/env python3
"""Posts requests to the DMP simulator over one keep-alive mutual-TLS connection (python3 http.client +
ssl, a client nobody here wrote), driven by tests/dmp_registry.rs. A file ending in .mtom goes to
/dmp/repository as MTOM/XOP, any other to /dmp/registry as SOAP 1.2; each response body is written to
OUTDIR/<file name>.resp with the HTTP status on the first line.

usage: dmp_post.py PORT CA CERT KEY OUTDIR FILE...
"""
import http.client, os, ssl, sys

port, ca, cert, key, outdir = sys.argv[1:6]
ctx = ssl.create_default_context(cafile=ca)
ctx.load_cert_chain(cert, key)
conn = http.client.HTTPSConnection("localhost", int(port), context=ctx)
MTOM = ('multipart/related; type="application/xop+xml"; boundary="MIMEBoundary_dui_conform_0001"; '
        'start="<0.root@dui-conform.example.org>"; start-info="application/soap+xml"; '
        'action="urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"')
SOAP = "application/soap+xml; charset=UTF-8"
for f in sys.argv[6:]:
    mtom = f.endswith(".mtom")
    conn.request("POST", "/dmp/repository" if mtom else "/dmp/registry", body=open(f, "rb").read(),
                 headers={"Content-Type": MTOM if mtom else SOAP})
    r = conn.getresponse()
    body = r.read()
    with open(os.path.join(outdir, os.path.basename(f) + ".resp"), "wb") as out:
        out.write(b"%d\n" % r.status + body)
    print(os.path.basename(f), r.status, len(body))
