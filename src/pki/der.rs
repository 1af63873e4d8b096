//! A minimal, bounded DER reader for the few X.509 fields the harness needs: the subject and issuer names
//! (for evidence, findings and the VIHF `Issuer` ↔ certificate comparison, DMP-VIHF-011) and the subject key
//! identifier (to issue new certificates from an existing CA).
//!
//! Certificates come from peers (TLS client certificates, `ds:X509Certificate` in a VIHF): every byte is
//! hostile. The reader never panics, never recurses deeper than the fixed X.509 structure, and refuses
//! indefinite lengths, lengths that overrun their container and lengths wider than 4 bytes (RFC 5280 §4.1:
//! certificates are DER, ITU-T X.690 §10.1 definite form).

/// One attribute of a relative distinguished name: its type (short name such as `CN` when known, else the
/// dotted OID) and its value decoded to text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// `CN`, `OU`, `O`, `C`, … or the dotted OID (`2.5.4.97`).
    pub name: String,
    /// The dotted OID of the attribute type.
    pub oid: String,
    /// The arcs of the OID (for rcgen's `DnType::from_oid`).
    pub arcs: Vec<u64>,
    /// The value as text; a value of a type that is not a string is rendered `#<hex of its DER>` (RFC 4514 §2.4).
    pub value: String,
    /// The DER tag of the value (0x0C UTF8String, 0x13 PrintableString, 0x16 IA5String, …).
    pub tag: u8,
}

/// A distinguished name: the RDNs in DER order (most significant first, usually `C`, then `O`…), each a set
/// of attributes (almost always one).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Name {
    /// RDNs in encoding order.
    pub rdns: Vec<Vec<Attribute>>,
}

impl Name {
    /// RFC 4514 string, most specific RDN first (`CN=…, OU=…, O=…, C=FR`), with `, ` between RDNs and `+`
    /// inside a multi-valued RDN, special characters escaped.
    pub fn to_rfc4514(&self) -> String {
        let mut out = String::new();
        for (i, rdn) in self.rdns.iter().rev().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            for (j, a) in rdn.iter().enumerate() {
                if j > 0 {
                    out.push('+');
                }
                out.push_str(&a.name);
                out.push('=');
                if a.value.starts_with('#') && a.tag != 0x0C && a.tag != 0x13 && a.tag != 0x16 {
                    // Already the hex form of a non-string value.
                    out.push_str(&a.value);
                } else {
                    escape_value(&a.value, &mut out);
                }
            }
        }
        out
    }

    /// The value of the first attribute named `name` (`CN`, `OU`…), in DER order.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.rdns
            .iter()
            .flatten()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }
}

/// RFC 4514 §2.4 escaping of an attribute value.
fn escape_value(v: &str, out: &mut String) {
    let n = v.chars().count();
    for (i, c) in v.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i + 1 == n && c == ' ');
        if special {
            out.push('\\');
            out.push(c);
        } else if c == '\0' {
            out.push_str("\\00");
        } else {
            out.push(c);
        }
    }
}

/// The fields of a certificate the harness reads.
#[derive(Debug, Clone)]
pub struct CertInfo<'a> {
    /// The raw DER of the issuer Name (tag and length included).
    pub issuer_der: &'a [u8],
    /// The raw DER of the subject Name (tag and length included).
    pub subject_der: &'a [u8],
    /// The serial number's content octets (big-endian two's complement, as encoded).
    pub serial: &'a [u8],
    /// The issuer, decoded.
    pub issuer: Name,
    /// The subject, decoded.
    pub subject: Name,
    /// The subject key identifier extension (2.5.29.14), if present.
    pub subject_key_id: Option<Vec<u8>>,
    /// The basic constraints extension (2.5.29.19): `Some(true)` for a CA, `Some(false)` for an end entity,
    /// `None` when absent (old version 1 roots have none).
    pub is_ca: Option<bool>,
}

