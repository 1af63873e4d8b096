#!/usr/bin/env python3
"""Re-issues the committed fixture signing certificates (fixtures/dmp/signing-ca.pem, vihf-seal-cert.pem) from
their committed keys, valid 2026-01-01 → 2036-01-01, so that the fixtures' signing times (2026-03-15) fall
inside the signer certificate's validity (XAdES SigningTime is checked against it). Needs PyPI `cryptography`.
Run from the crate root, then `python3 tools/gen_dmp_fixtures.py` to re-sign the fixtures."""
import datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

D = 'fixtures/dmp/'
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
END = datetime.datetime(2036, 1, 1, tzinfo=datetime.timezone.utc)

def key(name):
    return serialization.load_pem_private_key(open(D + name, 'rb').read(), password=None)

def name(*parts):
    return x509.Name([x509.NameAttribute(oid, v) for oid, v in parts])

ca_key = key('signing-ca-key.pem')
ca_name = name((NameOID.COUNTRY_NAME, 'FR'), (NameOID.ORGANIZATION_NAME, 'dui-conform'),
               (NameOID.COMMON_NAME, 'dui-conform fixture signing CA'))
ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
      .public_key(ca_key.public_key()).serial_number(0x2026_0101_01)
      .not_valid_before(START).not_valid_after(END)
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
      .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                   data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                   crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
      .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
      .sign(ca_key, hashes.SHA256()))

seal_key = key('vihf-seal-key.pem')
seal = (x509.CertificateBuilder()
        .subject_name(name((NameOID.COUNTRY_NAME, 'FR'), (NameOID.ORGANIZATION_NAME, 'SSIAD Les Tilleuls'),
                           (NameOID.ORGANIZATIONAL_UNIT_NAME, '1480787529'),
                           (NameOID.COMMON_NAME, 'SSIAD Les Tilleuls cachet')))
        .issuer_name(ca_name).public_key(seal_key.public_key()).serial_number(0x2026_0101_02)
        .not_valid_before(START).not_valid_after(END)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256()))

for n, c in [('signing-ca.pem', ca), ('vihf-seal-cert.pem', seal)]:
    open(D + n, 'wb').write(c.public_bytes(serialization.Encoding.PEM))
print('ok')
