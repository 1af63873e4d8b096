//! MSSanté message checks, on the bytes of a message (.eml): RFC 5322 form (MSS-MSG-010), subject
//! (MSS-MSG-011/012, MSS-HDR-015), the IHE_XDM.zip attachment and the other parts (MSS-MSG-013, 014, 016,
//! 017, 018), the X-MSS-* headers against the attached CDA documents (MSS-HDR-010…014), and the
//! recipients against the INS of those documents and their metadata confidentiality (MSS-ADDR-010, 011,
//! 012, 014; MSS-MSG-019).
//!
//! Source: `shared/domain/mssante.md` (Référentiel socle MSSanté #2 items ECO.* as quoted, the CI-SIS HL7v2
//! volets, RFC 5322). Recipients are the `To` and `Cc` header addresses (the SMTP envelope is the
//! simulator's). MSS-MSG-015 (the configured sending mailbox) needs the target configuration: not offline.

use regex::Regex;
use std::sync::OnceLock;

use super::{CheckInfo, Sink};
use crate::formats::cda::{child, children, is_null, path, Cda};
use crate::formats::mime::{Mail, Part};
use crate::model::Location;
use crate::msg;

/// Checks of this module and the rules they implement.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        name: "mssante::rfc5322",
        rules: &["MSS-MSG-010"],
    },
    CheckInfo {
        name: "mssante::subject",
        rules: &["MSS-MSG-011", "MSS-MSG-012", "MSS-HDR-015"],
    },
    CheckInfo {
        name: "mssante::parts",
        rules: &[
            "MSS-MSG-013",
            "MSS-MSG-014",
            "MSS-MSG-016",
            "MSS-MSG-017",
            "MSS-MSG-018",
        ],
    },
    CheckInfo {
        name: "mssante::x_mss_headers",
        rules: &[
            "MSS-HDR-010",
            "MSS-HDR-011",
            "MSS-HDR-012",
            "MSS-HDR-013",
            "MSS-HDR-014",
        ],
    },
    CheckInfo {
        name: "mssante::recipients",
        rules: &[
            "MSS-MSG-015",
            "MSS-ADDR-010",
            "MSS-ADDR-011",
            "MSS-ADDR-012",
            "MSS-ADDR-014",
            "MSS-MSG-019",
            "INS-010",
            "INS-011",
            "INS-012",
            "INS-013",
            "INS-020",
            "INS-021",
            "INS-022",
            "INS-023",
        ],
    },
];

/// Subject prefix of a message carrying documents (ECO.2.1.3).
pub const SUBJECT_PREFIX: &str = "XDM/1.0/DDM+";
/// Domain of the usagers' mailboxes (Mon espace santé).
pub const PATIENT_DOMAIN: &str = "patient.mssante.fr";
/// Largest message towards Mon espace santé: 25 Mo (CNAM « ENS Mon espace santé Messagerie » v1.3 §6),
/// read as mebibytes (the larger reading: only beyond it is a bounce certain).
pub const MAX_PATIENT_MESSAGE_BYTES: usize = 25 * 1024 * 1024;

/// Facts of one CDA document found in the IHE_XDM archive of a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttachedDoc {
    /// Zip entry (`IHE_XDM/SUBSET01/DOC0001.XML`).
    pub entry: String,
    /// `ClinicalDocument/code/@code`.
    pub code: Option<String>,
    /// The INS: (`@root`, `@extension`) of the first `patientRole/id` under an INS OID.
    pub ins: Option<(String, String)>,
    /// The INS traits of INS-030 are all present (an INS "qualifié" as far as the document shows).
    pub ins_traits: bool,
    /// `patient/name/family` values.
    pub families: Vec<String>,
    /// `patient/name/given` values.
    pub givens: Vec<String>,
    /// `patient/birthTime/@value`.
    pub birth_time: Option<String>,
}

/// What the message's IHE_XDM archive holds, as the MSSanté checks need it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attached {
    /// The archive could be opened.
    pub opened: bool,
    /// Its CDA documents (parsed ones).
    pub docs: Vec<AttachedDoc>,
    /// Every `confidentialityCode` of every DocumentEntry of its metadata.
    pub confidentiality: Vec<String>,
}

/// The IHE_XDM.zip attachment(s) of a message, as found and decoded by the validator.
#[derive(Debug, Clone, Default)]
pub struct XdmAttachment {
    /// Indices (in `Mail::parts`) of the parts named `IHE_XDM.zip` (case-insensitive).
    pub parts: Vec<usize>,
    /// Decoding of the first of them: `Err(reason)` when its base64 is invalid.
    pub decoded: Option<Result<(), String>>,
    /// The archive's facts, when decoded.
    pub attached: Option<Attached>,
}

impl XdmAttachment {
    /// CDA documents of the archive (none when it could not be read).
    fn docs(&self) -> &[AttachedDoc] {
        self.attached.as_ref().map_or(&[], |a| a.docs.as_slice())
    }

    /// True when the archive was decoded and opened, so that its content can be compared.
    fn readable(&self) -> bool {
        self.attached.as_ref().is_some_and(|a| a.opened)
    }
}

