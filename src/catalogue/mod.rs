//! The requirement catalogue and the value sets, compiled into the binary.
//!
//! `data/<domain>.toml` is generated from `shared/domain/requirements.csv` and the domain markdown files by
//! `tools/gen_catalogue.py`, and turned into Rust statics by `build.rs` (no TOML parsing at run time); `valuesets/*.tsv` from the official kit's SVS files and the DMP value sets by
//! `tools/gen_valuesets.py`. Both are parsed once, on first use.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::model::{Confidence, Lang, Level};

/// One rule of the catalogue.
#[derive(Debug, Clone, Deserialize)]
pub struct Requirement {
    /// `<PREFIX>-<NNN>`.
    pub id: String,
    /// MUST / SHOULD / INFO / RETIRED.
    pub level: Level,
    /// V / V2 / U.
    pub confidence: Confidence,
    /// Domain file (`cda`, `identity`, `xds-dmp`, `mssante`, `fhir`, `dui`).
    pub domain: String,
    /// French title.
    pub title_fr: String,
    /// English title.
    pub title_en: String,
    /// Source (repository@commit:path, or URL).
    pub source: String,
    /// Where the rule is evaluated: `doc`, `wire`, `scn`, `sim`.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Exact constraint (English).
    #[serde(default)]
    pub constraint: String,
    /// The check hint of the domain file.
    #[serde(default)]
    pub check_hint: String,
}

impl Requirement {
    /// Title in `lang`.
    pub fn title(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fr => &self.title_fr,
            Lang::En => &self.title_en,
        }
    }

    /// The id's prefix (`CDA-HDR` for `CDA-HDR-028`).
    pub fn prefix(&self) -> &str {
        self.id.rsplit_once('-').map_or(&self.id, |(p, _)| p)
    }

    /// True when the rule is evaluated on an artifact (`[doc]`).
    pub fn is_doc(&self) -> bool {
        self.scopes.iter().any(|s| s == "doc")
    }
}

/// A requirement as compiled in by `build.rs` (static strings; converted once into [`Requirement`]).
pub(crate) struct RawRequirement {
    id: &'static str,
    level: Level,
    confidence: Confidence,
    domain: &'static str,
    title_fr: &'static str,
    title_en: &'static str,
    source: &'static str,
    scopes: &'static [&'static str],
    constraint: &'static str,
    check_hint: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/catalogue_data.rs"));

struct Catalogue {
    all: Vec<Requirement>,
    by_id: HashMap<&'static str, usize>,
}

fn catalogue() -> &'static Catalogue {
    static CAT: OnceLock<Catalogue> = OnceLock::new();
    CAT.get_or_init(|| {
        let all: Vec<Requirement> = RAW
            .iter()
            .map(|r| Requirement {
                id: r.id.to_string(),
                level: r.level,
                confidence: r.confidence,
                domain: r.domain.to_string(),
                title_fr: r.title_fr.to_string(),
                title_en: r.title_en.to_string(),
                source: r.source.to_string(),
                scopes: r.scopes.iter().map(|s| s.to_string()).collect(),
                constraint: r.constraint.to_string(),
                check_hint: r.check_hint.to_string(),
            })
            .collect();
        let by_id = RAW.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        Catalogue { all, by_id }
    })
}

/// Catalogue version: the seed's date and the number of rules.
pub fn version() -> &'static str {
    "2026-11-22"
}

/// Every requirement, in catalogue order.
pub fn all() -> &'static [Requirement] {
    &catalogue().all
}

/// The requirement with this id.
pub fn get(id: &str) -> Option<&'static Requirement> {
    let c = catalogue();
    c.by_id.get(id).map(|&i| &c.all[i])
}

/// A value set (jeu de valeurs) or a correspondence table, compiled in.
#[derive(Debug)]
pub struct ValueSet {
    /// Short name (`J07`, `ASS_X04`).
    pub name: &'static str,
    /// OID of the set.
    pub oid: &'static str,
    /// Version or date of the set.
    pub version: &'static str,
    /// Rows: (code, codeSystem, displayName) or, for tables, (sourceCode, sourceSystem, targetCode, targetSystem).
    pub rows: Vec<Vec<&'static str>>,
    codes: HashSet<&'static str>,
    pairs: HashSet<(&'static str, &'static str)>,
}

