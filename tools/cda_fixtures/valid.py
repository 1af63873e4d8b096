"""Writes the valid DLU, FLUDT and FLUDR fixtures (dui-conform, helper A)."""
import os
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'fixtures/') + 'valid/cda'

PATIENT = '''	<recordTarget>
		<patientRole>
			<id root="1.2.250.1.213.1.4.10" extension="279035121518989"/>
			<id root="1.2.250.1.213.1.4.13" extension="279035121518989"/>
			<patient>
				<name>
					<family qualifier="BR">MARTIN</family>
					<given>Claire Marie</given>
					<given qualifier="BR">Claire</given>
					<family qualifier="CL">MARTIN</family>
					<given qualifier="CL">Claire</given>
				</name>
				<administrativeGenderCode code="F" displayName="Féminin" codeSystem="2.16.840.1.113883.5.1"/>
				<birthTime value="19790315"/>
				<birthplace>
					<place>
						<addr>
							<county>51215</county>
						</addr>
					</place>
				</birthplace>
			</patient>
		</patientRole>
	</recordTarget>
'''

DUI_AUTHOR = '''	<author>
		<time value="{t}"/>
		<assignedAuthor>
			<id root="1.2.250.1.71.4.2.1" extension="3480787529/1453"/>
			<code code="LOGICIEL_DUI" displayName="Logiciel de Dossier Usager Informatisé" codeSystem="1.2.250.1.213.1.1.4.6"/>
			<assignedAuthoringDevice>
				<manufacturerModelName>dui-conform</manufacturerModelName>
				<softwareName>DUI de référence</softwareName>
			</assignedAuthoringDevice>
			<representedOrganization>
				<id root="1.2.250.1.71.4.2.2" extension="1480787529"/>
				<name>EHPAD Les Tilleuls</name>
			</representedOrganization>
		</assignedAuthor>
	</author>
	<custodian>
		<assignedCustodian>
			<representedCustodianOrganization>
				<id root="1.2.250.1.71.4.2.2" extension="1480787529"/>
				<name>EHPAD Les Tilleuls</name>
			</representedCustodianOrganization>
		</assignedCustodian>
	</custodian>
	<legalAuthenticator>
		<time value="{t}"/>
		<signatureCode code="S"/>
		<assignedEntity>
			<id root="1.2.250.1.71.4.2.1" extension="3480787529/1453"/>
			<code code="LOGICIEL_DUI" displayName="Logiciel de Dossier Usager Informatisé" codeSystem="1.2.250.1.213.1.1.4.6"/>
			<representedOrganization>
				<id root="1.2.250.1.71.4.2.2" extension="1480787529"/>
			</representedOrganization>
		</assignedEntity>
	</legalAuthenticator>
'''

DOCTOR_AUTHOR = '''	<author>
		<time value="{t}"/>
		<assignedAuthor>
			<id root="1.2.250.1.71.4.2.1" extension="801234567897"/>
			<code code="G15_10/SM26" displayName="Médecin - Qualifié en Médecine Générale (SM)" codeSystem="1.2.250.1.213.1.1.4.5"/>
			<assignedPerson>
				<name>
					<family>DURAND</family>
					<given>Paul</given>
				</name>
			</assignedPerson>
			<representedOrganization>
				<id root="1.2.250.1.71.4.2.2" extension="1750712184"/>
				<name>Centre hospitalier de Reims (service des urgences)</name>
			</representedOrganization>
		</assignedAuthor>
	</author>
	<custodian>
		<assignedCustodian>
			<representedCustodianOrganization>
				<id root="1.2.250.1.71.4.2.2" extension="1750712184"/>
				<name>Centre hospitalier de Reims</name>
			</representedCustodianOrganization>
		</assignedCustodian>
	</custodian>
	<legalAuthenticator>
		<time value="{t}"/>
		<signatureCode code="S"/>
		<assignedEntity>
			<id root="1.2.250.1.71.4.2.1" extension="801234567897"/>
			<code code="G15_10/SM26" displayName="Médecin - Qualifié en Médecine Générale (SM)" codeSystem="1.2.250.1.213.1.1.4.5"/>
			<assignedPerson>
				<name>
					<family>DURAND</family>
					<given>Paul</given>
				</name>
			</assignedPerson>
		</assignedEntity>
	</legalAuthenticator>
'''

INFORMANT = '''	<participant typeCode="INF">
		<functionCode code="PCP" displayName="Médecin traitant" codeSystem="2.16.840.1.113883.5.88"/>
		<time>
			<low value="20250901"/>
		</time>
		<associatedEntity classCode="PROV">
			<associatedPerson>
				<name>
					<family>LEROY</family>
					<given>Anne</given>
				</name>
			</associatedPerson>
		</associatedEntity>
	</participant>
'''

