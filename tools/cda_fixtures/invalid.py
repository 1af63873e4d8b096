"""Writes fixtures/invalid/cda/<RULE-ID>[_<variant>].xml: a valid fixture with one deliberate defect."""
import base64, os, re
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
V = os.path.join(ROOT, 'fixtures/') + 'valid/cda/'
OUT = os.path.join(ROOT, 'fixtures/') + 'invalid/cda/'
os.makedirs(OUT, exist_ok=True)
BASES = {k: open(V + k + '.xml', encoding='utf-8').read() for k in ['tddui-export', 'n1-pdf', 'dlu', 'fludt', 'fludr']}
HEADER = re.compile(r'<!-- dui-conform fixture:.*?-->', re.S)

def rep(old, new, count=1):
    def f(s):
        n = s.count(old)
        assert n >= count, (old, n)
        return s.replace(old, new, count)
    return f

def chain(*fs):
    def f(s):
        for g in fs:
            s = g(s)
        return s
    return f

LINES = []
def fix(name, base, what, *fs):
    s = BASES[base]
    assert HEADER.search(s), base
    s = HEADER.sub(lambda m: f'<!-- dui-conform invalid fixture {name}: copy of fixtures/valid/cda/{base}.xml where {what}. -->', s, count=1)
    s = chain(*fs)(s)
    assert s != BASES[base]
    with open(OUT + name + '.xml', 'w', encoding='utf-8') as f:
        f.write(s)
    LINES.append((name, what, base))

T = 'tddui-export'; N1 = 'n1-pdf'
HL7FR = '<templateId root="2.16.840.1.113883.2.8.2.1"/>'

# ---- CDA-HDR-010…013, 020…029
fix('CDA-HDR-010', T, 'realmCode is missing', rep('\t<realmCode code="FR"/>\n', ''))
fix('CDA-HDR-010_not-fr', T, 'realmCode is BE instead of FR', rep('<realmCode code="FR"/>', '<realmCode code="BE"/>'))
fix('CDA-HDR-011', T, 'the typeId extension is POCD_MT000040 instead of POCD_HD000040', rep('extension="POCD_HD000040"', 'extension="POCD_MT000040"'))
fix('CDA-HDR-012', T, 'the HL7 France templateId 2.16.840.1.113883.2.8.2.1 is declared twice', rep(HL7FR, HL7FR + '\n\t' + HL7FR))
fix('CDA-HDR-012_bad-root', T, 'an extra model templateId has a root that is not a uid (1.2.250.1.213.1.1.1.058)',
    rep('<templateId root="1.2.250.1.213.1.1.1.58" extension="1.1.0-ballot"/>', '<templateId root="1.2.250.1.213.1.1.1.58" extension="1.1.0-ballot"/>\n\t<templateId root="1.2.250.1.213.1.1.1.058"/>'))