/// Collects the facts of a parsed CDA the message checks compare with (pure, on the view).
pub fn cda_facts(cda: &Cda<'_, '_>, entry: &str) -> AttachedDoc {
    let patient = cda.patient();
    let names: Vec<_> = patient
        .map(|p| children(p, "name").collect())
        .unwrap_or_default();
    let texts = |tag: &'static str| -> Vec<String> {
        names
            .iter()
            .flat_map(|n| children(*n, tag))
            .filter_map(|n| {
                n.text()
                    .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            })
            .filter(|t| !t.is_empty())
            .collect()
    };
    let ins = cda
        .ins()
        .and_then(|i| Some((i.root?.to_string(), i.extension?.trim().to_string())));
    // INS-030: the traits that make an INS usable (Structuration minimale schematron).
    let has = |steps: &[&'static str]| {
        patient
            .and_then(|p| path(p, steps))
            .is_some_and(|n| !is_null(n))
    };
    let name_with = |qual: Option<&str>, tag: &'static str| {
        names
            .iter()
            .flat_map(|n| children(*n, tag))
            .any(|g| g.attribute("qualifier") == qual && !is_null(g))
    };
    let ins_traits = ins.is_some()
        && name_with(Some("BR"), "family")
        && name_with(Some("BR"), "given")
        && name_with(None, "given")
        && has(&["birthTime"])
        && has(&["birthplace", "place", "addr", "county"])
        && patient
            .and_then(|p| child(p, "administrativeGenderCode"))
            .is_some_and(|g| g.attribute("code").is_some());
    AttachedDoc {
        entry: entry.to_string(),
        code: cda
            .code()
            .and_then(|c| c.code)
            .map(|c| c.trim().to_string()),
        ins,
        ins_traits,
        families: texts("family"),
        givens: texts("given"),
        birth_time: patient
            .and_then(|p| child(p, "birthTime"))
            .and_then(|b| b.attribute("value"))
            .map(str::to_string),
    }
}

fn at_field(f: &crate::formats::mime::Field) -> Location {
    Location {
        line: Some(f.line),
        column: Some(1),
        path: Some(format!("header {}", f.name)),
        offset: Some(f.offset),
        entry: None,
    }
}

fn at_header(name: &str) -> Location {
    Location {
        path: Some(format!("header {name}")),
        ..Location::default()
    }
}

fn at_part(p: &Part) -> Location {
    Location {
        line: Some(p.line),
        column: Some(1),
        path: Some(p.label()),
        offset: Some(p.header.start),
        entry: None,
    }
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| {
        Regex::new(pattern).unwrap_or_else(|e| panic!("static regex {pattern}: {e}"))
    })
}

/// MSS-MSG-010: RFC 5322 form of the message (RFC 5322 §3.6 field counts, §2.1.1 line length, CRLF).
pub fn rfc5322(mail: &Mail<'_>, sink: &mut Sink) {
    sink.check("MSS-MSG-010");
    for name in ["Date", "From", "Message-ID"] {
        let found: Vec<_> = mail.fields_named(name).collect();
        let n = found.len();
        if n != 1 {
            let loc = found
                .get(1)
                .map_or_else(|| at_header(name), |f| at_field(f));
            sink.violation(
                "MSS-MSG-010",
                loc,
                msg!(
                    "{n} champ(s) {name} dans l'en-tête : RFC 5322 §3.6 en exige exactement un",
                    "{n} {name} field(s) in the header: RFC 5322 §3.6 requires exactly one"
                ),
            );
        }
    }
    static MSGID: OnceLock<Regex> = OnceLock::new();
    if let Some(f) = mail.field("Message-ID") {
        if !re(&MSGID, r"^<[^<>@\s]+@[^<>@\s]+>$").is_match(&f.value) {
            let v = &f.value;
            sink.violation(
                "MSS-MSG-010",
                at_field(f),
                msg!(
                    "Message-ID « {v} » n'a pas la forme <partie-gauche@partie-droite> (RFC 5322 §3.6.4)",
                    "Message-ID \"{v}\" is not of the form <id-left@id-right> (RFC 5322 §3.6.4)"
                ),
            )
            .snippet(format!("{}: {v}", f.name));
        }
    }
    if !["To", "Cc", "Bcc"].iter().any(|h| mail.field(h).is_some()) {
        sink.violation(
            "MSS-MSG-010",
            at_header("To"),
            msg!(
                "Aucun destinataire : ni To, ni Cc, ni Bcc dans l'en-tête",
                "No recipient: no To, Cc nor Bcc in the header"
            ),
        );
    }
    let mime_used = mail.field("Content-Type").is_some() || mail.parts.len() > 1;
    if mime_used {
        let version = mail.field("MIME-Version");
        let ok = version.is_some_and(|f| f.value.split_whitespace().next() == Some("1.0"));
        if !ok {
            let found = version.map_or("absent".to_string(), |f| format!("« {} »", f.value));
            let loc = version.map_or_else(|| at_header("MIME-Version"), at_field);
            sink.violation(
                "MSS-MSG-010",
                loc,
                msg!(
                    "Message MIME sans « MIME-Version: 1.0 » (trouvé : {found}) ; RFC 2045 §4",
                    "MIME message without \"MIME-Version: 1.0\" (found: {found}); RFC 2045 §4"
                ),
            );
        }
    }
    if let Some(l) = mail.long_lines.first() {
        let (len, n) = (l.len, mail.long_lines.len());
        sink.violation(
            "MSS-MSG-010",
            Location { line: Some(l.line), column: Some(999), offset: Some(l.offset), ..Location::default() },
            msg!(
                "Ligne d'en-tête de {len} octets ({n} ligne(s) au-delà de 998) : RFC 5322 §2.1.1 limite une ligne à 998 octets ; replier le champ (CRLF + espace)",
                "Header line of {len} octets ({n} line(s) over 998): RFC 5322 §2.1.1 limits a line to 998 octets; fold the field (CRLF + space)"
            ),
        );
    }
    if let Some((line, offset)) = mail.endings.first {
        let (lf, cr) = (mail.endings.bare_lf, mail.endings.bare_cr);
        sink.violation(
            "MSS-MSG-010",
            Location { line: Some(line), offset: Some(offset), ..Location::default() },
            msg!(
                "Fins de ligne non CRLF : {lf} LF seul(s), {cr} CR seul(s) (première à la ligne {line}) ; sur le réseau chaque ligne se termine par CRLF (RFC 5322 §2.1)",
                "Line endings other than CRLF: {lf} bare LF, {cr} bare CR (first on line {line}); on the wire every line ends with CRLF (RFC 5322 §2.1)"
            ),
        );
    }
    if let Some(&(line, offset)) = mail.malformed_lines.first() {
        sink.violation(
            "MSS-MSG-010",
            Location {
                line: Some(line),
                column: Some(1),
                offset: Some(offset),
                ..Location::default()
            },
            msg!(
                "Ligne d'en-tête ni champ « Nom: valeur » ni continuation (RFC 5322 §2.2)",
                "Header line neither a \"Name: value\" field nor a continuation (RFC 5322 §2.2)"
            ),
        );
    }
}

