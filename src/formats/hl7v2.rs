//! HL7 v2 composite data types as XDS metadata carries them (CX, XCN, XON, CE-like `code^display^system`),
//! and HL7 times: the CDA `TS` (with its UTC offset) and the XDS `DTM` (always UTC).
//!
//! A composite value is split on `^` (components) then on `&` (sub-components); the HL7 escape sequences
//! `\F\`, `\S\`, `\T\`, `\R\`, `\E\` stand for `|`, `^`, `&`, `~`, `\` and are undone after splitting, so an
//! escaped separator never splits. Components are numbered from 1 as in the HL7 tables (`XCN.9`). Nothing
//! here panics or allocates more than the input size (values come from attributes bounded by
//! [`crate::limits::Limits::max_xml_attr_len`]).
//!
//! Sources: IHE ITI TF-3 §4.2.3.1.7 (DTM in UTC, CX/XCN/XON in XDS), HL7 v2.5 chapter 2A (data types),
//! `shared/domain/xds-dmp.md` XDS-DE-021/029/050/051 and identity.md ID-030/031.

/// A composite value split into components and sub-components (escapes undone).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Composite {
    /// `comps[i][j]` = component `i + 1`, sub-component `j + 1`.
    comps: Vec<Vec<String>>,
}

impl Composite {
    /// Splits `value` on unescaped `^` and `&`.
    pub fn parse(value: &str) -> Composite {
        let comps = split_unescaped(value, '^')
            .into_iter()
            .map(|c| split_unescaped(c, '&').into_iter().map(unescape).collect())
            .collect();
        Composite { comps }
    }

    /// Number of components (trailing empty ones included, as written).
    pub fn len(&self) -> usize {
        self.comps.len()
    }

    /// True when the value was empty.
    pub fn is_empty(&self) -> bool {
        self.comps.iter().all(|c| c.iter().all(String::is_empty))
    }

    /// Component `n` (1-based) as written without its sub-component separators resolved: its first
    /// sub-component when it has only one, else the sub-components joined by `&`. Empty when absent.
    pub fn comp(&self, n: usize) -> String {
        match n.checked_sub(1).and_then(|i| self.comps.get(i)) {
            Some(c) if c.len() == 1 => c[0].clone(),
            Some(c) => c.join("&"),
            None => String::new(),
        }
    }

    /// Sub-component `m` (1-based) of component `n` (1-based); empty when absent.
    pub fn sub(&self, n: usize, m: usize) -> &str {
        n.checked_sub(1)
            .and_then(|i| self.comps.get(i))
            .and_then(|c| m.checked_sub(1).and_then(|j| c.get(j)))
            .map_or("", String::as_str)
    }

    /// True when component `n` has no non-empty sub-component.
    pub fn comp_is_empty(&self, n: usize) -> bool {
        n.checked_sub(1)
            .and_then(|i| self.comps.get(i))
            .is_none_or(|c| c.iter().all(String::is_empty))
    }

    /// The hierarchic designator (HD: namespace `&` universal id `&` universal id type) in component `n`.
    pub fn hd(&self, n: usize) -> Hd {
        Hd {
            namespace: self.sub(n, 1).to_string(),
            universal_id: self.sub(n, 2).to_string(),
            universal_id_type: self.sub(n, 3).to_string(),
        }
    }
}

/// Splits on `sep` except where the separator is inside an escape sequence (`\S\`, `\T\`…): those
/// never contain a raw separator, so a plain split is enough once escapes are kept intact.
fn split_unescaped(s: &str, sep: char) -> Vec<&str> {
    s.split(sep).collect()
}