impl ValueSet {
    fn parse(name: &'static str, text: &'static str) -> ValueSet {
        let (mut oid, mut version) = ("", "");
        let mut rows = Vec::new();
        for line in text.lines() {
            if let Some(h) = line.strip_prefix("# ") {
                let (k, v) = h.split_once('\t').unwrap_or((h, ""));
                match k {
                    "oid" => oid = v,
                    "version" => version = v,
                    _ => {}
                }
            } else if !line.is_empty() {
                rows.push(line.split('\t').collect::<Vec<_>>());
            }
        }
        let codes = rows.iter().filter_map(|r| r.first().copied()).collect();
        let pairs = rows
            .iter()
            .filter(|r| r.len() >= 2)
            .map(|r| (r[0], r[1]))
            .collect();
        ValueSet {
            name,
            oid,
            version,
            rows,
            codes,
            pairs,
        }
    }

    /// True when some concept has this code (whatever its code system).
    pub fn contains(&self, code: &str) -> bool {
        self.codes.contains(code)
    }

    /// True when a concept has this (code, codeSystem) pair.
    pub fn contains_pair(&self, code: &str, system: &str) -> bool {
        self.pairs.contains(&(code, system))
    }

    /// The code systems under which `code` is a member.
    pub fn systems_of(&self, code: &str) -> Vec<&'static str> {
        self.rows
            .iter()
            .filter(|r| r[0] == code && r.len() > 1)
            .map(|r| r[1])
            .collect()
    }

    /// For a correspondence table: the target (code, system) of a source code (and system, when given).
    pub fn map(&self, code: &str, system: Option<&str>) -> Option<(&'static str, &'static str)> {
        self.rows
            .iter()
            .find(|r| r.len() >= 4 && r[0] == code && system.is_none_or(|s| r[1] == s))
            .map(|r| (r[2], r[3]))
    }

    /// "J07 (1.2.250.1.213.1.1.5.471, 20240927120000)", for messages.
    pub fn label(&self) -> String {
        format!("{} ({}, {})", self.name, self.oid, self.version)
    }
}

const VALUESETS: &[(&str, &str)] = &[
    ("J01", include_str!("valuesets/J01.tsv")),
    ("J02", include_str!("valuesets/J02.tsv")),
    ("J03", include_str!("valuesets/J03.tsv")),
    ("J04", include_str!("valuesets/J04.tsv")),
    ("J07", include_str!("valuesets/J07.tsv")),
    ("J08", include_str!("valuesets/J08.tsv")),
    ("J10", include_str!("valuesets/J10.tsv")),
    ("J47", include_str!("valuesets/J47.tsv")),
    ("J142", include_str!("valuesets/J142.tsv")),
    ("J143", include_str!("valuesets/J143.tsv")),
    ("J254", include_str!("valuesets/J254.tsv")),
    ("J56", include_str!("valuesets/J56.tsv")),
    ("J57", include_str!("valuesets/J57.tsv")),
    ("J59", include_str!("valuesets/J59.tsv")),
    ("J60", include_str!("valuesets/J60.tsv")),
    ("J62", include_str!("valuesets/J62.tsv")),
    ("J65", include_str!("valuesets/J65.tsv")),
    ("J66", include_str!("valuesets/J66.tsv")),
    ("ASS_X04", include_str!("valuesets/ASS_X04.tsv")),
    ("ASS_A11", include_str!("valuesets/ASS_A11.tsv")),
];

/// The compiled-in value set or table named `name` (`J07`, `ASS_A11`…), parsed on first use (each set
/// on its own: a run pays only for the sets its checks consult).
///
/// # Panics
/// On an unknown name: names are literals in the checks, covered by tests.
pub fn valueset(name: &str) -> &'static ValueSet {
    static SETS: [OnceLock<ValueSet>; VALUESETS.len()] =
        [const { OnceLock::new() }; VALUESETS.len()];
    let i = VALUESETS
        .iter()
        .position(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("unknown value set {name}"));
    let (n, text) = VALUESETS[i];
    SETS[i].get_or_init(|| ValueSet::parse(n, text))
}

/// Names of every compiled-in value set.
pub fn valueset_names() -> impl Iterator<Item = &'static str> {
    VALUESETS.iter().map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_loads_every_domain_with_unique_ids() {
        assert_eq!(all().len(), 285);
        let ids: HashSet<_> = all().iter().map(|r| &r.id).collect();
        assert_eq!(ids.len(), all().len());
        assert_eq!(get("CDA-HDR-028").unwrap().level, Level::Must);
    }

    #[test]
    fn value_sets_load_and_answer() {
        for n in valueset_names() {
            assert!(!valueset(n).rows.is_empty(), "{n}");
        }
        assert!(valueset("J07").contains("74207-2"));
        assert!(valueset("J143").contains_pair("UN", "2.16.840.1.113883.5.1"));
        assert_eq!(
            valueset("ASS_X04").map("EXPORT_DUI", None).map(|t| t.0),
            Some("11")
        );
        assert!(!valueset("J66").contains("EXPORT_DUI"));
    }
}