fix('CDA-HDR-013', T, 'ClinicalDocument has classCode="DOC" instead of DOCCLIN', rep('<ClinicalDocument xmlns=', '<ClinicalDocument classCode="DOC" xmlns='))
fix('CDA-HDR-020', T, 'the document id root has a leading zero in an arc (not an OID)', rep('<id root="1.2.250.1.213.4.99.1.20260315101500.1"/>', '<id root="1.2.250.1.213.4.99.1.20260315101500.01"/>'))
fix('CDA-HDR-020_two-ids', T, 'the document carries two ids', rep('<id root="1.2.250.1.213.4.99.1.20260315101500.1"/>', '<id root="1.2.250.1.213.4.99.1.20260315101500.1"/>\n\t<id root="1.2.250.1.213.4.99.1.20260315101500.9"/>'))
fix('CDA-HDR-021', N1, 'the type code 11111-1 is not in JDV_J07', rep('<code code="28653-4"', '<code code="11111-1"'))
fix('CDA-HDR-021_system', N1, 'the J07 code 28653-4 is given under a code system other than LOINC', rep('<code code="28653-4" displayName="Document du secteur social / médico-social" codeSystem="2.16.840.1.113883.6.1"/>', '<code code="28653-4" displayName="Document du secteur social / médico-social" codeSystem="1.2.250.1.213.1.1.4.12"/>'))
fix('CDA-HDR-022', T, 'the title is missing', rep('\t<title>Export du dossier usager</title>\n', ''))
fix('CDA-HDR-023', T, 'the document effectiveTime has a child element (a TS only carries @value)', rep('<effectiveTime value="20260315101500+0100"/>\n\t<confidentialityCode', '<effectiveTime value="20260315101500+0100"><low value="20260315101500+0100"/></effectiveTime>\n\t<confidentialityCode'))
fix('CDA-HDR-024', T, 'the creation date has no UTC offset (C-20)', rep('<effectiveTime value="20260315101500+0100"/>\n\t<confidentialityCode', '<effectiveTime value="20260315101500"/>\n\t<confidentialityCode'))
fix('CDA-HDR-025', T, 'the confidentialityCode is the XDS masking code INVISIBLE_PATIENT', rep('<confidentialityCode code="N"', '<confidentialityCode code="INVISIBLE_PATIENT"'))
fix('CDA-HDR-026', T, 'languageCode is given twice', rep('<languageCode code="fr-FR"/>', '<languageCode code="fr-FR"/>\n\t<languageCode code="fr-FR"/>'))
fix('CDA-HDR-027', N1, 'the document language is en-GB (well-formed, not fr-FR)', rep('<languageCode code="fr-FR"/>', '<languageCode code="en-GB"/>'))
fix('CDA-HDR-028', T, 'setId is missing (C-04)', rep('\t<setId root="1.2.250.1.213.4.99.1.20260315101500"/>\n', ''))
fix('CDA-HDR-029', T, 'versionNumber is 0', rep('<versionNumber value="1"/>', '<versionNumber value="0"/>'))

# ---- CDA-HDR-030…034
RT_START = '\t<recordTarget>'
def dup_record_target(s):
    a = s.index('\t<recordTarget>'); b = s.index('</recordTarget>') + len('</recordTarget>\n')
    return s[:b] + s[a:b] + s[b:]
fix('CDA-HDR-030', T, 'the recordTarget is given twice', dup_record_target)
fix('CDA-HDR-031', T, 'the patient name has two prefixes', rep('<family qualifier="BR">MARTIN</family>', '<prefix>MME</prefix>\n\t\t\t\t\t<prefix>DR</prefix>\n\t\t\t\t\t<family qualifier="BR">MARTIN</family>'))
fix('CDA-HDR-031_given-qualifier', T, 'a given name has qualifier="IN"', rep('<given qualifier="CL">Claire</given>', '<given qualifier="CL">Claire</given>\n\t\t\t\t\t<given qualifier="IN">C</given>'))
fix('CDA-HDR-032', T, 'the used family name has no qualifier', rep('<family qualifier="CL">MARTIN</family>', '<family>MARTIN</family>'))
fix('CDA-HDR-033', T, 'the used family name has the legacy qualifier SP (C-05)', rep('<family qualifier="CL">MARTIN</family>', '<family qualifier="SP">MARTIN</family>'))
fix('CDA-HDR-034', T, 'sdtc:deceasedInd is given twice', rep('<birthTime value="19790315"/>', '<birthTime value="19790315"/>\n\t\t\t\t<sdtc:deceasedInd value="false"/>\n\t\t\t\t<sdtc:deceasedInd value="false"/>'))

# ---- CDA-HDR-040…042
fix('CDA-HDR-040', T, 'the author has no time', rep('\t<author>\n\t\t<time value="20260315101500+0100"/>\n', '\t<author>\n'))
fix('CDA-HDR-041', T, 'the author has a functionCode outside JDV_J47', rep('\t<author>\n\t\t<time', '\t<author>\n\t\t<functionCode code="XYZ" displayName="Inconnu" codeSystem="1.2.250.1.213.1.1.4.99"/>\n\t\t<time'))
fix('CDA-HDR-042', T, 'the authoring device has no softwareName', rep('\t\t\t\t<softwareName>DUI de référence</softwareName>\n', ''))

# ---- CDA-HDR-050, 060
fix('CDA-HDR-050', T, 'the custodian organisation has two telecoms',
    rep('<name>SSIAD Les Tilleuls</name>\n\t\t\t</representedCustodianOrganization>', '<name>SSIAD Les Tilleuls</name>\n\t\t\t\t<telecom value="tel:0326000000"/>\n\t\t\t\t<telecom value="tel:0326000001"/>\n\t\t\t</representedCustodianOrganization>'))
