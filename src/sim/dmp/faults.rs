//! Fault injection: answer the next request matching a [`Matcher`] with a chosen [`Fault`] instead of the
//! normal answer, so that the DUI's error handling is tested (DMP-ERR-011, DMP-ERR-012).
//!
//! A fault is consumed by the first matching request. The request is still recorded as evidence and
//! checked (its findings are logged); only the answer changes, and the registry is not touched.

use std::sync::Mutex;
use std::time::Duration;

use crate::checks::dmp::Transaction;

/// The IHE XDS error codes a DMP may answer (DMP-ERR-011: the fault-injection vocabulary, from the Open
/// eHealth IPF `ErrorCode` list; the last five are expected but unverified). Any other code can be injected
/// too (the DMP's own codes, DMP-ERR-013, are not public): this list is what scenarios are checked against.
pub const IHE_ERROR_CODES: &[&str] = &[
    "XDSMissingDocument",
    "XDSMissingDocumentMetadata",
    "XDSRegistryNotAvailable",
    "XDSRegistryError",
    "XDSRepositoryError",
    "XDSRegistryDuplicateUniqueIdInMessage",
    "XDSRepositoryDuplicateUniqueIdInMessage",
    "XDSDuplicateUniqueIdInRegistry",
    "XDSNonIdenticalHash",
    "XDSNonIdenticalSize",
    "XDSRegistryBusy",
    "XDSRepositoryBusy",
    "XDSRegistryOutOfResources",
    "XDSRepositoryOutOfResources",
    "XDSRegistryMetadataError",
    "XDSRepositoryMetadataError",
    "XDSTooManyResults",
    "XDSExtraMetadataNotSaved",
    "XDSUnknownPatientId",
    "XDSPatientIdDoesNotMatch",
    "XDSUnknownStoredQuery",
    "XDSStoredQueryMissingParam",
    "XDSStoredQueryParamNumber",
    "XDSSqlError",
    "XDSRegistryDeprecatedDocumentError",
    "XDSUnknownRepositoryId",
    "XDSDocumentUniqueIdError",
    "XDSResultNotSinglePatient",
    "XDSMetadataUpdateError",
    "XDSMetadataVersionError",
];

/// Which request a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matcher {
    /// Any request.
    Any,
    /// Requests of one transaction.
    Transaction(Transaction),
}

impl Matcher {
    fn matches(self, tx: Option<Transaction>) -> bool {
        match self {
            Matcher::Any => true,
            Matcher::Transaction(t) => tx == Some(t),
        }
    }
}

/// What to answer instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// A `Failure` RegistryResponse with this IHE error code (`XDSRegistryBusy`…).
    RegistryError(String),
    /// A SOAP 1.2 Receiver Fault.
    SoapFault,
    /// An HTTP status (500, 503) with an empty body.
    Http(u16),
    /// The normal answer, after this delay.
    Delay(Duration),
    /// Close the connection without answering.
    Drop,
}

/// The queue of pending faults, shared by every connection.
#[derive(Debug, Default)]
pub struct Faults {
    pending: Mutex<Vec<(Matcher, Fault)>>,
}

impl Faults {
    /// No pending fault.
    pub fn new() -> Faults {
        Faults::default()
    }

    /// Answers the next request matching `m` with `f` (faults queue up in order).
    pub fn next(&self, m: Matcher, f: Fault) {
        if let Ok(mut p) = self.pending.lock() {
            p.push((m, f));
        }
    }

    /// Takes the first pending fault matching a request of `tx`.
    pub fn take(&self, tx: Option<Transaction>) -> Option<Fault> {
        let mut p = self.pending.lock().ok()?;
        let i = p.iter().position(|(m, _)| m.matches(tx))?;
        Some(p.remove(i).1)
    }

    /// Number of pending faults.
    pub fn pending(&self) -> usize {
        self.pending.lock().map(|p| p.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_fault_is_consumed_once() {
        let f = Faults::new();
        f.next(Matcher::Transaction(Transaction::Iti18), Fault::Http(503));
        f.next(Matcher::Any, Fault::Drop);
        assert_eq!(f.take(Some(Transaction::Iti41)), Some(Fault::Drop));
        assert_eq!(f.take(Some(Transaction::Iti41)), None);
        assert_eq!(f.take(Some(Transaction::Iti18)), Some(Fault::Http(503)));
        assert_eq!(f.pending(), 0);
    }
}