/// The date at the end of a subject, `JJ/MM/AAAA`, as `AAAAMMJJ`.
fn subject_date(s: &str) -> Option<String> {
    let tail = s.trim_end().rsplit(' ').next()?;
    let (d, rest) = tail.split_once('/')?;
    let (m, y) = rest.split_once('/')?;
    Some(format!("{y}{m}{d}"))
}

fn upper_plain(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'À' | 'Â' | 'Ä' => 'A',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'E',
            'î' | 'ï' | 'Î' | 'Ï' => 'I',
            'ô' | 'ö' | 'Ô' | 'Ö' => 'O',
            'ù' | 'û' | 'ü' | 'Ù' | 'Û' | 'Ü' => 'U',
            'ç' | 'Ç' => 'C',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

/// MSS-MSG-011 (prefix), MSS-MSG-012 (libellé NOM prénom date, no INS) and MSS-HDR-015 (`[FIN]` subject).
pub fn subject(mail: &Mail<'_>, xdm: &XdmAttachment, sink: &mut Sink) {
    let subject = mail.subject.clone().unwrap_or_default();
    let loc = || {
        mail.field("Subject")
            .map_or_else(|| at_header("Subject"), at_field)
    };
    if xdm.parts.is_empty() {
        sink.not_applicable(
            "MSS-MSG-011",
            msg!("Pas de pièce IHE_XDM.zip", "No IHE_XDM.zip attachment"),
        );
        sink.not_applicable(
            "MSS-MSG-012",
            msg!("Pas de pièce IHE_XDM.zip", "No IHE_XDM.zip attachment"),
        );
    } else {
        sink.check("MSS-MSG-011");
        if !subject.starts_with(SUBJECT_PREFIX) {
            sink.violation(
                "MSS-MSG-011",
                loc(),
                msg!(
                    "Objet « {subject} » : un message portant une archive IHE_XDM a un objet qui commence par {SUBJECT_PREFIX} (après décodage RFC 2047)",
                    "Subject \"{subject}\": a message carrying an IHE_XDM archive has a subject starting with {SUBJECT_PREFIX} (after RFC 2047 decoding)"
                ),
            )
            .personal(subject.clone());
            sink.not_applicable(
                "MSS-MSG-012",
                msg!(
                    "Objet sans préfixe XDM/1.0/DDM+",
                    "Subject without the XDM/1.0/DDM+ prefix"
                ),
            );
        } else {
            subject_form(&subject, xdm.docs(), &loc, sink);
        }
    }
    let fin = subject.contains("[FIN]");
    if fin {
        sink.check("MSS-HDR-015");
        if mail.field("X-MSS-MES").is_none() {
            sink.info(
                "MSS-HDR-015",
                loc(),
                msg!(
                    "Fin d'échange signalée par « [FIN] » dans l'objet : l'en-tête « X-MSS-MES: FIN » est la forme préférée par Mon espace santé",
                    "End of exchange signalled by \"[FIN]\" in the subject: the \"X-MSS-MES: FIN\" header is the form Mon espace santé prefers"
                ),
            );
        }
    } else {
        sink.not_applicable(
            "MSS-HDR-015",
            msg!("Pas de [FIN] dans l'objet", "No [FIN] in the subject"),
        );
    }
}

/// MSS-MSG-012 on a subject that has the prefix.
fn subject_form(subject: &str, docs: &[AttachedDoc], loc: &dyn Fn() -> Location, sink: &mut Sink) {
    static FORM: OnceLock<Regex> = OnceLock::new();
    static DIGITS: OnceLock<Regex> = OnceLock::new();
    sink.check("MSS-MSG-012");
    let fix_fr = "forme attendue : XDM/1.0/DDM+<libellé du document> <NOM> <prénom> <JJ/MM/AAAA>";
    let fix_en = "expected form: XDM/1.0/DDM+<document label> <NAME> <first name> <DD/MM/YYYY>";
    if !re(&FORM, r"^XDM/1\.0/DDM\+.+ [0-3][0-9]/[01][0-9]/[0-9]{4}$").is_match(subject.trim_end())
    {
        sink.violation(
            "MSS-MSG-012",
            loc(),
            msg!(
                "Objet « {subject} » : {fix_fr}",
                "Subject \"{subject}\": {fix_en}"
            ),
        )
        .personal(subject.to_string());
        return;
    }
    if let Some(m) = re(&DIGITS, r"[0-9]{13}(?:[0-9]{2})?|[0-9]{5}2[AB][0-9]{8}").find(subject) {
        let ins = m.as_str();
        sink.violation(
            "MSS-MSG-012",
            loc(),
            msg!(
                "L'objet contient un numéro qui ressemble à un matricule INS ({ins}) : l'INS ne figure jamais dans l'objet",
                "The subject holds a number that looks like an INS matricule ({ins}): the INS never appears in the subject"
            ),
        )
        .personal(ins.to_string());
    }
    let Some(doc) = docs
        .iter()
        .find(|d| !d.families.is_empty() || d.birth_time.is_some())
    else {
        return;
    };
    let up = upper_plain(subject);
    let family_ok =
        doc.families.is_empty() || doc.families.iter().any(|f| up.contains(&upper_plain(f)));
    let given_ok = doc.givens.is_empty()
        || doc
            .givens
            .iter()
            .flat_map(|g| g.split_whitespace())
            .any(|g| up.contains(&upper_plain(g)));
    let date_ok = match (&doc.birth_time, subject_date(subject)) {
        (Some(b), Some(d)) => b.get(..8) == Some(d.as_str()),
        _ => true,
    };
    if !(family_ok && given_ok && date_ok) {
        let family = doc.families.first().cloned().unwrap_or_default();
        let given = doc.givens.first().cloned().unwrap_or_default();
        let birth = doc
            .birth_time
            .as_deref()
            .and_then(|b| Some(format!("{}/{}/{}", b.get(6..8)?, b.get(4..6)?, b.get(..4)?)))
            .unwrap_or_default();
        let entry = &doc.entry;
        sink.violation(
            "MSS-MSG-012",
            loc(),
            msg!(
                "Objet « {subject} » sans le nom, le prénom ou la date de naissance de l'usager du document {entry} ({family} {given} {birth}) ; {fix_fr}",
                "Subject \"{subject}\" lacks the name, first name or birth date of the usager of document {entry} ({family} {given} {birth}); {fix_en}"
            ),
        )
        .personal(subject.to_string())
        .personal(family)
        .personal(given)
        .personal(birth);
    }
}

/// True for a PDF part (media type or file name).
fn is_pdf(p: &Part) -> bool {
    p.content_type == "application/pdf"
        || p.file_name()
            .is_some_and(|n| n.to_ascii_lowercase().ends_with(".pdf"))
}

/// True when the bytes are a PDF declaring PDF/A part 1 in their XMP metadata (`pdfaid:part` = 1).
pub fn is_pdfa1(bytes: &[u8]) -> bool {
    if !bytes.starts_with(b"%PDF-") {
        return false;
    }
    let key = b"pdfaid:part";
    let mut from = 0;
    while let Some(p) = bytes
        .get(from..)
        .and_then(|s| s.windows(key.len()).position(|w| w == key))
    {
        let after = bytes.get(from + p + key.len()..).unwrap_or(&[]);
        let value: Vec<u8> = after
            .iter()
            .take(16)
            .copied()
            .skip_while(|c| matches!(c, b'>' | b'=' | b'"' | b'\'' | b' ' | b'\r' | b'\n' | b'\t'))
            .take_while(u8::is_ascii_digit)
            .collect();
        if value == b"1" {
            return true;
        }
        from += p + key.len();
    }
    false
}

/// MSS-MSG-013 (the IHE_XDM.zip part), 014 (PDF rendering name), 016 (body and threading, info),
/// 017 (PDF/A-1) and 018 (UTF-8 text parts).
pub fn parts(mail: &Mail<'_>, xdm: &XdmAttachment, sink: &mut Sink) {
    // MSS-MSG-013: a message carries documents when it has an IHE_XDM.zip part, the XDM subject, or a zip.
    let zips: Vec<&Part> = mail
        .parts
        .iter()
        .filter(|p| {
            p.content_type == "application/zip"
                || p.file_name()
                    .is_some_and(|n| n.to_ascii_lowercase().ends_with(".zip"))
        })
        .collect();
    let carries = !xdm.parts.is_empty()
        || !zips.is_empty()
        || mail
            .subject
            .as_deref()
            .is_some_and(|s| s.starts_with(SUBJECT_PREFIX));
    if !carries {
        sink.not_applicable(
            "MSS-MSG-013",
            msg!(
                "Message sans document joint",
                "Message without attached documents"
            ),
        );
    } else {
        sink.check("MSS-MSG-013");
        match xdm.parts.as_slice() {
            [] => {
                let names: Vec<&str> = zips.iter().filter_map(|p| p.file_name()).collect();
                let found = if names.is_empty() {
                    "aucune".to_string()
                } else {
                    names.join(", ")
                };
                let found_en = if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                };
                sink.violation(
                    "MSS-MSG-013",
                    zips.first().map_or_else(Location::default, |p| at_part(p)),
                    msg!(
                        "Aucune pièce nommée IHE_XDM.zip (archive(s) trouvée(s) : {found}) : les documents voyagent dans une seule pièce IHE_XDM.zip",
                        "No part named IHE_XDM.zip (archive(s) found: {found_en}): documents travel in exactly one IHE_XDM.zip part"
                    ),
                );
            }
            [first, rest @ ..] => {
                if !rest.is_empty() {
                    let n = xdm.parts.len();
                    let p = rest.first().and_then(|&i| mail.parts.get(i));
                    sink.violation(
                        "MSS-MSG-013",
                        p.map_or_else(Location::default, at_part),
                        msg!(
                            "{n} pièces nommées IHE_XDM.zip : une seule archive par message",
                            "{n} parts named IHE_XDM.zip: a single archive per message"
                        ),
                    );
                }
                if let Some(p) = mail.parts.get(*first) {
                    let mut wrong = Vec::new();
                    if p.content_type != "application/zip" {
                        wrong.push(format!(
                            "Content-Type {} (attendu application/zip)",
                            p.content_type
                        ));
                    }
                    if p.transfer_encoding.as_deref() != Some("base64") {
                        let te = p.transfer_encoding.as_deref().unwrap_or("absent");
                        wrong.push(format!("Content-Transfer-Encoding {te} (attendu base64)"));
                    }
                    if p.disposition.as_deref() != Some("attachment") {
                        let d = p.disposition.as_deref().unwrap_or("absent");
                        wrong.push(format!("Content-Disposition {d} (attendu attachment)"));
                    }
                    if let Some(Err(why)) = &xdm.decoded {
                        wrong.push(format!("base64 invalide : {why}"));
                    }
                    if !wrong.is_empty() {
                        let list = wrong.join(" ; ");
                        sink.violation(
                            "MSS-MSG-013",
                            at_part(p),
                            msg!(
                                "Pièce IHE_XDM.zip non conforme : {list}",
                                "IHE_XDM.zip part not conformant: {list} (expected application/zip, base64, attachment)"
                            ),
                        );
                    }
                }
            }
        }
    }

    // MSS-MSG-014 / 017: the PDF rendering next to the archive.
    let pdfs: Vec<&Part> = mail
        .parts
        .iter()
        .filter(|p| !p.is_multipart && is_pdf(p))
        .collect();
    if xdm.parts.is_empty() {
        sink.not_applicable(
            "MSS-MSG-014",
            msg!("Pas de pièce IHE_XDM.zip", "No IHE_XDM.zip attachment"),
        );
    } else {
        sink.check("MSS-MSG-014");
        static PDF_NAME: OnceLock<Regex> = OnceLock::new();
        if pdfs.is_empty() {
            sink.violation(
                "MSS-MSG-014",
                at_header("Content-Type"),
                msg!(
                    "Aucun rendu PDF joint à côté de IHE_XDM.zip (ECO.2.1.1 « archive IHE_XDM + PDF ») ; nommer le PDF <date de l'acte AAAAMMJJ>_<type document>_<NOM>_<prénom>[_<numéro de dossier>].pdf",
                    "No PDF rendering attached next to IHE_XDM.zip (ECO.2.1.1 \"IHE_XDM archive + PDF\"); name it <act date YYYYMMDD>_<document type>_<NAME>_<first name>[_<file number>].pdf"
                ),
            );
        }
        for p in &pdfs {
            let name = p.file_name().unwrap_or("");
            if !re(&PDF_NAME, r"^[0-9]{8}_[^_]+_[^_]+_[^_]+(_[^_]+)?\.pdf$").is_match(name) {
                sink.violation(
                    "MSS-MSG-014",
                    at_part(p),
                    msg!(
                        "Rendu PDF nommé « {name} » : forme attendue <date de l'acte AAAAMMJJ>_<type document>_<NOM>_<prénom>[_<numéro de dossier>].pdf (ECO.2.1.6)",
                        "PDF rendering named \"{name}\": expected <act date YYYYMMDD>_<document type>_<NAME>_<first name>[_<file number>].pdf (ECO.2.1.6)"
                    ),
                )
                .personal(name.to_string());
            }
        }
    }
    if pdfs.is_empty() {
        sink.not_applicable("MSS-MSG-017", msg!("Pas de PDF joint", "No PDF attached"));
    } else {
        sink.check("MSS-MSG-017");
        for p in &pdfs {
            let ok = p.decode(mail.raw).is_ok_and(|b| is_pdfa1(&b));
            if !ok {
                let name = p.file_name().unwrap_or("");
                sink.violation(
                    "MSS-MSG-017",
                    at_part(p),
                    msg!(
                        "Le PDF « {name} » n'est pas un PDF/A-1 (en-tête %PDF- et métadonnées XMP pdfaid:part = 1 attendus) : le générer en PDF/A-1 à partir du CDA (ECO.2.1.5)",
                        "PDF \"{name}\" is not a PDF/A-1 (%PDF- header and XMP pdfaid:part = 1 expected): generate it as PDF/A-1 from the CDA (ECO.2.1.5)"
                    ),
                )
                .personal(name.to_string());
            }
        }
    }

    // MSS-MSG-018: text body parts in UTF-8 (ECO.2.2.3).
    let texts: Vec<&Part> = mail
        .parts
        .iter()
        .filter(|p| !p.is_multipart && p.content_type.starts_with("text/") && !p.is_attachment())
        .collect();
    if texts.is_empty() {
        sink.not_applicable("MSS-MSG-018", msg!("Pas de partie texte", "No text part"));
    } else {
        sink.check("MSS-MSG-018");
        for p in texts {
            let charset = p.charset.as_deref().unwrap_or("");
            let ct = &p.content_type;
            if !charset.eq_ignore_ascii_case("utf-8") {
                let shown = if charset.is_empty() {
                    "absent (us-ascii par défaut)"
                } else {
                    charset
                };
                let shown_en = if charset.is_empty() {
                    "absent (us-ascii by default)"
                } else {
                    charset
                };
                sink.violation(
                    "MSS-MSG-018",
                    at_part(p),
                    msg!(
                        "Partie {ct} en charset {shown} : les parties texte sont en UTF-8, déclarer « charset=utf-8 »",
                        "{ct} part with charset {shown_en}: text parts are UTF-8, declare \"charset=utf-8\""
                    ),
                );
                continue;
            }
            match p.decode(mail.raw) {
                Err(e) => {
                    sink.violation(
                        "MSS-MSG-018",
                        at_part(p),
                        msg!(
                            "Partie {ct} indécodable : {e}",
                            "{ct} part cannot be decoded: {e}"
                        ),
                    );
                }
                Ok(b) => {
                    if let Err(e) = std::str::from_utf8(&b) {
                        let at = e.valid_up_to();
                        sink.violation(
                            "MSS-MSG-018",
                            at_part(p),
                            msg!(
                                "Partie {ct} déclarée UTF-8 mais octets invalides en UTF-8 (octet {at} du contenu décodé)",
                                "{ct} part declared UTF-8 but its bytes are not valid UTF-8 (byte {at} of the decoded content)"
                            ),
                        );
                    }
                }
            }
        }
    }

    // MSS-MSG-016 (info): body text/plain or multipart/alternative; replies thread with both headers.
    sink.check("MSS-MSG-016");
    let body = mail.parts.iter().find(|p| {
        !p.is_attachment()
            && !matches!(
                p.content_type.as_str(),
                "multipart/mixed" | "multipart/related"
            )
    });
    if let Some(b) = body.filter(|b| {
        !matches!(
            b.content_type.as_str(),
            "text/plain" | "multipart/alternative"
        )
    }) {
        let ct = &b.content_type;
        sink.info(
            "MSS-MSG-016",
            at_part(b),
            msg!(
                "Corps du message en {ct} : text/plain ou multipart/alternative attendu (MSS/va1.11)",
                "Message body is {ct}: text/plain or multipart/alternative expected (MSS/va1.11)"
            ),
        );
    }
    let (irt, refs) = (
        mail.field("In-Reply-To").is_some(),
        mail.field("References").is_some(),
    );
    if irt != refs {
        sink.info(
            "MSS-MSG-016",
            at_header(if irt { "References" } else { "In-Reply-To" }),
            msg!(
                "Réponse avec un seul des deux en-têtes In-Reply-To et References : une réponse porte les deux (MSS/va1.08, va1.12)",
                "Reply with only one of In-Reply-To and References: a reply carries both (MSS/va1.08, va1.12)"
            ),
        );
    }
}

