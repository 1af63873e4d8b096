//! The INS matricule (NIR / NIA) and the French national identifier forms (PS_IdNat, Struct_IdNat).
//!
//! Layout of the 15-character matricule: `S AA MM DD(D) CCC OOO KK` (sex, year, month, COG place,
//! order, key); key = 97 − (N mod 97) where N is the 13-character body with `2A` → `19` and
//! `2B` → `18` at positions 6–7 (INSEE, as implemented by CNAM `NirKey.php`).
//!
//! The identifier forms are plain character tests (no regex engine), each quoting the regex of
//! `shared/domain/identity.md` it implements.

/// Class of an INS assigning-authority OID (INS-010, INS-013).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsClass {
    /// `1.2.250.1.213.1.4.8`: INS-NIR (production).
    Nir,
    /// `1.2.250.1.213.1.4.9`: INS-NIA (production, temporary number).
    Nia,
    /// `1.2.250.1.213.1.4.10`: INS-NIR de test.
    Test,
    /// `1.2.250.1.213.1.4.11`: INS-NIR de démonstration.
    Demo,
}

impl InsClass {
    /// The class of `oid` (exact match), `None` when it is not an INS OID.
    pub fn of(oid: &str) -> Option<InsClass> {
        match oid {
            "1.2.250.1.213.1.4.8" => Some(InsClass::Nir),
            "1.2.250.1.213.1.4.9" => Some(InsClass::Nia),
            "1.2.250.1.213.1.4.10" => Some(InsClass::Test),
            "1.2.250.1.213.1.4.11" => Some(InsClass::Demo),
            _ => None,
        }
    }

    /// French label, as the ANS stylesheet CDA-FO.xsl prints it, with the class (production, test…).
    pub fn label_fr(self) -> &'static str {
        match self {
            InsClass::Nir => "INS-NIR, production",
            InsClass::Nia => "INS-NIA, production",
            InsClass::Test => "INS-NIR de test",
            InsClass::Demo => "INS-NIR de démonstration",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            InsClass::Nir => "INS-NIR, production",
            InsClass::Nia => "INS-NIA, production",
            InsClass::Test => "test INS-NIR",
            InsClass::Demo => "demonstration INS-NIR",
        }
    }
}

/// Why a string is not an INS matricule in NIR layout (INS-020).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NirFormError {
    /// Not 15 characters.
    Length(usize),
    /// A character outside the layout (digits, and `A`/`B` only at position 7 after a `2`).
    Character(usize),
}

/// A matricule in NIR layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nir<'a> {
    /// The 15 characters.
    pub value: &'a str,
}

impl<'a> Nir<'a> {
    /// Checks the layout `^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}$`.
    pub fn parse(value: &'a str) -> Result<Nir<'a>, NirFormError> {
        let b = value.as_bytes();
        if b.len() != 15 {
            return Err(NirFormError::Length(value.chars().count()));
        }
        for (i, &c) in b.iter().enumerate() {
            let ok = c.is_ascii_digit() || (i == 6 && b[5] == b'2' && (c == b'A' || c == b'B'));
            if !ok {
                return Err(NirFormError::Character(i + 1));
            }
        }
        Ok(Nir { value })
    }

    /// The 13-character body as a number, Corsica letters substituted.
    pub fn body_number(&self) -> u64 {
        let b = &self.value.as_bytes()[..13];
        let mut n: u64 = 0;
        for (i, &c) in b.iter().enumerate() {
            let d = match (i, c) {
                (5, b'2') if b[6] == b'A' => 1,
                (5, b'2') if b[6] == b'B' => 1,
                (6, b'A') => 9,
                (6, b'B') => 8,
                _ => u64::from(c - b'0'),
            };
            n = n * 10 + d;
        }
        n
    }

    /// The key the body implies: 97 − (N mod 97).
    pub fn expected_key(&self) -> u8 {
        (97 - self.body_number() % 97) as u8
    }

    /// The key as written (positions 14–15).
    pub fn written_key(&self) -> u8 {
        self.value[13..].parse().unwrap_or(0)
    }

    /// True when the written key is the expected one (INS-021).
    pub fn key_ok(&self) -> bool {
        self.expected_key() == self.written_key()
    }

    /// Sex digit (position 1).
    pub fn sex(&self) -> char {
        self.value.as_bytes()[0] as char
    }

    /// Birth year, 2 digits.
    pub fn year(&self) -> &'a str {
        &self.value[1..3]
    }

    /// Birth month, 2 digits (may be outside 01–12 for incomplete civil status).
    pub fn month(&self) -> &'a str {
        &self.value[3..5]
    }

    /// Birth place: department + commune (COG), 5 characters.
    pub fn place(&self) -> &'a str {
        &self.value[5..10]
    }
}

/// True for `[0-9]{n}`.
fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|c| c.is_ascii_digit())
}

/// A department + 3 digits: `^(?:[0-9]{2}|2A|2B)[0-9]{3}$` (INSEE COG commune code, INS-032).
pub fn is_cog(s: &str) -> bool {
    s.len() == 5
        && s.get(..2).is_some_and(is_department)
        && s.get(2..).is_some_and(|r| digits(r, 3))
}

/// `[0-9]{2}|2A|2B` (on a 2-character prefix: callers check the length first).
fn is_department(s: &str) -> bool {
    digits(s, 2) || s == "2A" || s == "2B"
}

/// A FINESS number: `^(?:[0-9]{2}|2A|2B)[0-9]{7}$`.
pub fn is_finess(s: &str) -> bool {
    s.len() == 9
        && s.get(..2).is_some_and(is_department)
        && s.get(2..).is_some_and(|r| digits(r, 7))
}

