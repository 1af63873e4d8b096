//! Validation of an MSSanté message (.eml): the message rules (MSS-MSG, MSS-HDR, MSS-ADDR) on the message
//! artifact, then its `IHE_XDM.zip` attachment as the nested artifact `<message>!IHE_XDM.zip`, which
//! descends into its documents. The archive is opened once: the same pass yields the nested artifacts and
//! the facts the message rules compare with (CDA codes and INS, metadata confidentiality codes).

use std::io::Cursor;

use super::{sha256_hex, Options};
use crate::checks::mssante::{self, XdmAttachment};
use crate::checks::Sink;
use crate::formats::mime::{self, MimeError};
use crate::model::{ArtifactKind, ArtifactResult, Location};
use crate::msg;

/// File name of the archive attachment (compared case-insensitively).
pub const XDM_NAME: &str = "IHE_XDM.zip";

/// Validates a message given as bytes; returns it and every artifact nested in it.
pub fn validate(
    path: &str,
    parent: Option<&str>,
    bytes: &[u8],
    opts: &Options,
) -> Vec<ArtifactResult> {
    let mut sink = Sink::new();
    let mail = match mime::parse(bytes, &opts.limits) {
        Ok(m) => m,
        Err(e) => {
            refused(&e, &mut sink);
            return vec![super::result(
                path,
                parent,
                bytes,
                ArtifactKind::Mime,
                sink.finish(),
            )];
        }
    };
    let mut xdm = XdmAttachment {
        parts: mail
            .parts
            .iter()
            .filter(|p| {
                !p.is_multipart
                    && p.file_name()
                        .is_some_and(|n| n.trim().eq_ignore_ascii_case(XDM_NAME))
            })
            .map(|p| p.index)
            .collect(),
        ..XdmAttachment::default()
    };
    let mut nested = Vec::new();
    if let Some(part) = xdm.parts.first().and_then(|&i| mail.parts.get(i)) {
        match part.decode(bytes) {
            Err(e) => xdm.decoded = Some(Err(e.to_string())),
            Ok(zip) => {
                xdm.decoded = Some(Ok(()));
                let name = part.file_name().unwrap_or(XDM_NAME).trim();
                let zip_path = format!("{path}!{name}");
                let (results, attached) = super::xdm::run(
                    &zip_path,
                    Some(path),
                    Cursor::new(&zip),
                    sha256_hex(&zip),
                    zip.len() as u64,
                    opts,
                );
                nested = results;
                xdm.attached = Some(attached);
            }
        }
    }
    mssante::check(&mail, &xdm, &mut sink);
    let mut out = vec![super::result(
        path,
        parent,
        bytes,
        ArtifactKind::Mime,
        sink.finish(),
    )];
    out.extend(nested);
    out
}

/// MSS-MSG-010 when the message cannot be parsed within the limits: nothing else is checked.
fn refused(e: &MimeError, sink: &mut Sink) {
    sink.violation(
        "MSS-MSG-010",
        Location::default(),
        msg!(
            "Message refusé, aucun autre contrôle n'est possible : {e}",
            "Message refused, nothing else can be checked: {e}"
        ),
    );
}