fix('CDA-HDR-050_root', N1, 'the custodian id is under 1.2.250.1.213.4.99.5, neither the structure OID 1.2.250.1.71.4.2.2 nor the patient-document host OID 1.2.250.1.213.4.1',
    rep('<representedCustodianOrganization>\n\t\t\t\t<id root="1.2.250.1.71.4.2.2" extension="1480787529"/>', '<representedCustodianOrganization>\n\t\t\t\t<id root="1.2.250.1.213.4.99.5" extension="1480787529"/>'))
fix('CDA-HDR-060', T, 'the legalAuthenticator has no time', rep('\t<legalAuthenticator>\n\t\t<time value="20260315101500+0100"/>\n', '\t<legalAuthenticator>\n'))

# ---- CDA-HDR-070, 071
fix('CDA-HDR-070', T, 'the main act effectiveTime has a high bound but no low',
    rep('<effectiveTime>\n\t\t\t\t<low value="20260315101500+0100"/>\n\t\t\t</effectiveTime>\n\t\t\t<performer', '<effectiveTime>\n\t\t\t\t<high value="20260315101500+0100"/>\n\t\t\t</effectiveTime>\n\t\t\t<performer'))
fix('CDA-HDR-071', N1, 'the performer practice setting XYZ is not in JDV_J04', rep('<standardIndustryClassCode code="ESSMS"', '<standardIndustryClassCode code="XYZ"'))

# ---- CDA-HDR-080, 081, 090
fix('CDA-HDR-080', T, 'the encompassingEncounter has no effectiveTime',
    rep('<encompassingEncounter>\n\t\t\t<effectiveTime>\n\t\t\t\t<low value="20250901"/>\n\t\t\t</effectiveTime>\n', '<encompassingEncounter>\n'))
fix('CDA-HDR-081', T, 'the facility-type translation has no displayName', rep('<translation code="354" displayName="Service de Soins Infirmiers A Domicile (S.S.I.A.D)" ', '<translation code="354" '))
fix('CDA-HDR-081_not-j02', N1, 'the healthcare facility type SA99 is not in JDV_J02', rep('code="SA41"', 'code="SA99"'))
fix('CDA-HDR-090', T, 'a replacement relatedDocument has a parentDocument without id',
    rep('\t<componentOf>', '\t<relatedDocument typeCode="RPLC">\n\t\t<parentDocument>\n\t\t\t<setId root="1.2.250.1.213.4.99.1.20260315101500"/>\n\t\t</parentDocument>\n\t</relatedDocument>\n\t<componentOf>'))

# ---- CDA-BODY-010
fix('CDA-BODY-010', T, 'the document has two components (bodies)',
    rep('\t</component>\n</ClinicalDocument>', '\t</component>\n\t<component>\n\t\t<structuredBody/>\n\t</component>\n</ClinicalDocument>'))
fix('CDA-BODY-010_empty', T, 'the component holds neither structuredBody nor nonXMLBody',
    lambda s: s[:s.index('\t<component>\n\t\t<structuredBody>')] + '\t<component/>\n</ClinicalDocument>\n')

# ---- CDA-BODY-011 (judged by the official kit's XSD: `validate --kit` in an `xsd` build)
fix('CDA-BODY-011', T, 'the title carries an attribute CDA_extended.xsd does not declare (valid for every other rule, not for the schema)',
    rep('<title>Export du dossier usager</title>', '<title status="draft">Export du dossier usager</title>'))

# ---- CDA-N1-010…013
fix('CDA-N1-010', N1, 'a fourth (volet) templateId is declared next to the XDS-SD one',
    rep('<templateId root="1.3.6.1.4.1.19376.1.2.20"/>', '<templateId root="1.3.6.1.4.1.19376.1.2.20"/>\n\t<templateId root="1.2.250.1.213.1.1.1.45"/>'))
def b64_of(s):
    a = s.index('representation="B64">') + len('representation="B64">'); b = s.index('</text>', a)
    return a, b
