//! Signing a whole MTOM ITI-41 to the DMP as a DUI does: the XAdES (IHE DSG detached) signature document of
//! the submission set put in the signature entry's MIME part (with the entry's `hash` and `size` slots
//! updated), then the VIHF assertion signed (enveloped, after `saml2:Issuer`). Used by the fixture
//! generator and the tests that derive requests from the fixture; a reference DUI can use it as is.
//!
//! Works on the bytes of a multipart body whose root part and signature part are 8-bit text (no
//! Content-Transfer-Encoding): every other byte of the request is kept.

use sha1::Digest;

use super::dsg::{sign_detached, DsgInput, SignedDoc};
use super::sign::{sign_enveloped, Placement, SignError, SigningKey};
use crate::checks::dmp::{signature_entry_id, Envelope};
use crate::formats::xds::{self as fxds, DocContent};
use crate::limits::Limits;

/// Signs an MTOM ITI-41 body (`content_type` is its HTTP Content-Type): XAdES of the submission set, then
/// the VIHF. Without a signature entry only the VIHF is signed; without a VIHF only the XAdES.
pub fn sign_iti41(
    body: &[u8],
    content_type: &str,
    key: &SigningKey,
    signing_time: &str,
) -> Result<Vec<u8>, SignError> {
    let limits = Limits::default();
    let mut cap = format!("Content-Type: {content_type}\r\n\r\n").into_bytes();
    let head = cap.len();
    cap.extend_from_slice(body);
    let capture = fxds::parse_capture(&cap, &limits).map_err(|e| SignError::Xml(e.to_string()))?;
    let (root_bytes, root_off, _) = capture
        .root()
        .ok_or_else(|| SignError::Xml("no root part".into()))?;
    let root_text = std::str::from_utf8(root_bytes).map_err(|e| SignError::Xml(e.to_string()))?;
    let doc = roxmltree::Document::parse(root_text).map_err(|e| SignError::Xml(e.to_string()))?;
    let env = Envelope::of(doc.root_element());
    // (byte range in `body`, replacement), applied from the end.
    let mut edits: Vec<(std::ops::Range<usize>, Vec<u8>)> = Vec::new();
    let mut root_edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    if let Some(sub) = env
        .payload
        .and_then(crate::sim::dmp::cmd::submit_objects)
        .map(fxds::Submission::of)
    {
        if let Some(sig_id) = signature_entry_id(&sub) {
            let xdsb_docs = fxds::documents(env.payload.unwrap_or(doc.root_element()));
            let part_of = |id: &str| {
                xdsb_docs
                    .iter()
                    .find(|d| d.id == Some(id))
                    .and_then(|d| match &d.content {
                        DocContent::Xop(cid) => capture.part(cid),
                        _ => None,
                    })
            };
            let ss_uid = sub.submission_set_unique_id().to_string();
            let mut docs = Vec::new();
            for e in sub.entries.iter().filter(|e| e.id != Some(sig_id)) {
                let uid = e
                    .identified(fxds::uuid::DE_UNIQUE_ID)
                    .first()
                    .and_then(|x| x.value)
                    .unwrap_or("");
                if let Some(p) = e.id.and_then(part_of) {
                    docs.push(SignedDoc {
                        unique_id: uid,
                        bytes: p.body,
                    });
                }
            }
            let xades = sign_detached(
                &DsgInput {
                    signature_id: sig_id,
                    submission_set_unique_id: &ss_uid,
                    documents: docs,
                    signing_time,
                },
                key,
            )?;
            let part = part_of(sig_id)
                .ok_or_else(|| SignError::Xml(format!("no MIME part for {sig_id}")))?;
            // The entry's hash and size slots describe the new signature document (XDS-DE-027/028).
            if let Some(entry) = sub.entries.iter().find(|e| e.id == Some(sig_id)) {
                for (name, value) in [
                    ("hash", hex::encode(sha1::Sha1::digest(&xades))),
                    ("size", xades.len().to_string()),
                ] {
                    let v = entry
                        .node
                        .children()
                        .find(|c| {
                            c.is_element()
                                && c.tag_name().name() == "Slot"
                                && c.attribute("name") == Some(name)
                        })
                        .and_then(|s| {
                            s.descendants()
                                .find(|n| n.is_element() && n.tag_name().name() == "Value")
                        })
                        .and_then(|v| v.first_child())
                        .filter(|t| t.is_text());
                    if let Some(t) = v {
                        root_edits.push((t.range(), value));
                    }
                }
            }
            edits.push((
                part.offset - head..part.offset - head + part.body.len(),
                xades,
            ));
        }
    }
    // The root part with the new slots, then the VIHF signed.
    let mut text = root_text.to_string();
    root_edits.sort_by_key(|e| std::cmp::Reverse(e.0.start));
    for (r, v) in root_edits {
        text.replace_range(r, &v);
    }
    if let Some(id) = env.assertion.and_then(|a| a.attribute("ID")) {
        text = sign_enveloped(&text, id, Placement::AfterFirstChildElement, key)?;
    }
    edits.push((
        root_off - head..root_off - head + root_bytes.len(),
        text.into_bytes(),
    ));
    edits.sort_by_key(|e| std::cmp::Reverse(e.0.start));
    let mut out = body.to_vec();
    for (r, v) in edits {
        out.splice(r, v);
    }
    Ok(out)
}
