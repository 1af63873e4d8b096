//! The official ANS CDA kit, natively: XSD validation ([`xsd`]) and the Schematron engine.

pub mod xsd;