def act(code, display, t, org_id, org_name, sic):
    return f'''	<documentationOf>
		<serviceEvent>
			<code code="{code}" displayName="{display}" codeSystem="2.16.840.1.113883.6.1"/>
			<effectiveTime>
				<low value="{t}"/>
			</effectiveTime>
			<performer typeCode="PRF">
				<assignedEntity>
					<id root="1.2.250.1.71.4.2.1" extension="{'3480787529/1453' if org_id == '1480787529' else '801234567897'}"/>
					<representedOrganization>
						<id root="1.2.250.1.71.4.2.2" extension="{org_id}"/>
						<name>{org_name}</name>
						{sic}
					</representedOrganization>
				</assignedEntity>
			</performer>
		</serviceEvent>
	</documentationOf>
'''

ESSMS_SIC = '<standardIndustryClassCode code="ESSMS" displayName="Etablissement ou Service Social ou Médico-Social" codeSystem="1.2.250.1.213.1.1.4.9"/>'
URG_SIC = '<standardIndustryClassCode code="ETABLISSEMENT" displayName="Etablissement de santé" codeSystem="1.2.250.1.213.1.1.4.9"/>'

def encounter(t, code, display):
    return f'''	<componentOf>
		<encompassingEncounter>
			<effectiveTime>
				<low value="{t}"/>
			</effectiveTime>
			<location>
				<healthCareFacility>
					<code code="{code}" displayName="{display}" codeSystem="1.2.250.1.71.4.2.4"/>
				</healthCareFacility>
			</location>
		</encompassingEncounter>
	</componentOf>
'''

import base64
import uuid