def set_content(new):
    def f(s):
        a, b = b64_of(s)
        return s[:a] + new + s[b:]
    return f
def corrupt_char(s):
    a, b = b64_of(s)
    i = a + 40
    return s[:i] + '*' + s[i + 1:]
fix('CDA-N1-011', N1, 'the base64 content contains a "*" character', corrupt_char)
fix('CDA-N1-011_representation', N1, 'the text representation is TXT instead of B64', rep('representation="B64"', 'representation="TXT"'))
hello = base64.b64encode(b'Bonjour, ceci n\'est pas un PDF.\n').decode()
fix('CDA-N1-012', N1, 'the content declared application/pdf decodes to plain text (no %PDF- magic number)', set_content(hello))
def truncate_b64(s):
    a, b = b64_of(s)
    body = s[a:b].rstrip()
    return s[:a] + body[:-1] + s[b:]  # drops the last base64 character: length no longer a multiple of 4
fix('CDA-N1-012_truncated', N1, 'the base64 content lost its last character (length not a multiple of 4)', truncate_b64)
fix('CDA-N1-013', N1, 'the media type is image/png, not an XDS-SD format', rep('mediaType="application/pdf"', 'mediaType="image/png"'))

# ---- CDA-MS-010…031 (DLU, FLUDT, FLUDR)
fix('CDA-MS-010', 'dlu', 'the DLU type code is 28653-4 instead of 74207-2',
    rep('<code code="74207-2" displayName="Document de liaison d\'urgence" codeSystem="2.16.840.1.113883.6.1"/>', '<code code="28653-4" displayName="Document du secteur social / médico-social" codeSystem="2.16.840.1.113883.6.1"/>'))
fix('CDA-MS-011', 'dlu', 'the informant functionCode is ATTPHYS instead of PCP', rep('<functionCode code="PCP" displayName="Médecin traitant"', '<functionCode code="ATTPHYS" displayName="Médecin responsable"'))
fix('CDA-MS-011_act', 'dlu', 'the documented act code is 28651-8 instead of 34117-2', rep('<code code="34117-2" displayName="Historique et clinique"', '<code code="28651-8" displayName="Transfert du patient"'))
def drop_section(tpl):
    def f(s):
        i = s.index(f'<templateId root="{tpl}"/>')
        # The body's own components are indented by exactly three tabs (entries nest deeper ones).
        a = s.rindex('\n\t\t\t<component>\n', 0, i) + 1; b = s.index('\n\t\t\t</component>\n', i) + len('\n\t\t\t</component>\n')
        return s[:a] + s[b:]
    return f
def dup_section(tpl):
    def f(s):
        i = s.index(f'<templateId root="{tpl}"/>')
        # The body's own components are indented by exactly three tabs (entries nest deeper ones).
        a = s.rindex('\n\t\t\t<component>\n', 0, i) + 1; b = s.index('\n\t\t\t</component>\n', i) + len('\n\t\t\t</component>\n')
        return s[:b] + s[a:b] + s[b:]
    return f
fix('CDA-MS-012', 'dlu', 'the mandatory section "Directives anticipées" (1.3.6.1.4.1.19376.1.5.3.1.3.35) is missing', drop_section('1.3.6.1.4.1.19376.1.5.3.1.3.35'))
fix('CDA-MS-013', 'dlu', 'the optional section "Vaccinations" (1.3.6.1.4.1.19376.1.5.3.1.3.23) is present twice', dup_section('1.3.6.1.4.1.19376.1.5.3.1.3.23'))
fix('CDA-MS-020', 'fludt', 'the documented act effectiveTime carries a nullFlavor',
    rep('<effectiveTime>\n\t\t\t\t<low value="20260315101500+0100"/>\n\t\t\t</effectiveTime>\n\t\t\t<performer', '<effectiveTime nullFlavor="UNK">\n\t\t\t\t<low value="20260315101500+0100"/>\n\t\t\t</effectiveTime>\n\t\t\t<performer'))
fix('CDA-MS-020_code', 'fludt', 'the FLUDT type code is 28653-4 instead of 74207-2',
    rep('<code code="74207-2" displayName="Document de liaison d\'urgence" codeSystem="2.16.840.1.113883.6.1"/>', '<code code="28653-4" displayName="Document du secteur social / médico-social" codeSystem="2.16.840.1.113883.6.1"/>'))