/// Undoes the HL7 escape sequences of a component (unknown sequences are kept as written).
pub fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let repl = match after.split_once('\\') {
            Some(("F", r)) => Some(('|', r)),
            Some(("S", r)) => Some(('^', r)),
            Some(("T", r)) => Some(('&', r)),
            Some(("R", r)) => Some(('~', r)),
            Some(("E", r)) => Some(('\\', r)),
            _ => None,
        };
        match repl {
            Some((c, r)) => {
                out.push(c);
                rest = r;
            }
            None => {
                out.push('\\');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Hierarchic designator (HL7 HD): the assigning authority of an identifier.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hd {
    /// HD.1 namespace id (empty in the French profiles).
    pub namespace: String,
    /// HD.2 universal id (an OID).
    pub universal_id: String,
    /// HD.3 universal id type (`ISO`).
    pub universal_id_type: String,
}

/// Extended composite identifier (CX): `patientId`, `sourcePatientId`, `referenceIdList`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cx {
    /// CX.1 identifier (the INS matricule, an IPP…).
    pub id: String,
    /// CX.4 assigning authority.
    pub authority: Hd,
    /// CX.5 identifier type code (`NH` for the INS, `PI` for a local id).
    pub id_type: String,
    /// All components.
    pub raw: Composite,
}

impl Cx {
    /// Reads a CX value (never fails: missing components are empty).
    pub fn parse(value: &str) -> Cx {
        let raw = Composite::parse(value);
        Cx {
            id: raw.comp(1),
            authority: raw.hd(4),
            id_type: raw.comp(5),
            raw,
        }
    }
}

/// Extended composite id number and name for persons (XCN): `authorPerson`, `legalAuthenticator`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Xcn {
    /// XCN.1 identifier (PS_IdNat, system id).
    pub id: String,
    /// XCN.2 family name (or system name).
    pub family: String,
    /// XCN.3 given name (or model).
    pub given: String,
    /// XCN.9 assigning authority (`&<OID>&ISO`).
    pub authority: Hd,
    /// XCN.10 name type code: `D` a person, `U` a system.
    pub name_type: String,
    /// XCN.13 identifier type code (`IDNPS`, `RPPS`…).
    pub id_type: String,
    /// All components.
    pub raw: Composite,
}

impl Xcn {
    /// Reads an XCN value.
    pub fn parse(value: &str) -> Xcn {
        let raw = Composite::parse(value);
        Xcn {
            id: raw.comp(1),
            family: raw.comp(2),
            given: raw.comp(3),
            authority: raw.hd(9),
            name_type: raw.comp(10),
            id_type: raw.comp(13),
            raw,
        }
    }
}

/// Extended composite name and id for organizations (XON): `authorInstitution`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Xon {
    /// XON.1 organization name.
    pub name: String,
    /// XON.6 assigning authority (`&1.2.250.1.71.4.2.2&ISO` for a Struct_IdNat).
    pub authority: Hd,
    /// XON.7 identifier type code (`IDNST`).
    pub id_type: String,
    /// XON.10 organization identifier (the Struct_IdNat).
    pub id: String,
    /// All components.
    pub raw: Composite,
}

impl Xon {
    /// Reads an XON value.
    pub fn parse(value: &str) -> Xon {
        let raw = Composite::parse(value);
        Xon {
            name: raw.comp(1),
            authority: raw.hd(6),
            id_type: raw.comp(7),
            id: raw.comp(10),
            raw,
        }
    }
}

/// A coded value in the `code^displayName^codingScheme` form of `authorSpecialty` / `authorRole`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodedValue {
    /// Component 1.
    pub code: String,
    /// Component 2.
    pub display: String,
    /// Component 3 (an OID, or `&OID&ISO` in some producers: then its universal id).
    pub system: String,
}

impl CodedValue {
    /// Reads `code^display^system`.
    pub fn parse(value: &str) -> CodedValue {
        let raw = Composite::parse(value);
        let system = if raw.sub(3, 2).is_empty() {
            raw.comp(3)
        } else {
            raw.sub(3, 2).to_string()
        };
        CodedValue {
            code: raw.comp(1),
            display: raw.comp(2),
            system,
        }
    }
}

/// Why a time value is not an HL7 TS / XDS DTM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeError {
    /// Not digits in the `YYYY[MM[DD[hh[mm[ss]]]]]` layout (odd length, letters, separators).
    Layout,
    /// A field out of range (month 13, hour 24…).
    Range,
    /// A malformed or out-of-range `+hhmm` / `-hhmm` offset.
    Offset,
}

/// A parsed HL7 time: the digits as fields, its precision, and its UTC offset when written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HlTime {
    /// Year.
    pub year: i32,
    /// Month 1–12 (1 when not given).
    pub month: u32,
    /// Day 1–31 (1 when not given).
    pub day: u32,
    /// Hour 0–23.
    pub hour: u32,
    /// Minute 0–59.
    pub minute: u32,
    /// Second 0–59 (60 tolerated for a leap second).
    pub second: u32,
    /// Number of digits written before any fraction: 4, 6, 8, 10, 12 or 14.
    pub precision: usize,
    /// Offset from UTC in minutes (`+0100` → 60), when written.
    pub offset_minutes: Option<i32>,
}