/// MSS-HDR-010…014: the X-MSS-* headers, each at most once, against the attached CDA documents.
pub fn x_mss_headers(mail: &Mail<'_>, xdm: &XdmAttachment, sink: &mut Sink) {
    let once = |name: &'static str, rule: &'static str, sink: &mut Sink| {
        let all: Vec<_> = mail.fields_named(name).collect();
        if let Some(second) = all.get(1) {
            let n = all.len();
            sink.violation(
                rule,
                at_field(second),
                msg!(
                    "{n} en-têtes {name} : un seul est admis",
                    "{n} {name} headers: only one is allowed"
                ),
            );
        }
        all.first().copied()
    };
    let docs = xdm.docs();
    let readable = xdm.readable();

    // MSS-HDR-010: X-MSS-CODECDA lists the CDA codes (ECO.2.4.1).
    let codecda = once("X-MSS-CODECDA", "MSS-HDR-010", sink);
    if !readable {
        sink.not_applicable(
            "MSS-HDR-010",
            msg!(
                "Pas d'archive IHE_XDM lisible",
                "No readable IHE_XDM archive"
            ),
        );
    } else {
        sink.check("MSS-HDR-010");
        let mut expected: Vec<String> = docs.iter().filter_map(|d| d.code.clone()).collect();
        expected.sort();
        match (codecda, expected.is_empty()) {
            (None, false) => {
                let list = expected.join(",");
                sink.violation(
                    "MSS-HDR-010",
                    at_header("X-MSS-CODECDA"),
                    msg!(
                        "En-tête X-MSS-CODECDA absent alors que IHE_XDM contient des CDA : ajouter « X-MSS-CODECDA: {list} »",
                        "X-MSS-CODECDA header missing although IHE_XDM holds CDA documents: add \"X-MSS-CODECDA: {list}\""
                    ),
                );
            }
            (Some(f), true) => {
                sink.violation(
                    "MSS-HDR-010",
                    at_field(f),
                    msg!(
                        "En-tête X-MSS-CODECDA présent alors que IHE_XDM ne contient aucun CDA : le retirer",
                        "X-MSS-CODECDA header present although IHE_XDM holds no CDA document: remove it"
                    ),
                );
            }
            (Some(f), false) => {
                let mut got: Vec<String> = f
                    .value
                    .split(',')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect();
                got.sort();
                if got != expected {
                    let (v, list) = (&f.value, expected.join(","));
                    sink.violation(
                        "MSS-HDR-010",
                        at_field(f),
                        msg!(
                            "X-MSS-CODECDA « {v} » ne correspond pas aux codes des CDA joints ({list}) : une valeur ClinicalDocument/code/@code par CDA, séparées par des virgules",
                            "X-MSS-CODECDA \"{v}\" does not match the codes of the attached CDA documents ({list}): one ClinicalDocument/code/@code per CDA, comma-separated"
                        ),
                    )
                    .snippet(format!("X-MSS-CODECDA: {v}"));
                }
            }
            (None, true) => {}
        }
    }

    // MSS-HDR-011: X-MSS-INS = O when the CDA carries a qualified INS, else N (ECO.2.4.2).
    let ins = once("X-MSS-INS", "MSS-HDR-011", sink);
    if !readable {
        sink.not_applicable(
            "MSS-HDR-011",
            msg!(
                "Pas d'archive IHE_XDM lisible",
                "No readable IHE_XDM archive"
            ),
        );
    } else {
        sink.check("MSS-HDR-011");
        let expected = (!docs.is_empty()).then(|| {
            if docs.iter().all(|d| d.ins_traits) {
                "O"
            } else {
                "N"
            }
        });
        match (ins, expected) {
            (None, Some(e)) => {
                sink.violation(
                    "MSS-HDR-011",
                    at_header("X-MSS-INS"),
                    msg!(
                        "En-tête X-MSS-INS absent alors que IHE_XDM contient des CDA : ajouter « X-MSS-INS: {e} »",
                        "X-MSS-INS header missing although IHE_XDM holds CDA documents: add \"X-MSS-INS: {e}\""
                    ),
                );
            }
            (Some(f), None) => {
                sink.violation(
                    "MSS-HDR-011",
                    at_field(f),
                    msg!(
                        "X-MSS-INS présent sans CDA dans IHE_XDM : le retirer",
                        "X-MSS-INS present without a CDA in IHE_XDM: remove it"
                    ),
                );
            }
            (Some(f), Some(e)) if f.value != e => {
                let v = &f.value;
                let why_fr = if e == "O" {
                    "le CDA porte un INS avec ses traits (INS-030)"
                } else {
                    "le CDA ne porte pas d'INS avec tous ses traits (INS-030)"
                };
                let why_en = if e == "O" {
                    "the CDA carries an INS with its traits (INS-030)"
                } else {
                    "the CDA does not carry an INS with all its traits (INS-030)"
                };
                sink.violation(
                    "MSS-HDR-011",
                    at_field(f),
                    msg!(
                        "X-MSS-INS « {v} » : attendu « {e} », {why_fr}",
                        "X-MSS-INS \"{v}\": \"{e}\" expected, {why_en}"
                    ),
                )
                .snippet(format!("X-MSS-INS: {v}"));
            }
            _ => {}
        }
    }

    // MSS-HDR-012: X-MSS-NIL on every message (ECO.2.4.3).
    sink.check("MSS-HDR-012");
    match once("X-MSS-NIL", "MSS-HDR-012", sink) {
        None => {
            sink.violation(
                "MSS-HDR-012",
                at_header("X-MSS-NIL"),
                msg!(
                    "En-tête X-MSS-NIL absent : tout message porte le numéro de référencement du logiciel obtenu sur convergence.esante.gouv.fr",
                    "X-MSS-NIL header missing: every message carries the product reference number obtained on convergence.esante.gouv.fr"
                ),
            );
        }
        Some(f) if f.value.is_empty() => {
            sink.violation(
                "MSS-HDR-012",
                at_field(f),
                msg!(
                    "En-tête X-MSS-NIL vide : y mettre le numéro de référencement du logiciel",
                    "Empty X-MSS-NIL header: put the product reference number in it"
                ),
            );
        }
        Some(_) => {}
    }

    // MSS-HDR-013 / 014: X-MSS-MES = FIN, only towards a usager (ECO.2.2.8).
    match once("X-MSS-MES", "MSS-HDR-013", sink) {
        None => {
            sink.not_applicable(
                "MSS-HDR-013",
                msg!("Pas d'en-tête X-MSS-MES", "No X-MSS-MES header"),
            );
            sink.not_applicable(
                "MSS-HDR-014",
                msg!("Pas d'en-tête X-MSS-MES", "No X-MSS-MES header"),
            );
        }
        Some(f) => {
            sink.check("MSS-HDR-013");
            sink.check("MSS-HDR-014");
            if f.value != "FIN" {
                let v = &f.value;
                sink.violation(
                    "MSS-HDR-013",
                    at_field(f),
                    msg!(
                        "X-MSS-MES « {v} » : la seule valeur admise est « FIN »",
                        "X-MSS-MES \"{v}\": the only allowed value is \"FIN\""
                    ),
                )
                .snippet(format!("X-MSS-MES: {v}"));
            }
            if !mail.recipients().any(|r| r.domain() == PATIENT_DOMAIN) {
                sink.violation(
                    "MSS-HDR-014",
                    at_field(f),
                    msg!(
                        "X-MSS-MES sur un message sans destinataire @{PATIENT_DOMAIN} : il sert à bloquer la réponse d'un usager, le retirer des messages entre professionnels",
                        "X-MSS-MES on a message without an @{PATIENT_DOMAIN} recipient: it blocks a usager's reply, remove it from messages between professionals"
                    ),
                );
            }
        }
    }
}

