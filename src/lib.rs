//! dui-conform: a conformance test harness for the DUI (dossier usager informatisé) of French social and
//! medico-social institutions (ESMS).
//!
//! It plays the national services a DUI talks to (MSSanté, DMP, e-prescription, e-parcours), checks every
//! byte that crosses the wire against the national requirements, and writes conformance reports that name
//! the requirement, its source, the exact location and how to fix it.
//!
//! # Layout
//! - [`model`]: the shared vocabulary (requirements levels, verdicts, findings, artifacts);
//! - [`catalogue`]: the requirement catalogue and value sets, compiled in;
//! - [`limits`]: the bounds applied to every untrusted input;
//! - [`formats`]: wire formats → typed read-only views with source positions (XML, CDA, INS, HL7 v2
//!   types, XDS metadata, XDM zip, MIME);
//! - [`checks`]: pure functions view → findings, one module per domain;
//! - [`validate`]: the engine of `dui-conform validate` (kind detection, nested validation);
//! - [`report`]: renderers (human, JSON, JUnit, Markdown, HTML, SVRL);
//! - [`pki`]: the test PKI (CA, server and client certificates) and the simulators' TLS configurations;
//! - [`evidence`]: the append-only, content-addressed store of every exchange;
//! - [`sim`]: the simulated national services (the DMP), recording to the evidence store;
//! - [`cli`]: the command line (the binary's `main.rs` only calls [`cli::run`]).
//!
//! Data flows one way: bytes → `formats::…::parse` → view → `checks::…` → [`model::Finding`]s →
//! [`report`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod catalogue;
pub mod checks;
pub mod cli;
pub mod evidence;
pub mod formats;
pub mod limits;
pub mod model;
pub mod pki;
pub mod report;
pub mod schematron;
pub mod sim;
pub mod validate;
pub mod xmldsig;