/// Parses an XDS DTM: `^[0-9]{4}(?:[0-9]{2}){0,5}$`, UTC, no offset, no fraction (XDS-DE-029).
pub fn parse_dtm(s: &str) -> Result<HlTime, TimeError> {
    if !(4..=14).contains(&s.len())
        || !s.len().is_multiple_of(2)
        || !s.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(TimeError::Layout);
    }
    fields(s, None)
}

/// Parses an HL7 v3 TS as CDA writes it: `YYYY[MM[DD[hh[mm[ss[.f…]]]]]][+|-hhmm]`.
pub fn parse_ts(s: &str) -> Result<HlTime, TimeError> {
    let (body, offset) = match s.find(['+', '-']) {
        Some(i) => (&s[..i], Some(parse_offset(&s[i..])?)),
        None => (s, None),
    };
    let digits = match body.split_once('.') {
        Some((d, frac))
            if d.len() == 14 && !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) =>
        {
            d
        }
        Some(_) => return Err(TimeError::Layout),
        None => body,
    };
    if !(4..=14).contains(&digits.len())
        || digits.len() % 2 != 0
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(TimeError::Layout);
    }
    fields(digits, offset)
}

fn parse_offset(s: &str) -> Result<i32, TimeError> {
    let b = s.as_bytes();
    if b.len() != 5 || !b[1..].iter().all(u8::is_ascii_digit) {
        return Err(TimeError::Offset);
    }
    let sign = if b[0] == b'-' { -1 } else { 1 };
    let hh: i32 = s[1..3].parse().map_err(|_| TimeError::Offset)?;
    let mm: i32 = s[3..5].parse().map_err(|_| TimeError::Offset)?;
    if hh > 14 || mm > 59 {
        return Err(TimeError::Offset);
    }
    Ok(sign * (hh * 60 + mm))
}

/// Reads the fields of an all-digit string of even length 4..=14 (checked by the callers).
fn fields(d: &str, offset_minutes: Option<i32>) -> Result<HlTime, TimeError> {
    let num = |a: usize, b: usize, default: u32| -> u32 {
        d.get(a..b).and_then(|x| x.parse().ok()).unwrap_or(default)
    };
    let t = HlTime {
        year: d
            .get(0..4)
            .and_then(|x| x.parse().ok())
            .ok_or(TimeError::Layout)?,
        month: num(4, 6, 1),
        day: num(6, 8, 1),
        hour: num(8, 10, 0),
        minute: num(10, 12, 0),
        second: num(12, 14, 0),
        precision: d.len(),
        offset_minutes,
    };
    let dim = days_in_month(t.year, t.month);
    if !(1..=12).contains(&t.month)
        || t.day < 1
        || t.day > dim
        || t.hour > 23
        || t.minute > 59
        || t.second > 60
    {
        return Err(TimeError::Range);
    }
    Ok(t)
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm; exact for every i32 year we accept).
fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

impl HlTime {
    /// Seconds since 1970-01-01T00:00:00Z of this time read as local time at its offset (no offset: as UTC).
    pub fn epoch_seconds(&self) -> i64 {
        let days = days_from_civil(self.year, self.month, self.day);
        let local = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        local - i64::from(self.offset_minutes.unwrap_or(0)) * 60
    }

    /// The same instant in UTC, written as an XDS DTM with this time's precision
    /// (`20200327153500+0100` → `20200327143500`). A time without offset is written as is. A date-only
    /// value (precision ≤ 8) is never shifted: there is no instant to convert.
    pub fn to_utc_dtm(&self) -> String {
        let (y, mo, d, h, mi, s) = if self.precision <= 8 || self.offset_minutes.is_none() {
            (
                i64::from(self.year),
                self.month,
                self.day,
                self.hour,
                self.minute,
                self.second,
            )
        } else {
            let secs = self.epoch_seconds();
            let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
            let rem = secs.rem_euclid(86_400);
            (
                y,
                mo,
                d,
                (rem / 3600) as u32,
                ((rem % 3600) / 60) as u32,
                (rem % 60) as u32,
            )
        };
        let full = format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}");
        full.get(..self.precision).unwrap_or(&full).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cx_of_an_ins() {
        let cx = Cx::parse("279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH");
        assert_eq!(cx.id, "279035121518989");
        assert_eq!(cx.authority.namespace, "");
        assert_eq!(cx.authority.universal_id, "1.2.250.1.213.1.4.10");
        assert_eq!(cx.authority.universal_id_type, "ISO");
        assert_eq!(cx.id_type, "NH");
    }