/// First characters allowed in a PS_IdNat or system identifier (ID-010): 0 ADELI, 1 cabinet
/// ADELI, 3 FINESS, 4 SIREN, 5 SIRET, 6 cabinet RPPS, 8 RPPS.
pub const PS_IDNAT_PREFIXES: &[char] = &['0', '1', '3', '4', '5', '6', '8'];

/// Why a PS_IdNat / system identifier is not in its full form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PsIdNatForm {
    /// `8` + 11-digit RPPS (`^8[0-9]{11}$`).
    Rpps,
    /// `0` + 9-character ADELI (`^0[0-9A-Z]{9}$`).
    Adeli,
    /// `<1|3|4|5|6><structure id>/<internal id>` (`^[13456][^/]+/.+$`).
    Structure,
}

impl PsIdNatForm {
    /// The form a value with this prefix must have (`None` for an unknown prefix, ID-010).
    pub fn for_value(v: &str) -> Option<PsIdNatForm> {
        match v.chars().next()? {
            '8' => Some(PsIdNatForm::Rpps),
            '0' => Some(PsIdNatForm::Adeli),
            '1' | '3' | '4' | '5' | '6' => Some(PsIdNatForm::Structure),
            _ => None,
        }
    }

    /// True when `v` has this form (ID-011, ID-012).
    pub fn matches(self, v: &str) -> bool {
        match self {
            PsIdNatForm::Rpps => v.starts_with('8') && digits(&v[1..], 11),
            PsIdNatForm::Adeli => {
                v.starts_with('0')
                    && v.len() == 10
                    && v.bytes()
                        .skip(1)
                        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            }
            PsIdNatForm::Structure => match v.get(1..).and_then(|r| r.split_once('/')) {
                Some((structure, internal)) => !structure.is_empty() && !internal.is_empty(),
                None => false,
            },
        }
    }
}

/// The registry a Struct_IdNat prefix names, with the form it implies (ID-021): `1` FINESS
/// `^1(?:[0-9]{2}|2A|2B)[0-9]{7}$`, `2` SIREN `^2[0-9]{9}$`, `3` SIRET `^3[0-9]{14}$`. Other
/// prefixes (`0` cabinet ADELI, `4` RPPS-rang, technical numbers) have no checked form: `None`.
pub fn struct_idnat_registry(v: &str) -> Option<(&'static str, bool)> {
    let rest = v.get(1..)?;
    match v.as_bytes().first()? {
        b'1' => Some(("FINESS", is_finess(rest))),
        b'2' => Some(("SIREN", digits(rest, 9))),
        b'3' => Some(("SIRET", digits(rest, 14))),
        _ => None,
    }
}

/// ESSMS local usager id: `^3(?:[0-9]{2}|2A|2B)[0-9]{7}/.+$` (3 + FINESS / local id, ID-033).
pub fn is_essms_local_id(v: &str) -> bool {
    match v.strip_prefix('3').and_then(|r| r.split_once('/')) {
        Some((finess, local)) => is_finess(finess) && !local.is_empty(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_examples_of_the_catalogue() {
        assert_eq!(Nir::parse("279035121518989").unwrap().expected_key(), 89);
        assert!(Nir::parse("279035121518989").unwrap().key_ok());
        assert_eq!(Nir::parse("185012A12345666").unwrap().expected_key(), 66);
        assert_eq!(Nir::parse("285012B12345643").unwrap().expected_key(), 43);
        assert_eq!(Nir::parse("222127505611201").unwrap().expected_key(), 47);
        assert_eq!(Nir::parse("147720425367411").unwrap().expected_key(), 30);
    }

    #[test]
    fn layout_errors() {
        assert_eq!(Nir::parse("27903512151898"), Err(NirFormError::Length(14)));
        assert_eq!(Nir::parse("2790351215189X"), Err(NirFormError::Length(14)));
        assert_eq!(
            Nir::parse("27903512151898X"),
            Err(NirFormError::Character(15))
        );
        assert_eq!(
            Nir::parse("185011A12345666"),
            Err(NirFormError::Character(7))
        );
    }

    #[test]
    fn identifier_forms() {
        assert!(
            is_cog("51215")
                && is_cog("2A004")
                && !is_cog("5121")
                && !is_cog("2C004")
                && !is_cog("51é1")
                && !is_cog("5é215")
        );
        assert!(is_finess("480787529") && is_finess("2A0000010") && !is_finess("48078752"));
        assert!(
            PsIdNatForm::Rpps.matches("801234567897") && !PsIdNatForm::Rpps.matches("80123456789")
        );
        assert!(
            PsIdNatForm::Adeli.matches("0123456789")
                && PsIdNatForm::Adeli.matches("012345678A")
                && !PsIdNatForm::Adeli.matches("01234")
        );
        assert!(PsIdNatForm::Structure.matches("3480787529/1453"));
        assert!(PsIdNatForm::Structure.matches("578435954900010/1.2.250.1.176.1"));
        assert!(
            !PsIdNatForm::Structure.matches("10103441234")
                && !PsIdNatForm::Structure.matches("3/1")
                && !PsIdNatForm::Structure.matches("3480787529/")
        );
        assert_eq!(PsIdNatForm::for_value("2x"), None);
        assert_eq!(struct_idnat_registry("1480787529"), Some(("FINESS", true)));
        assert_eq!(struct_idnat_registry("101765376"), Some(("FINESS", false)));
        assert_eq!(
            struct_idnat_registry("2801984755893"),
            Some(("SIREN", false))
        );
        assert_eq!(
            struct_idnat_registry("318003502400041"),
            Some(("SIRET", true))
        );
        assert_eq!(struct_idnat_registry("4123"), None);
        assert!(
            is_essms_local_id("3480787529/194704032")
                && !is_essms_local_id("480787529/1")
                && !is_essms_local_id("3480787529")
        );
    }
}