/// MSS-ADDR-010, 011 (with INS-010…023 on the patient local part), 012, 014 and MSS-MSG-019; MSS-MSG-015
/// is not applicable offline (the configured mailbox of the structure is not known).
pub fn recipients(mail: &Mail<'_>, xdm: &XdmAttachment, sink: &mut Sink) {
    sink.not_applicable(
        "MSS-MSG-015",
        msg!(
            "Hors ligne, la BAL MSSanté configurée de la structure n'est pas connue : From n'est pas comparé",
            "Offline, the structure's configured MSSanté mailbox is unknown: From is not compared"
        ),
    );
    let loc_of = |header: &str| {
        mail.field(header)
            .map_or_else(|| at_header(header), at_field)
    };
    // MSS-ADDR-010: operator domains end with .mssante.fr.
    if mail.mailboxes.is_empty() {
        sink.not_applicable("MSS-ADDR-010", msg!("Aucune adresse", "No address"));
    } else {
        sink.check("MSS-ADDR-010");
        for m in mail
            .mailboxes
            .iter()
            .filter(|m| !m.domain().ends_with(".mssante.fr"))
        {
            let (a, h) = (&m.address, m.header);
            sink.violation(
                "MSS-ADDR-010",
                loc_of(h),
                msg!(
                    "Adresse {h} « {a} » hors d'un domaine *.mssante.fr : une messagerie MSSanté a une adresse sous mssante.fr",
                    "{h} address \"{a}\" outside a *.mssante.fr domain: an MSSanté mailbox has an address under mssante.fr"
                ),
            );
        }
    }
    let patients: Vec<_> = mail
        .recipients()
        .filter(|r| r.domain() == PATIENT_DOMAIN)
        .collect();
    if patients.is_empty() {
        for r in [
            "MSS-ADDR-011",
            "MSS-ADDR-012",
            "MSS-ADDR-014",
            "MSS-MSG-019",
        ] {
            sink.not_applicable(
                r,
                msg!(
                    "Aucun destinataire @{PATIENT_DOMAIN}",
                    "No @{PATIENT_DOMAIN} recipient"
                ),
            );
        }
        return;
    }
    let docs = xdm.docs();
    // MSS-ADDR-011: the local part is the INS of the attached documents.
    sink.check("MSS-ADDR-011");
    for r in &patients {
        let local = r.local();
        let oid = docs
            .iter()
            .find_map(|d| d.ins.as_ref().map(|(root, _)| root.as_str()))
            .unwrap_or("1.2.250.1.213.1.4.8");
        crate::checks::identity::check_ins_slot(oid, local, loc_of(r.header), sink);
        for d in docs {
            let Some((_, ext)) = &d.ins else { continue };
            if ext != local {
                let entry = &d.entry;
                sink.violation(
                    "MSS-ADDR-011",
                    loc_of(r.header),
                    msg!(
                        "Adresse usager {local}@{PATIENT_DOMAIN} alors que le document {entry} porte l'INS {ext} : l'adresse est <matricule INS du CDA>@{PATIENT_DOMAIN}",
                        "Usager address {local}@{PATIENT_DOMAIN} while document {entry} carries INS {ext}: the address is <CDA INS matricule>@{PATIENT_DOMAIN}"
                    ),
                )
                .personal(local.to_string())
                .personal(ext.clone());
            }
        }
    }
    // MSS-ADDR-012: no document invisible to the patient sent to the patient.
    if !xdm.readable() {
        sink.not_applicable(
            "MSS-ADDR-012",
            msg!(
                "Pas d'archive IHE_XDM lisible",
                "No readable IHE_XDM archive"
            ),
        );
    } else {
        sink.check("MSS-ADDR-012");
        let invisible = xdm
            .attached
            .as_ref()
            .is_some_and(|a| a.confidentiality.iter().any(|c| c == "INVISIBLE_PATIENT"));
        if invisible {
            let a = &patients
                .first()
                .map(|p| p.address.clone())
                .unwrap_or_default();
            sink.violation(
                "MSS-ADDR-012",
                patients.first().map_or_else(Location::default, |p| loc_of(p.header)),
                msg!(
                    "Document marqué INVISIBLE_PATIENT (confidentialityCode de METADATA.XML) envoyé à l'usager {a} : ne pas l'adresser à @{PATIENT_DOMAIN}",
                    "Document flagged INVISIBLE_PATIENT (METADATA.XML confidentialityCode) sent to the usager {a}: do not address it to @{PATIENT_DOMAIN}"
                ),
            )
            .personal(a.clone());
        }
    }
    // MSS-ADDR-014: a patient address only from a qualified INS: X-MSS-INS: O and INS-030 on every CDA.
    sink.check("MSS-ADDR-014");
    let header_o = mail.field("X-MSS-INS").is_some_and(|f| f.value == "O");
    let qualified = !docs.is_empty() && docs.iter().all(|d| d.ins_traits);
    if !(header_o && qualified) {
        let why_fr = if docs.is_empty() {
            "aucun CDA joint ne porte l'INS"
        } else if !qualified {
            "un CDA joint n'a pas l'INS avec tous ses traits (INS-030)"
        } else {
            "l'en-tête X-MSS-INS n'est pas « O »"
        };
        let why_en = if docs.is_empty() {
            "no attached CDA carries the INS"
        } else if !qualified {
            "an attached CDA lacks the INS with all its traits (INS-030)"
        } else {
            "the X-MSS-INS header is not \"O\""
        };
        sink.violation(
            "MSS-ADDR-014",
            patients.first().map_or_else(Location::default, |p| loc_of(p.header)),
            msg!(
                "Message à un usager (@{PATIENT_DOMAIN}) sans INS qualifié : {why_fr} ; l'adresse usager se construit à partir d'un INS qualifié (ECO.2.2.6)",
                "Message to a usager (@{PATIENT_DOMAIN}) without a qualified INS: {why_en}; a usager address is built from a qualified INS (ECO.2.2.6)"
            ),
        );
    }
    // MSS-MSG-019: 25 Mo at most towards Mon espace santé.
    sink.check("MSS-MSG-019");
    let size = mail.raw.len();
    if size > MAX_PATIENT_MESSAGE_BYTES {
        let mb = size / (1024 * 1024);
        sink.violation(
            "MSS-MSG-019",
            Location::default(),
            msg!(
                "Message de {size} octets (~{mb} Mio) vers Mon espace santé : au-delà de 25 Mo il est rejeté (« Undelivered Mail Returned to Sender »)",
                "Message of {size} bytes (~{mb} MiB) to Mon espace santé: beyond 25 MB it bounces (\"Undelivered Mail Returned to Sender\")"
            ),
        );
    }
}

