//! The INS matricule (NIR / NIA) and the French national identifier forms (PS_IdNat, Struct_IdNat).
//!
//! Layout of the 15-character matricule: `S AA MM DD(D) CCC OOO KK` (sex, year, month, COG place,
//! order, key); key = 97 − (N mod 97) where N is the 13-character body with `2A` → `19` and
//! `2B` → `18` at positions 6–7 (INSEE, as implemented by CNAM `NirKey.php`).

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
}