/// One TLV: its tag, its content and the whole encoding.
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    whole: &'a [u8],
}

/// Reads one TLV at the start of `input`; returns it and the rest.
fn tlv(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let tag = *input.first()?;
    if tag & 0x1F == 0x1F {
        return None; // high tag numbers never occur in the fields we read
    }
    let first = *input.get(1)? as usize;
    let (len, header) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7F;
        if n == 0 || n > 4 {
            return None; // indefinite form (not DER) or absurd length
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *input.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    if end > input.len() {
        return None;
    }
    Some((
        Tlv {
            tag,
            content: &input[header..end],
            whole: &input[..end],
        },
        &input[end..],
    ))
}

/// Reads a TLV that must have `tag`.
fn expect(input: &[u8], tag: u8) -> Option<(Tlv<'_>, &[u8])> {
    let (t, rest) = tlv(input)?;
    (t.tag == tag).then_some((t, rest))
}

/// Decodes the content of an OBJECT IDENTIFIER into its arcs (X.690 §8.19).
pub fn oid_arcs(content: &[u8]) -> Option<Vec<u64>> {
    if content.is_empty() || content.len() > 64 {
        return None;
    }
    let mut arcs = Vec::new();
    let mut v: u64 = 0;
    let mut first = true;
    for (i, &b) in content.iter().enumerate() {
        if v > (u64::MAX >> 7) {
            return None;
        }
        v = (v << 7) | u64::from(b & 0x7F);
        if b & 0x80 == 0 {
            if first {
                let (a, b) = if v < 40 {
                    (0, v)
                } else if v < 80 {
                    (1, v - 40)
                } else {
                    (2, v - 80)
                };
                arcs.push(a);
                arcs.push(b);
                first = false;
            } else {
                arcs.push(v);
            }
            v = 0;
        } else if i + 1 == content.len() {
            return None; // truncated arc
        }
    }
    Some(arcs)
}

fn dotted(arcs: &[u64]) -> String {
    arcs.iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(".")
}

/// Short names of the attribute types seen in French health certificates (RFC 4514 §3 plus the usual ones).
fn short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "title",
        "2.5.4.42" => "GN",
        "2.5.4.97" => "organizationIdentifier",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        _ => return None,
    })
}

/// Decodes a directory string value; `None` for a type that is not a string.
fn string_value(tag: u8, content: &[u8]) -> Option<String> {
    match tag {
        // UTF8String, PrintableString, IA5String, NumericString, VisibleString
        0x0C | 0x13 | 0x16 | 0x12 | 0x1A => Some(String::from_utf8_lossy(content).into_owned()),
        // TeletexString: in practice Latin-1.
        0x14 => Some(content.iter().map(|&b| b as char).collect()),
        // BMPString: UTF-16BE.
        0x1E => {
            if !content.len().is_multiple_of(2) {
                return None;
            }
            let units: Vec<u16> = content
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        // UniversalString: UTF-32BE.
        0x1C => {
            if !content.len().is_multiple_of(4) {
                return None;
            }
            Some(
                content
                    .chunks_exact(4)
                    .map(|c| {
                        char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                            .unwrap_or('\u{FFFD}')
                    })
                    .collect(),
            )
        }
        _ => None,
    }
}

/// Parses the content of a Name (a SEQUENCE OF RelativeDistinguishedName).
fn name(content: &[u8]) -> Option<Name> {
    let mut rdns = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (set, r) = expect(rest, 0x31)?;
        rest = r;
        let mut rdn = Vec::new();
        let mut inner = set.content;
        while !inner.is_empty() {
            let (atv, r) = expect(inner, 0x30)?;
            inner = r;
            let (oid, r) = expect(atv.content, 0x06)?;
            let (value, r) = tlv(r)?;
            if !r.is_empty() {
                return None;
            }
            let arcs = oid_arcs(oid.content)?;
            let oid = dotted(&arcs);
            let value_text = string_value(value.tag, value.content)
                .unwrap_or_else(|| format!("#{}", hex::encode(value.whole)));
            rdn.push(Attribute {
                name: short_name(&oid).map_or_else(|| oid.clone(), str::to_string),
                oid,
                arcs,
                value: value_text,
                tag: value.tag,
            });
        }
        if rdn.is_empty() {
            return None;
        }
        rdns.push(rdn);
        if rdns.len() > 64 {
            return None;
        }
    }
    Some(Name { rdns })
}