    #[test]
    fn xcn_and_xon_of_the_ans_examples() {
        let x = Xcn::parse("801234567897^BOILEAU^Charles^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS");
        assert_eq!(
            (x.id.as_str(), x.family.as_str(), x.given.as_str()),
            ("801234567897", "BOILEAU", "Charles")
        );
        assert_eq!(x.authority.universal_id, "1.2.250.1.71.4.2.1");
        assert_eq!(x.name_type, "D");
        assert_eq!(x.id_type, "IDNPS");
        let o = Xon::parse(
            "EHPAD DE BOULOGNE-BILLANCOURT^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1750803447",
        );
        assert_eq!(o.name, "EHPAD DE BOULOGNE-BILLANCOURT");
        assert_eq!(o.authority.universal_id, "1.2.250.1.71.4.2.2");
        assert_eq!(o.id_type, "IDNST");
        assert_eq!(o.id, "1750803447");
    }

    #[test]
    fn escapes_never_split() {
        let c = Composite::parse(r"A\S\B^C\T\D&E^F\E\G\X0A\");
        assert_eq!(c.comp(1), "A^B");
        assert_eq!(c.sub(2, 1), "C&D");
        assert_eq!(c.sub(2, 2), "E");
        assert_eq!(c.comp(3), r"F\G\X0A\");
        assert_eq!(c.comp(9), "");
        assert_eq!(c.sub(0, 0), "");
        assert!(Composite::parse("").is_empty());
    }

    #[test]
    fn coded_value_forms() {
        let c = CodedValue::parse(
            "G15_10/SM26^Médecin - Qualifié en Médecine Générale (SM)^1.2.250.1.213.1.1.4.5",
        );
        assert_eq!(
            (c.code.as_str(), c.system.as_str()),
            ("G15_10/SM26", "1.2.250.1.213.1.1.4.5")
        );
        let c = CodedValue::parse("10^Médecin^&1.2.250.1.71.1.2.7&ISO");
        assert_eq!(c.system, "1.2.250.1.71.1.2.7");
    }

    #[test]
    fn ts_with_offset_to_utc() {
        assert_eq!(
            parse_ts("20200327153500+0100").unwrap().to_utc_dtm(),
            "20200327143500"
        );
        assert_eq!(
            parse_ts("20200101003000+0200").unwrap().to_utc_dtm(),
            "20191231223000"
        );
        assert_eq!(
            parse_ts("20241231233000-0130").unwrap().to_utc_dtm(),
            "20250101010000"
        );
        assert_eq!(parse_ts("20240229").unwrap().to_utc_dtm(), "20240229");
        assert_eq!(
            parse_ts("202003271535+0100").unwrap().to_utc_dtm(),
            "202003271435"
        );
        assert_eq!(
            parse_ts("20200327153500.123+0100").unwrap().to_utc_dtm(),
            "20200327143500"
        );
        assert_eq!(
            parse_ts("20050411103328").unwrap().to_utc_dtm(),
            "20050411103328"
        );
        assert_eq!(
            parse_ts("20240301000000+0100").unwrap().to_utc_dtm(),
            "20240229230000"
        );
    }

    #[test]
    fn ts_and_dtm_errors() {
        assert!(parse_ts("2020-03-27").is_err());
        assert_eq!(parse_ts("2020032"), Err(TimeError::Layout));
        assert_eq!(parse_ts("20201327"), Err(TimeError::Range));
        assert_eq!(parse_ts("20230229"), Err(TimeError::Range));
        assert_eq!(parse_ts("20200327153500+01"), Err(TimeError::Offset));
        assert_eq!(parse_ts("20200327153500+2500"), Err(TimeError::Offset));
        assert_eq!(parse_ts(""), Err(TimeError::Layout));
        assert!(parse_dtm("20200327143500").is_ok());
        assert!(parse_dtm("2020").is_ok());
        assert_eq!(parse_dtm("20200327143500+0100"), Err(TimeError::Layout));
        assert_eq!(parse_dtm("202003271435001"), Err(TimeError::Layout));
        assert_eq!(parse_dtm("20200327246000"), Err(TimeError::Range));
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000i64, -1, 0, 1, 11_016, 19_782, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y as i32, m, d), days);
        }
    }
}