/// Every message check, in report order.
pub fn check(mail: &Mail<'_>, xdm: &XdmAttachment, sink: &mut Sink) {
    rfc5322(mail, sink);
    subject(mail, xdm, sink);
    parts(mail, xdm, sink);
    x_mss_headers(mail, xdm, sink);
    recipients(mail, xdm, sink);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdfa1_marker() {
        assert!(is_pdfa1(b"%PDF-1.4 ... <pdfaid:part>1</pdfaid:part>"));
        assert!(is_pdfa1(b"%PDF-1.4 ... pdfaid:part=\"1\""));
        assert!(!is_pdfa1(b"%PDF-1.4 ... <pdfaid:part>2</pdfaid:part>"));
        assert!(!is_pdfa1(b"%PDF-1.4 ... <pdfaid:part>12</pdfaid:part>"));
        assert!(!is_pdfa1(b"GIF89a <pdfaid:part>1</pdfaid:part>"));
    }

    #[test]
    fn subject_dates() {
        assert_eq!(
            subject_date("XDM/1.0/DDM+BILAN MARTIN Claire 15/03/1979").as_deref(),
            Some("19790315")
        );
    }

    /// MSS-ADDR-014 has no invalid fixture (fixtures/mime.md): a usager address with a CDA whose INS lacks
    /// its traits, or without X-MSS-INS: O.
    #[test]
    fn patient_address_needs_a_qualified_ins() {
        let raw = b"From: a@x.mssante.fr\r\nTo: 279035121518989@patient.mssante.fr\r\nX-MSS-INS: O\r\n\r\n".to_vec();
        let mail = crate::formats::mime::parse(&raw, &crate::limits::Limits::default()).unwrap();
        let doc = AttachedDoc {
            entry: "IHE_XDM/SUBSET01/DOC0001.XML".into(),
            code: Some("28653-4".into()),
            ins: Some(("1.2.250.1.213.1.4.10".into(), "279035121518989".into())),
            ins_traits: true,
            ..AttachedDoc::default()
        };
        let verdict = |doc: AttachedDoc| {
            let xdm = XdmAttachment {
                parts: vec![1],
                decoded: Some(Ok(())),
                attached: Some(Attached {
                    opened: true,
                    docs: vec![doc],
                    confidentiality: vec!["N".into()],
                }),
            };
            let mut sink = Sink::new();
            recipients(&mail, &xdm, &mut sink);
            sink.finish()
                .into_iter()
                .find(|f| f.requirement == "MSS-ADDR-014")
                .map(|f| f.verdict)
        };
        assert_eq!(verdict(doc.clone()), Some(crate::model::Verdict::Pass));
        assert_eq!(
            verdict(AttachedDoc {
                ins_traits: false,
                ..doc
            }),
            Some(crate::model::Verdict::Fail)
        );
    }

    #[test]
    fn oversized_message_to_a_patient_warns() {
        let mut raw =
            b"From: a@x.mssante.fr\r\nTo: 279035121518989@patient.mssante.fr\r\n\r\n".to_vec();
        raw.resize(MAX_PATIENT_MESSAGE_BYTES + 10, b'x');
        let limits = crate::limits::Limits::default();
        let mail = crate::formats::mime::parse(&raw, &limits).unwrap();
        let mut sink = Sink::new();
        recipients(&mail, &XdmAttachment::default(), &mut sink);
        let f = sink.finish();
        assert!(
            f.iter()
                .any(|f| f.requirement == "MSS-MSG-019"
                    && f.verdict == crate::model::Verdict::Warning)
        );
    }
}