/// Reads the fields the harness needs from a DER certificate; `None` if it is not one.
pub fn parse_certificate(der: &[u8]) -> Option<CertInfo<'_>> {
    let (cert, rest) = expect(der, 0x30)?;
    if !rest.is_empty() {
        return None;
    }
    let (tbs, _) = expect(cert.content, 0x30)?;
    let mut r = tbs.content;
    // version [0] EXPLICIT, optional
    if r.first() == Some(&0xA0) {
        r = tlv(r)?.1;
    }
    let (serial, r) = expect(r, 0x02)?;
    let (_sig_alg, r) = expect(r, 0x30)?;
    let (issuer, r) = expect(r, 0x30)?;
    let (_validity, r) = expect(r, 0x30)?;
    let (subject, r) = expect(r, 0x30)?;
    let (_spki, mut r) = expect(r, 0x30)?;
    let mut subject_key_id = None;
    let mut is_ca = None;
    while !r.is_empty() {
        let (t, rest) = tlv(r)?;
        r = rest;
        if t.tag != 0xA3 {
            continue; // issuerUniqueID [1], subjectUniqueID [2]
        }
        let (exts, _) = expect(t.content, 0x30)?;
        let mut e = exts.content;
        while !e.is_empty() {
            let (ext, rest) = expect(e, 0x30)?;
            e = rest;
            let (oid, mut x) = expect(ext.content, 0x06)?;
            if x.first() == Some(&0x01) {
                x = tlv(x)?.1; // critical BOOLEAN
            }
            let (value, _) = expect(x, 0x04)?;
            match oid_arcs(oid.content)?.as_slice() {
                [2, 5, 29, 14] => {
                    subject_key_id = expect(value.content, 0x04).map(|(k, _)| k.content.to_vec());
                }
                [2, 5, 29, 19] => {
                    if let Some((seq, _)) = expect(value.content, 0x30) {
                        is_ca = Some(matches!(
                            expect(seq.content, 0x01),
                            Some((b, _)) if b.content.first().is_some_and(|&v| v != 0)
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    Some(CertInfo {
        issuer_der: issuer.whole,
        subject_der: subject.whole,
        serial: serial.content,
        issuer: name(issuer.content)?,
        subject: name(subject.content)?,
        subject_key_id,
        is_ca,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_decoding_handles_multi_byte_arcs() {
        // 1.2.840.113549.1.9.1
        let content = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x01];
        assert_eq!(
            oid_arcs(&content).unwrap(),
            vec![1, 2, 840, 113549, 1, 9, 1]
        );
        assert!(oid_arcs(&[0x2A, 0x86]).is_none(), "truncated arc refused");
        assert!(oid_arcs(&[]).is_none());
    }

    #[test]
    fn escaping_follows_rfc4514() {
        let mut s = String::new();
        escape_value(" a,b+c ", &mut s);
        assert_eq!(s, "\\ a\\,b\\+c\\ ");
    }

    #[test]
    fn hostile_bytes_never_panic() {
        assert!(parse_certificate(&[]).is_none());
        assert!(
            parse_certificate(&[0x30, 0x80]).is_none(),
            "indefinite length"
        );
        assert!(parse_certificate(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
        assert!(parse_certificate(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]).is_none());
        for len in 0..64 {
            let v: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8).collect();
            let _ = parse_certificate(&v);
        }
    }
}
