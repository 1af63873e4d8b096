//! ITI-43 Retrieve Document Set: the documents by uniqueId, byte-exact, in an MTOM/XOP response.
//!
//! # Format
//! `xdsb:RetrieveDocumentSetRequest` > 1..* `xdsb:DocumentRequest` (`RepositoryUniqueId`,
//! `DocumentUniqueId`). An unknown repository gives `XDSUnknownRepositoryId`, an unknown document
//! `XDSMissingDocument`; some found and some not gives `PartialSuccess`.
//!
//! The registry knows each document by its SHA-256: the bytes are read back from the evidence store
//! (and checked against that hash), so what is retrieved is exactly what was deposited.

use std::fmt::Write as _;

use roxmltree::Node;

use super::child_text;
use crate::checks::dmp::Transaction;
use crate::evidence::EvidenceStore;
use crate::formats::xds as fxds;
use crate::sim::dmp::registry::Registry;
use crate::sim::dmp::wire::{self, esc, RegistryError, Response};

/// The (repository, document) pairs asked for.
pub fn requests(payload: Node<'_, '_>) -> Vec<(String, String)> {
    payload
        .children()
        .filter(|c| {
            c.is_element()
                && c.tag_name().namespace() == Some(fxds::NS_XDSB)
                && c.tag_name().name() == "DocumentRequest"
        })
        .map(|r| {
            (
                child_text(r, "RepositoryUniqueId")
                    .unwrap_or("")
                    .to_string(),
                child_text(r, "DocumentUniqueId").unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The MTOM response.
pub fn respond(
    reqs: &[(String, String)],
    reg: &Registry,
    store: &EvidenceStore,
    repository_unique_id: &str,
    relates_to: Option<&str>,
) -> Response {
    let mut errors = Vec::new();
    let mut docs = String::new();
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, (repo, uid)) in reqs.iter().enumerate() {
        if repo != repository_unique_id {
            let mut e = RegistryError::new(
                "XDSUnknownRepositoryId",
                format!("RepositoryUniqueId {repo} (attendu/expected {repository_unique_id})"),
            );
            e.location = Some(uid.clone());
            errors.push(e);
            continue;
        }
        let found = reg
            .by_unique_id(uid)
            .map(|e| (e, store.get(&e.document_sha256)));
        match found {
            Some((_, Err(err))) => {
                let mut e = RegistryError::new(
                    "XDSMissingDocument",
                    format!("DocumentUniqueId {uid}: document illisible dans le dépôt / unreadable in the repository ({err})"),
                );
                e.location = Some(uid.clone());
                errors.push(e);
            }
            Some((e, Ok(bytes))) => {
                let cid = format!("doc{i}@dui-conform");
                let _ = write!(
                    docs,
                    "<xdsb:DocumentResponse><xdsb:RepositoryUniqueId>{}</xdsb:RepositoryUniqueId><xdsb:DocumentUniqueId>{}</xdsb:DocumentUniqueId><xdsb:mimeType>{}</xdsb:mimeType><xdsb:Document><xop:Include xmlns:xop=\"http://www.w3.org/2004/08/xop/include\" href=\"cid:{cid}\"/></xdsb:Document></xdsb:DocumentResponse>",
                    esc(repo),
                    esc(uid),
                    esc(&e.mime_type)
                );
                parts.push((cid, bytes));
            }
            None => {
                let mut e =
                    RegistryError::new("XDSMissingDocument", format!("DocumentUniqueId {uid}"));
                e.location = Some(uid.clone());
                errors.push(e);
            }
        }
    }
    let partial = !parts.is_empty();
    let body = format!(
        "<xdsb:RetrieveDocumentSetResponse xmlns:xdsb=\"urn:ihe:iti:xds-b:2007\"><rs:RegistryResponse xmlns:rs=\"urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0\" status=\"{}\">{}</rs:RegistryResponse>{docs}</xdsb:RetrieveDocumentSetResponse>",
        wire::status_of(&errors, partial),
        wire::error_list(&errors)
    );
    let action = wire::response_action(Transaction::Iti43);
    let env = wire::envelope(&action, relates_to, &body);
    let att: Vec<(String, &[u8])> = parts.iter().map(|(c, b)| (c.clone(), &b[..])).collect();
    wire::mtom(&action, env, &att)
}
