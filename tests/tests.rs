//! The integration tests: one binary (see STYLE.md, ripgrep), one module per concern.

// Every fixture proves its rule: invalid fixtures fail exactly their rule, valid ones pass.
mod fixtures;
// Real public samples get the verdicts of shared/samples/expected.json.
mod samples;
// The official IHE XDM archives: container rules pass, nested documents get their expectations.
mod samples_xdm;
// Hostile input: findings or a clean exit 2, never a panic, a hang or unbounded memory.
mod hostile;
// Random mutations of the valid fixtures fed to every parser.
mod mutations;
// The command line as a user runs it, with snapshots of its outputs.
mod cli;
// The test PKI: certificates read by openssl, rustls handshakes, `pki init`.
mod pki;
// The evidence store: concurrency, SIGKILL, damage detection, `evidence verify`.
mod evidence;
// The DMP simulator against curl, openssl s_client and python3; rule violations, faults, SIGKILL.
mod dmp;
// XML-DSig interoperability with xmlsec1, both ways.
mod xmldsig;
// The DMP registry queries, restarts and the state-directory lock.
mod dmp_registry;
// Mutated ITI-41 and ITI-18 requests: answered per protocol, recorded, never a panic.
mod dmp_mutations;
// The DMP load generator (ignored: run on demand in release, see its module doc).
mod dmp_load;
// The official ANS kit (schematrons) run natively on the real samples.
mod schematron;
// Speed of the native kit: outcome dumps and the optimised path against the plain one.
mod kit_speed;
// The kit's disk cache: same outcomes as from the folder, damaged files replaced, edits seen.
mod kit_cache;
// XSD validation against the ANS kit's CDA schema, compared with xmllint.
#[cfg(feature = "xsd")]
mod xsd;
// The official kit's Schematron verdicts: our engine against Saxon (the reference), document by document.
#[cfg(feature = "xsd")]
mod differential;
// Shared helpers.
mod util;