fix('CDA-MS-021', 'fludt', 'the mandatory section "Dernier repas" (1.3.6.1.4.1.19376.1.7.3.1.1.13.5) is missing', drop_section('1.3.6.1.4.1.19376.1.7.3.1.1.13.5'))
fix('CDA-MS-030', 'fludr', 'the documented act code is 34117-2 instead of 28651-8', rep('<code code="28651-8" displayName="Transfert du patient"', '<code code="34117-2" displayName="Historique et clinique"'))
fix('CDA-MS-031', 'fludr', 'the mandatory section "Documents ajoutés" (1.2.250.1.213.1.1.2.37) is missing', drop_section('1.2.250.1.213.1.1.2.37'))

# ---- CDA-MS-050…057 (TDDUI export)
fix('CDA-MS-050', T, 'the type code displayName is "Export DUI" instead of "Export du Dossier Usager Informatisé"',
    rep('<code code="EXPORT_DUI" displayName="Export du Dossier Usager Informatisé"', '<code code="EXPORT_DUI" displayName="Export DUI"'))
fix('CDA-MS-050_no-template', T, 'the export (code EXPORT_DUI) does not declare templateId 1.2.250.1.213.1.1.1.58',
    rep('<templateId root="1.2.250.1.213.1.1.1.58" extension="1.1.0-ballot"/>', '<templateId root="1.2.250.1.213.1.1.1.59"/>'))
LOG = '<code code="LOGICIEL_DUI" displayName="Logiciel de Dossier Usager Informatisé" codeSystem="1.2.250.1.213.1.1.4.6"/>'
DISP = '<code code="DISPOSITIF" displayName="Dispositif médical" codeSystem="1.2.250.1.213.1.1.4.6"/>'
def nth(old, new, n):
    def f(s):
        i = -1
        for _ in range(n):
            i = s.index(old, i + 1)
        return s[:i] + new + s[i + len(old):]
    return f
fix('CDA-MS-051', T, 'the author role code is DISPOSITIF (a J01 code) instead of LOGICIEL_DUI', nth(LOG, DISP, 1))
fix('CDA-MS-052', T, 'the custodian organisation carries a second, null id (id [1..1])',
    rep('<representedCustodianOrganization>\n\t\t\t\t<id root="1.2.250.1.71.4.2.2" extension="1480787529"/>', '<representedCustodianOrganization>\n\t\t\t\t<id root="1.2.250.1.71.4.2.2" extension="1480787529"/>\n\t\t\t\t<id nullFlavor="UNK"/>'))
fix('CDA-MS-053', T, 'the legal authenticator role code is DISPOSITIF instead of LOGICIEL_DUI', nth(LOG, DISP, 2))
fix('CDA-MS-054', T, 'the performer practice setting is ETABLISSEMENT (a J04 code) instead of ESSMS',
    rep('<standardIndustryClassCode code="ESSMS" displayName="Etablissement ou Service Social ou Médico-Social"', '<standardIndustryClassCode code="ETABLISSEMENT" displayName="Etablissement de santé"'))
fix('CDA-MS-055', T, 'the facility type is SA17 (a J02 code, EHPAD) instead of SA16, SA18 or SA41',
    rep('<code code="SA41" displayName="Autre établissement du domaine social ou médico-social"', '<code code="SA17" displayName="Etablissement pour personnes âgées"'))
fix('CDA-MS-056', T, 'an extra family name carries a nullFlavor', rep('<family qualifier="CL">MARTIN</family>', '<family qualifier="CL">MARTIN</family>\n\t\t\t\t\t<family nullFlavor="UNK"/>'))
fix('CDA-MS-057', T, 'the usager has no INS (only NSS and local id) and no sdtc:multipleBirthOrderNumber',
    rep('\t\t\t<id root="1.2.250.1.213.1.4.10" extension="279035121518989"/>\n', ''))

with open('/tmp/fixgen/lines.txt', 'w') as f:
    for n, w, b in LINES:
        f.write(f'{n}\t{w}\t{b}\n')
print(len(LINES), 'fixtures')
