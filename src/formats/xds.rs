//! (being written) — see formats/mod.rs for the role of this module.