def uid(*parts):
    """A stable UUID for an entry id: the same fixture text on every run (uuid5 over the parts)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, 'dui-conform-fixture:' + ':'.join(parts))).upper()

def section(tpls, code, display, title, text, entries=(), sid=None):
    """One section. `text` is the narrative (may hold <content ID="…"> targets that the entries reference);
    `sid` gives the section an id (several CI-SIS section templates require one)."""
    t = ''.join(f'\n\t\t\t\t\t<templateId root="{r}"/>' for r in tpls)
    i = f'\n\t\t\t\t\t<id root="{uid("section", sid)}"/>' if sid else ''
    e = ''.join(f'\n\t\t\t\t\t<entry>{x}\n\t\t\t\t\t</entry>' for x in entries)
    return f'''			<component>
				<section>{t}{i}
					<code code="{code}" displayName="{display}" codeSystem="2.16.840.1.113883.6.1"/>
					<title>{title}</title>
					<text>{text}</text>{e}
				</section>
			</component>
'''

# ---- Entries, shaped as the CI-SIS entry templates the volet and the IHE PCC profile require
# (templateId chains as in the ANS examples of TestContenuCDA; content is this fixture's own).
XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'

def problem_concern(key, low, ref, icd10, display, concern='1.3.6.1.4.1.19376.1.5.3.1.4.5.2', fr='1.2.250.1.213.1.1.3.39'):
    """FR-Liste-des-problemes (Problem Concern Entry) holding one FR-Probleme coded in CIM-10."""
    return f'''
						<act classCode="ACT" moodCode="EVN">
							<templateId root="2.16.840.1.113883.10.20.1.27"/>
							<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.5.1"/>
							<templateId root="{concern}"/>
							<templateId root="{fr}"/>
							<id root="{uid(key, 'concern')}"/>
							<code nullFlavor="NA"/>
							<statusCode code="active"/>
							<effectiveTime>
								<low value="{low}"/>
							</effectiveTime>
							<entryRelationship typeCode="SUBJ" inversionInd="false">
								<observation classCode="OBS" moodCode="EVN" negationInd="false">
									<templateId root="2.16.840.1.113883.10.20.1.28"/>
									<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.5"/>
									<templateId root="1.2.250.1.213.1.1.3.37"/>
									<id root="{uid(key, 'problem')}"/>
									<code code="282291009" displayName="interprétation diagnostique" codeSystem="2.16.840.1.113883.6.96" codeSystemName="SNOMED CT"/>
									<text><reference value="#{ref}"/></text>
									<statusCode code="completed"/>
									<effectiveTime>
										<low value="{low}"/>
									</effectiveTime>
									<value xsi:type="CD" code="{icd10}" displayName="{display}" codeSystem="2.16.840.1.113883.6.3" codeSystemName="CIM-10">
										<originalText><reference value="#{ref}"/></originalText>
									</value>
								</observation>
							</entryRelationship>
						</act>'''

def no_known_allergy(key, ref):
    """FR-Liste-des-allergies-et-hypersensibilites stating no known allergy (negationInd on the observation)."""
    return f'''
						<act classCode="ACT" moodCode="EVN">
							<templateId root="2.16.840.1.113883.10.20.1.27"/>
							<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.5.1"/>
							<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.5.3"/>
							<templateId root="1.2.250.1.213.1.1.3.40"/>
							<id root="{uid(key, 'concern')}"/>
							<code nullFlavor="NA"/>
							<statusCode code="active"/>
							<effectiveTime>
								<low nullFlavor="UNK"/>
							</effectiveTime>
							<entryRelationship typeCode="SUBJ" inversionInd="false">
								<observation classCode="OBS" moodCode="EVN" negationInd="true">
									<templateId root="2.16.840.1.113883.10.20.1.18"/>
									<templateId root="2.16.840.1.113883.10.20.1.28"/>
									<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.5"/>
									<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.6"/>
									<templateId root="1.2.250.1.213.1.1.3.41"/>
									<id root="{uid(key, 'allergy')}"/>
									<code code="420134006" displayName="propension à des réactions indésirables" codeSystem="2.16.840.1.113883.6.96" codeSystemName="SNOMED CT"/>
									<text><reference value="#{ref}"/></text>
									<statusCode code="completed"/>
									<effectiveTime>
										<low nullFlavor="UNK"/>
									</effectiveTime>
									<value xsi:type="CD">
										<originalText><reference value="#{ref}"/></originalText>
									</value>
								</observation>
							</entryRelationship>
						</act>'''

def medication(key, ref, low, high, cis, name, atc, atc_name):
    """FR-Traitement (Medications Entry, normal dosing) with its FR-Produit-de-sante coded in CIS and ATC."""
    hi = f'<high value="{high}"/>' if high else '<high nullFlavor="UNK"/>'
    return f'''
						<substanceAdministration classCode="SBADM" moodCode="INT">
							<templateId root="2.16.840.1.113883.10.20.1.24"/>
							<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.7"/>
							<templateId root="1.2.250.1.213.1.1.3.42"/>
							<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.7.1"/>
							<id root="{uid(key, 'medication')}"/>
							<text><reference value="#{ref}"/></text>
							<statusCode code="completed"/>
							<effectiveTime xsi:type="IVL_TS">
								<low value="{low}"/>
								{hi}
							</effectiveTime>
							<effectiveTime xsi:type="PIVL_TS" operator="A">
								<period value="1" unit="d"/>
							</effectiveTime>
							<doseQuantity>
								<low value="1" unit="{{count}}"/>
								<high value="1" unit="{{count}}"/>
							</doseQuantity>
							<consumable typeCode="CSM">
								<manufacturedProduct>
									<templateId root="2.16.840.1.113883.10.20.1.53"/>
									<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.7.2"/>
									<templateId root="1.2.250.1.213.1.1.3.43"/>
									<manufacturedMaterial classCode="MMAT">
										<code code="{cis}" displayName="{name}" codeSystem="1.2.250.1.213.2.3.1" codeSystemName="CIS">
											<originalText><reference value="#{ref}"/></originalText>
											<translation code="{atc}" displayName="{atc_name}" codeSystem="2.16.840.1.113883.6.73" codeSystemName="ATC"/>
										</code>
										<name>{name}</name>
									</manufacturedMaterial>
								</manufacturedProduct>
							</consumable>
						</substanceAdministration>'''

def advance_directive(key, ref, low, exists):
    """FR-Directive-Anticipee (Advance Directive Observation): whether written advance directives exist."""
    return f'''
						<observation classCode="OBS" moodCode="EVN">
							<templateId root="2.16.840.1.113883.10.20.1.17"/>
							<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.13"/>
							<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.13.7"/>
							<templateId root="1.2.250.1.213.1.1.3.54"/>
							<id root="{uid(key, 'directive')}"/>
							<code code="42348-3" displayName="Directives anticipées" codeSystem="2.16.840.1.113883.6.1" codeSystemName="LOINC"/>
							<text><reference value="#{ref}"/></text>
							<statusCode code="completed"/>
							<effectiveTime>
								<low value="{low}"/>
							</effectiveTime>
							<value xsi:type="BL" value="{'true' if exists else 'false'}"/>
						</observation>'''

def simple_obs(key, ref, code, display, system, system_name, value, when=None, extra_tpl=()):
    """FR-Simple-Observation (IHE PCC Simple Observation); `value` is the xsi-typed value element."""
    et = f'<effectiveTime value="{when}"/>' if when else '<effectiveTime nullFlavor="NA"/>'
    x = ''.join(f'\n\t\t\t\t\t\t\t<templateId root="{r}"/>' for r in extra_tpl)
    return f'''
						<observation classCode="OBS" moodCode="EVN">
							<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.13"/>
							<templateId root="1.2.250.1.213.1.1.3.48"/>{x}
							<id root="{uid(key, 'observation', code)}"/>
							<code code="{code}" displayName="{display}" codeSystem="{system}" codeSystemName="{system_name}"/>
							<text><reference value="#{ref}"/></text>
							<statusCode code="completed"/>
							{et}
							{value}
						</observation>'''

def procedure(key, ref, status, when=None):
    """FR-Acte (Procedure Entry) with no coded act (code nullFlavor NA), as the DLU examples use it."""
    et = f'\n\t\t\t\t\t\t\t<effectiveTime value="{when}"/>' if when else ''
    return f'''
						<procedure classCode="PROC" moodCode="EVN">
							<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.19"/>
							<templateId root="2.16.840.1.113883.10.20.1.29"/>
							<templateId root="1.2.250.1.213.1.1.3.62"/>
							<id root="{uid(key, 'procedure')}"/>
							<code nullFlavor="NA"/>
							<text><reference value="#{ref}"/></text>
							<statusCode code="{status}"/>{et}
						</procedure>'''

def immunization(key, ref, cis, name, atc, atc_name, lot):
    """FR-Vaccination (IHE PCC Immunizations entry) with its FR-Produit-de-sante."""
    return f'''
						<substanceAdministration classCode="SBADM" moodCode="EVN" negationInd="false">
							<templateId root="2.16.840.1.113883.10.20.1.24"/>
							<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.12"/>
							<templateId root="1.2.250.1.213.1.1.3.45"/>
							<id root="{uid(key, 'immunization')}"/>
							<code code="IMMUNIZ" displayName="Immunization" codeSystem="2.16.840.1.113883.5.4" codeSystemName="ActCode"/>
							<text><reference value="#{ref}"/></text>
							<statusCode code="completed"/>
							<effectiveTime value="20251015"/>
							<routeCode code="20035000" displayName="voie intramusculaire" codeSystem="0.4.0.127.0.16.1.1.2.1" codeSystemName="EDQM"/>
							<doseQuantity nullFlavor="NA"/>
							<consumable typeCode="CSM">
								<manufacturedProduct classCode="MANU">
									<templateId root="2.16.840.1.113883.10.20.1.53"/>
									<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.7.2"/>
									<templateId root="1.2.250.1.213.1.1.3.43"/>
									<manufacturedMaterial>
										<code code="{cis}" displayName="{name}" codeSystem="1.2.250.1.213.2.3.1" codeSystemName="CIS">
											<originalText><reference value="#{ref}"/></originalText>
											<translation code="{atc}" displayName="{atc_name}" codeSystem="2.16.840.1.113883.6.73" codeSystemName="ATC"/>
										</code>
										<name>{name}</name>
										<lotNumberText>{lot}</lotNumberText>
									</manufacturedMaterial>
								</manufacturedProduct>
							</consumable>
						</substanceAdministration>'''

# A one-page PDF 1.4 ("Document joint"), small enough to keep the fixture readable.
ATTACHED_PDF = base64.b64encode(b'%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n').decode()

def attached_document(key, ref, type_code, type_name):
    """FR-Document-attache: the attachment's type (JDV from TA_ASIP) and the document itself as observationMedia."""
    return f'''
						<organizer classCode="CLUSTER" moodCode="EVN">
							<templateId root="1.2.250.1.213.1.1.3.18"/>
							<id root="{uid(key, 'attached')}"/>
							<code code="55107-7" displayName="Document attaché" codeSystem="2.16.840.1.113883.6.1" codeSystemName="LOINC"/>
							<statusCode code="completed"/>
							<component>
								<observation classCode="OBS" moodCode="EVN">
									<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.13"/>
									<templateId root="1.2.250.1.213.1.1.3.48"/>
									<templateId root="1.2.250.1.213.1.1.3.48.18"/>
									<id root="{uid(key, 'attached-type')}"/>
									<code code="69764-9" displayName="Type de document" codeSystem="2.16.840.1.113883.6.1" codeSystemName="LOINC"/>
									<text><reference value="#{ref}"/></text>
									<statusCode code="completed"/>
									<effectiveTime nullFlavor="NA"/>
									<value xsi:type="CD" code="{type_code}" displayName="{type_name}" codeSystem="1.2.250.1.213.1.1.4.322" codeSystemName="TA_ASIP"/>
								</observation>
							</component>
							<component>
								<observationMedia classCode="OBS" moodCode="EVN" ID="{ref}-media">
									<value mediaType="application/pdf" representation="B64">{ATTACHED_PDF}</value>
								</observationMedia>
							</component>
						</organizer>'''

def doc(comment, tpl, n, title, t, people, informant, act_xml, enc, sections):
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<!-- {comment} -->
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:sdtc="urn:hl7-org:sdtc" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
	<realmCode code="FR"/>
	<typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
	<templateId root="2.16.840.1.113883.2.8.2.1"/>
	<templateId root="1.2.250.1.213.1.1.1.1"/>
	<templateId root="{tpl}" extension="2022.01"/>
	<id root="1.2.250.1.213.4.99.1.20260315101500.{n}"/>
	<code code="74207-2" displayName="Document de liaison d'urgence" codeSystem="2.16.840.1.113883.6.1"/>
	<title>{title}</title>
	<effectiveTime value="{t}"/>
	<confidentialityCode code="N" displayName="Normal" codeSystem="2.16.840.1.113883.5.25"/>
	<languageCode code="fr-FR"/>
	<setId root="1.2.250.1.213.4.99.1.2026031510150{n}"/>
	<versionNumber value="1"/>
{PATIENT}{people}{informant}{act_xml}{enc}	<component>
		<structuredBody>
{''.join(sections)}		</structuredBody>
	</component>
</ClinicalDocument>
'''

T = '20260315101500+0100'
FIX = 'Test INS 279035121518989 under the INS-NIR de test OID (1.2.250.1.213.1.4.10)'

# Section templateId chains: the IHE PCC parent(s), the PCC section, the CI-SIS section (as the volet requires).
S_PREF = ['1.3.6.1.4.1.19376.1.5.3.1.1.13.2.10', '1.2.250.1.213.1.1.2.172']
S_ACTIVE = ['2.16.840.1.113883.10.20.1.11', '1.3.6.1.4.1.19376.1.5.3.1.3.6', '1.2.250.1.213.1.1.2.132']
S_HISTORY = ['1.3.6.1.4.1.19376.1.5.3.1.3.8', '1.2.250.1.213.1.1.2.134']
S_ALLERGY = ['2.16.840.1.113883.10.20.1.2', '1.3.6.1.4.1.19376.1.5.3.1.3.13', '1.2.250.1.213.1.1.2.137']
S_MEDS = ['2.16.840.1.113883.10.20.1.8', '1.3.6.1.4.1.19376.1.5.3.1.3.19', '1.2.250.1.213.1.1.2.143']
S_DIRECTIVES = ['2.16.840.1.113883.10.20.1.1', '1.3.6.1.4.1.19376.1.5.3.1.3.34', '1.3.6.1.4.1.19376.1.5.3.1.3.35', '1.2.250.1.213.1.1.2.157']
S_EVENTS = ['1.3.6.1.4.1.19376.1.5.3.1.1.21.2.9', '1.3.6.1.4.1.19376.1.7.3.1.1.13.7', '1.2.250.1.213.1.1.2.163']
S_RESULTS = ['1.3.6.1.4.1.19376.1.5.3.1.3.27', '1.3.6.1.4.1.19376.1.5.3.1.3.28', '1.2.250.1.213.1.1.2.151']
S_IMMUN = ['2.16.840.1.113883.10.20.1.6', '1.3.6.1.4.1.19376.1.5.3.1.3.23', '1.2.250.1.213.1.1.2.147']
S_COMMENT = ['2.16.840.1.113883.10.12.201', '1.3.6.1.4.1.19376.1.4.1.2.16', '1.2.250.1.213.1.1.2.73']
S_ADDED = ['1.2.250.1.213.1.1.2.37']
S_VITALS = ['2.16.840.1.113883.10.20.1.16', '1.3.6.1.4.1.19376.1.5.3.1.3.25', '1.3.6.1.4.1.19376.1.5.3.1.1.5.3.2', '1.2.250.1.213.1.1.2.75']
S_FUNCTIONAL = ['1.3.6.1.4.1.19376.1.7.3.1.1.13.5', '1.2.250.1.213.1.1.2.162']
S_DEVICES = ['1.2.250.1.213.1.1.2.53']
S_DISCHARGE_DX = ['1.3.6.1.4.1.19376.1.5.3.1.3.7', '1.2.250.1.213.1.1.2.133']
S_DISCHARGE_MEDS = ['1.3.6.1.4.1.19376.1.5.3.1.3.22', '1.2.250.1.213.1.1.2.146']

SNOMED = ('2.16.840.1.113883.6.96', 'SNOMED CT')
BL_TRUE = '<value xsi:type="BL" value="true"/>'
BL_FALSE = '<value xsi:type="BL" value="false"/>'

def glasses(key, when):
    return simple_obs(key, 'lunettes', 'Q021003', 'LUNETTES PRÊTES À PORTER (OU LUNETTES MONTÉES)', '1.2.250.1.213.2.68', 'EMDN', BL_TRUE, when, ['1.2.250.1.213.1.1.3.12'])

AMLODIPINE = ('63318397', 'AMLODIPINE 5 mg, gélule', 'C08CA01', 'amlodipine')

def vital(c, d, r, v, u):
    """FR-Signe-vital-observe (IHE PCC Vital Signs Observation) in LOINC with a UCUM unit."""
    return f'''
							<component typeCode="COMP">
								<observation classCode="OBS" moodCode="EVN">
									<templateId root="2.16.840.1.113883.10.20.1.31"/>
									<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.13"/>
									<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.13.2"/>
									<templateId root="1.2.250.1.213.1.1.3.50"/>
									<id root="{uid('fludt', 'vital', c)}"/>
									<code code="{c}" displayName="{d}" codeSystem="2.16.840.1.113883.6.1" codeSystemName="LOINC"/>
									<text><reference value="#{r}"/></text>
									<statusCode code="completed"/>
									<effectiveTime value="20260315093000+0100"/>
									<value xsi:type="PQ" value="{v}" unit="{u}"/>
								</observation>
							</component>'''

VITALS = ''.join(vital(*x) for x in [('8867-4', 'Fréquence cardiaque', 'pouls', '88', '/min'), ('8310-5', 'Température corporelle', 'temp', '36.9', 'Cel')])

dlu = doc(
    f'dui-conform fixture: a conformant DLU (Document de liaison d\'urgence, EHPAD, model 1.2.250.1.213.1.1.1.22, CI-SIS_DLU-EHPAD-DLU_2022.01), written for the test suite: the six mandatory sections and the five optional ones once each, each with the entries the volet and the IHE PCC profile require, so that the official ANS kit accepts it too. {FIX}; fictitious EHPAD 1480787529, DUI system id 3480787529/1453.',
    '1.2.250.1.213.1.1.1.22', 3, "Document de liaison d'urgence", T, DUI_AUTHOR.format(t=T), INFORMANT,
    act('34117-2', 'Historique et clinique', T, '1480787529', 'EHPAD Les Tilleuls', ESSMS_SIC),
    encounter('20250901', 'SA17', 'Etablissement pour personnes âgées'),
    [
        section(S_PREF, '11302-7', 'Etablissement de santé de préférence', 'Etablissement de santé de préférence', '<content ID="pref">Centre hospitalier de Reims.</content>', [f'''
						<act classCode="ACT" moodCode="INT">
							<templateId root="1.3.6.1.4.1.19376.1.5.3.1.1.10.4.2"/>
							<templateId root="1.2.250.1.213.1.1.3.97"/>
							<id root="{uid('dlu', 'disposition')}"/>
							<code code="11302-7" displayName="Etablissement de santé de préférence" codeSystem="2.16.840.1.113883.6.1" codeSystemName="LOINC"/>
							<text><reference value="#pref"/></text>
							<statusCode code="normal"/>
							<effectiveTime nullFlavor="NAV"/>
							<participant typeCode="DST">
								<time nullFlavor="NAV"/>
								<participantRole classCode="ROL">
									<id root="1.2.250.1.71.4.2.2" extension="1750712184"/>
									<addr>
										<streetName>Rue du Général Koenig</streetName>
										<postalCode>51100</postalCode>
										<city>Reims</city>
									</addr>
									<telecom value="tel:0326000000" use="WP"/>
									<playingEntity>
										<name>Centre hospitalier de Reims</name>
									</playingEntity>
								</participantRole>
							</participant>
						</act>''']),
        section(S_ACTIVE, '11450-4', 'Liste des problèmes actifs', 'Pathologies en cours', '<content ID="hta">Hypertension artérielle.</content>', [problem_concern('dlu-hta', '20150601', 'hta', 'I10', 'Hypertension essentielle (primitive)')], sid='dlu-active'),
        section(S_HISTORY, '11348-0', 'Antécédents médicaux', 'Antécédents médicaux', '<content ID="femur">Fracture du col du fémur (2019).</content>', [problem_concern('dlu-femur', '20190412', 'femur', 'S72.0', 'Fracture du col du fémur')], sid='dlu-history'),
        section(S_ALLERGY, '48765-2', 'Allergies et hypersensibilités', 'Allergies', '<content ID="allergie">Aucune allergie connue.</content>', [no_known_allergy('dlu-allergy', 'allergie')], sid='dlu-allergy'),
        section(S_MEDS, '10160-0', 'Historique de la prise médicamenteuse', 'Traitements', '<content ID="amlo">Amlodipine 5 mg, 1 le matin.</content>', [medication('dlu-amlo', 'amlo', '20150601', None, *AMLODIPINE)], sid='dlu-meds'),
        section(S_DIRECTIVES, '42348-3', 'Directives anticipées', 'Directives anticipées', '<content ID="da">Pas de directives anticipées rédigées.</content>', [advance_directive('dlu-da', 'da', '20250901', False)], sid='dlu-directives'),
        section(S_EVENTS, '42545-4', 'Evènements observés', 'Etat psychique, handicaps, déplacements, risques', '<content ID="comm">Communique sans difficulté.</content> Se déplace avec un déambulateur.', [simple_obs('dlu-comm', 'comm', '288575003', 'capable de communiquer', *SNOMED, BL_TRUE)], sid='dlu-events'),
        section(S_RESULTS, '30954-2', "Résultats d'examens", 'Bactérie multirésistante', '<content ID="bmr">Pas de portage BMR connu.</content>', [procedure('dlu-bmr', 'bmr', 'completed'), simple_obs('dlu-bmr', 'bmr', 'U83.71', 'Bactérie multirésistante [BMR]', '2.16.840.1.113883.6.3', 'CIM-10', BL_FALSE)], sid='dlu-results'),
        section(S_IMMUN, '11369-6', 'Historique des vaccinations', 'Vaccinations', '<content ID="grippe">Grippe saisonnière (octobre 2025).</content>', [immunization('dlu-grippe', 'grippe', '62986563', 'INFLUVAC TETRA, suspension injectable en seringue préremplie', 'J07BB02', 'vaccin grippal, antigène purifié', 'K25A01')], sid='dlu-immun'),
        section(S_COMMENT, '55112-7', 'Commentaire', 'Commentaires', 'Aucun.'),
        section(S_ADDED, '55107-7', 'Documents ajoutés', 'Documents ajoutés', '<content ID="doc1">Attestation de la carte Vitale.</content>', [attached_document('dlu-doc1', 'doc1', 'DLU_006', 'Attestation de la carte vitale')], sid='dlu-added'),
    ])

fludt = doc(
    f'dui-conform fixture: a conformant FLUDT (fiche de liaison d\'urgence, transfert EHPAD vers urgences, model 1.2.250.1.213.1.1.1.23, CI-SIS_DLU-EHPAD-FLUDT_2022.01), written for the test suite: the six mandatory sections and the optional comment, each with the entries the volet and the IHE PCC profile require, so that the official ANS kit accepts it too. {FIX}; fictitious EHPAD 1480787529, DUI system id 3480787529/1453.',
    '1.2.250.1.213.1.1.1.23', 4, "Fiche de liaison d'urgence - transfert vers les urgences", T, DUI_AUTHOR.format(t=T), '',
    act('28651-8', 'Transfert du patient', T, '1480787529', 'EHPAD Les Tilleuls', ESSMS_SIC),
    encounter('20250901', 'SA17', 'Etablissement pour personnes âgées'),
    [
        section(S_EVENTS, '42545-4', 'Evènements observés', "Transfert du patient de l'EHPAD vers le SU", '<content ID="chute">Chute dans la chambre à 9 h, douleur de hanche.</content> <content ID="transfert">Transfert vers le service des urgences du CH de Reims.</content>', [simple_obs('fludt-chute', 'chute', '57277-6', 'Motif du transfert vers le service des urgences', '2.16.840.1.113883.6.1', 'LOINC', '<value xsi:type="CD"><originalText><reference value="#chute"/></originalText></value>', '20260315090000+0100'), f'''
						<act classCode="ACT" moodCode="EVN">
							<templateId root="1.3.6.1.4.1.19376.1.5.3.1.1.25.1.4.1"/>
							<templateId root="1.2.250.1.213.1.1.3.28"/>
							<id root="{uid('fludt', 'transfer')}"/>
							<code code="80413-8" displayName="Transfert du patient" codeSystem="2.16.840.1.113883.6.1" codeSystemName="LOINC"/>
							<text><reference value="#transfert"/></text>
							<statusCode code="completed"/>
							<effectiveTime>
								<low value="20260315100000+0100"/>
								<high value="20260315101500+0100"/>
							</effectiveTime>
							<participant typeCode="DST">
								<participantRole classCode="SDLOC">
									<id root="1.2.250.1.71.4.2.2" extension="1750712184"/>
									<code code="SA01" displayName="Etablissement public de santé" codeSystem="1.2.250.1.71.4.2.4"/>
									<addr>
										<streetName>Rue du Général Koenig</streetName>
										<postalCode>51100</postalCode>
										<city>Reims</city>
									</addr>
									<telecom value="tel:0326000000" use="WP"/>
									<playingEntity classCode="ENT">
										<name>Centre hospitalier de Reims</name>
									</playingEntity>
								</participantRole>
							</participant>
						</act>'''], sid='fludt-events'),
        section(S_VITALS, '8716-3', 'Signes vitaux', 'Constantes du patient', '<content ID="pouls">Pouls 88/min</content>, <content ID="temp">température 36,9 °C</content>.', [f'''
						<organizer classCode="CLUSTER" moodCode="EVN">
							<templateId root="2.16.840.1.113883.10.20.1.32"/>
							<templateId root="2.16.840.1.113883.10.20.1.35"/>
							<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.13.1"/>
							<templateId root="1.2.250.1.213.1.1.3.49"/>
							<id root="{uid('fludt', 'vitals')}"/>
							<code code="85353-1" displayName="Signes vitaux" codeSystem="2.16.840.1.113883.6.1" codeSystemName="LOINC"/>
							<statusCode code="completed"/>
							<effectiveTime value="20260315093000+0100"/>{VITALS}
						</organizer>''']),
        section(S_RESULTS, '30954-2', "Résultats d'examens", 'Conscience et douleurs', '<content ID="conscience">Consciente, éveillée</content> ; <content ID="douleur">douleur récente</content>.', [procedure('fludt-exam', 'douleur', 'completed', '20260315093000+0100'), simple_obs('fludt-conscience', 'conscience', 'DLU_002', 'Conscience', '1.2.250.1.213.1.1.4.322', 'TA_ASIP', BL_TRUE, '20260315093000+0100')], sid='fludt-results'),
        section(S_MEDS, '10160-0', 'Traitements', 'Traitements', '<content ID="amlo">Dernière prise : amlodipine ce matin 8 h.</content>', [medication('fludt-amlo', 'amlo', '20150601', None, *AMLODIPINE)]),
        section(S_FUNCTIONAL, '47420-5', 'Évaluation du statut fonctionnel', 'Dernier repas', '<content ID="repas">Petit déjeuner à 7 h 30.</content>', [simple_obs('fludt-repas', 'repas', 'GEN-244', 'Date et heure du dernier repas', '1.2.250.1.213.1.1.4.322', 'TA_ASIP', '<value xsi:type="TS" value="20260315073000+0100"/>', '20260315073000+0100')]),
        section(S_DEVICES, '46264-8', 'Dispositifs médicaux', 'Prothèses et objets personnels', '<content ID="lunettes">Lunettes.</content>', [glasses('fludt-lunettes', '20260315100000+0100')], sid='fludt-devices'),
        section(S_COMMENT, '55112-7', 'Commentaire', 'Commentaires', 'Famille prévenue.'),
    ])

fludr = doc(
    f'dui-conform fixture: a conformant FLUDR (fiche de liaison d\'urgence, retour des urgences vers l\'EHPAD, model 1.2.250.1.213.1.1.1.24, CI-SIS_DLU-EHPAD-FLUDR_2022.01), the kind of document the DUI receives, written for the test suite: the five mandatory sections and the optional comment, each with the entries the volet and the IHE PCC profile require, so that the official ANS kit accepts it too. {FIX}; fictitious hospital 1750712184 and physician RPPS 801234567897.',
    '1.2.250.1.213.1.1.1.24', 5, "Fiche de liaison d'urgence - retour en EHPAD", T, DOCTOR_AUTHOR.format(t=T), '',
    act('28651-8', 'Transfert du patient', T, '1750712184', 'Centre hospitalier de Reims', URG_SIC),
    encounter('20260315', 'SA01', 'Etablissement public de santé'),
    [
        section(S_EVENTS, '42545-4', 'Evènements observés', "Retour du patient à l'EHPAD", '<content ID="retour">Retour en ambulance à 16 h.</content>', [simple_obs('fludr-retour', 'retour', '15515-0', 'Motif du transport', '2.16.840.1.113883.6.1', 'LOINC', '<value xsi:type="CD"><originalText><reference value="#retour"/></originalText></value>', '20260315160000+0100')], sid='fludr-events'),
        section(S_DISCHARGE_DX, '11535-2', 'Diagnostic de sortie', 'Diagnostic de sortie', '<content ID="dx">Contusion de hanche, pas de fracture.</content>', [problem_concern('fludr-dx', '20260315', 'dx', 'S70.0', 'Contusion de la hanche')], sid='fludr-dx'),
        section(S_DISCHARGE_MEDS, '10183-2', 'Traitements à la sortie', 'Traitements à la sortie', '<content ID="para">Paracétamol 1 g si douleur, 3 fois par jour au plus.</content>', [medication('fludr-para', 'para', '20260315', '20260322', '60234100', 'DOLIPRANE 1000 mg, comprimé', 'N02BE01', 'paracétamol')]),
        section(S_DEVICES, '46264-8', 'Dispositifs médicaux', 'Prothèses et objets personnels', '<content ID="lunettes">Lunettes rendues.</content>', [glasses('fludr-lunettes', '20260315160000+0100')], sid='fludr-devices'),
        section(S_ADDED, '55107-7', 'Documents ajoutés', 'Documents ajoutés', '<content ID="cr">Ordonnance de sortie.</content>', [attached_document('fludr-cr', 'cr', 'DLU_020', 'Ordonnance de sortie')], sid='fludr-added'),
        section(S_COMMENT, '55112-7', 'Commentaire', 'Commentaires', 'Aucun.'),
    ])

for name, text in [('dlu.xml', dlu), ('fludt.xml', fludt), ('fludr.xml', fludr)]:
    with open(os.path.join(OUT, name), 'w', encoding='utf-8') as f:
        f.write(text)
print('ok')
