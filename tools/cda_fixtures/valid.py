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

def section(tpls, code, display, title, text):
    t = ''.join(f'\n\t\t\t\t\t<templateId root="{r}"/>' for r in tpls)
    return f'''			<component>
				<section>{t}
					<code code="{code}" displayName="{display}" codeSystem="2.16.840.1.113883.6.1"/>
					<title>{title}</title>
					<text>{text}</text>
				</section>
			</component>
'''

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

dlu = doc(
    f'dui-conform fixture: a minimal conformant DLU (Document de liaison d\'urgence, EHPAD, model 1.2.250.1.213.1.1.1.22, CI-SIS_DLU-EHPAD-DLU_2022.01), written for the test suite: the six mandatory sections and the five optional ones once each. {FIX}; fictitious EHPAD 1480787529, DUI system id 3480787529/1453.',
    '1.2.250.1.213.1.1.1.22', 3, "Document de liaison d'urgence", T, DUI_AUTHOR.format(t=T), INFORMANT,
    act('34117-2', 'Historique et clinique', T, '1480787529', 'EHPAD Les Tilleuls', ESSMS_SIC),
    encounter('20250901', 'SA17', 'Etablissement pour personnes âgées'),
    [
        section(['1.3.6.1.4.1.19376.1.5.3.1.1.13.2.10'], '11302-7', 'Etablissement de santé de préférence', 'Etablissement de santé de préférence', 'Centre hospitalier de Reims.'),
        section(['1.3.6.1.4.1.19376.1.5.3.1.3.6'], '11450-4', 'Liste des problèmes actifs', 'Pathologies en cours', 'Hypertension artérielle.'),
        section(['1.3.6.1.4.1.19376.1.5.3.1.3.8'], '11348-0', 'Antécédents médicaux', 'Antécédents médicaux', 'Fracture du col du fémur (2019).'),
        section(['1.3.6.1.4.1.19376.1.5.3.1.3.13'], '48765-2', 'Allergies et hypersensibilités', 'Allergies', 'Aucune allergie connue.'),
        section(['1.3.6.1.4.1.19376.1.5.3.1.3.19'], '10160-0', 'Historique de la prise médicamenteuse', 'Traitements', 'Amlodipine 5 mg, 1 le matin.'),
        section(['1.3.6.1.4.1.19376.1.5.3.1.3.34', '1.3.6.1.4.1.19376.1.5.3.1.3.35'], '42348-3', 'Directives anticipées', 'Directives anticipées', 'Pas de directives anticipées rédigées.'),
        section(['1.3.6.1.4.1.19376.1.5.3.1.1.21.2.9', '1.3.6.1.4.1.19376.1.7.3.1.1.13.7'], '42545-4', 'Evènements observés', 'Etat psychique, handicaps, déplacements, risques', 'Se déplace avec un déambulateur.'),
        section(['1.3.6.1.4.1.19376.1.5.3.1.3.27', '1.3.6.1.4.1.19376.1.5.3.1.3.28'], '30954-2', "Résultats d'examens", 'Bactérie multirésistante', 'Pas de portage BMR connu.'),
        section(['1.3.6.1.4.1.19376.1.5.3.1.3.23'], '11369-6', 'Historique des vaccinations', 'Vaccinations', 'Grippe saisonnière (octobre 2025).'),
        section(['1.3.6.1.4.1.19376.1.4.1.2.16'], '55112-7', 'Commentaire', 'Commentaires', 'Aucun.'),
        section(['1.2.250.1.213.1.1.2.37'], '55107-7', 'Documents ajoutés', 'Documents ajoutés', 'Aucun document annexé.'),
    ])

fludt = doc(
    f'dui-conform fixture: a minimal conformant FLUDT (fiche de liaison d\'urgence, transfert EHPAD vers urgences, model 1.2.250.1.213.1.1.1.23, CI-SIS_DLU-EHPAD-FLUDT_2022.01), written for the test suite: the six mandatory sections and the optional comment. {FIX}; fictitious EHPAD 1480787529, DUI system id 3480787529/1453.',
    '1.2.250.1.213.1.1.1.23', 4, "Fiche de liaison d'urgence - transfert vers les urgences", T, DUI_AUTHOR.format(t=T), '',
    act('28651-8', 'Transfert du patient', T, '1480787529', 'EHPAD Les Tilleuls', ESSMS_SIC),
    encounter('20250901', 'SA17', 'Etablissement pour personnes âgées'),
    [
        section(['1.3.6.1.4.1.19376.1.5.3.1.1.21.2.9', '1.3.6.1.4.1.19376.1.7.3.1.1.13.7'], '42545-4', 'Evènements observés', "Transfert du patient de l'EHPAD vers le SU", 'Chute dans la chambre à 9 h, douleur de hanche.'),
        section(['1.3.6.1.4.1.19376.1.5.3.1.3.25'], '8716-3', 'Signes vitaux', 'Constantes du patient', 'Pouls 88/min, température 36,9 °C.'),
        section(['1.3.6.1.4.1.19376.1.5.3.1.3.27', '1.3.6.1.4.1.19376.1.5.3.1.3.28'], '30954-2', "Résultats d'examens", 'Conscience et douleurs', 'Consciente, éveillée ; douleur récente.'),
        section(['1.3.6.1.4.1.19376.1.5.3.1.3.19'], '10160-0', 'Traitements', 'Traitements', 'Dernière prise : amlodipine ce matin 8 h.'),
        section(['1.3.6.1.4.1.19376.1.7.3.1.1.13.5'], '47420-5', 'Évaluation du statut fonctionnel', 'Dernier repas', 'Petit déjeuner à 7 h 30.'),
        section(['1.2.250.1.213.1.1.2.53'], '46264-8', 'Dispositifs médicaux', 'Prothèses et objets personnels', 'Lunettes.'),
        section(['1.3.6.1.4.1.19376.1.4.1.2.16'], '55112-7', 'Commentaire', 'Commentaires', 'Famille prévenue.'),
    ])

fludr = doc(
    f'dui-conform fixture: a minimal conformant FLUDR (fiche de liaison d\'urgence, retour des urgences vers l\'EHPAD, model 1.2.250.1.213.1.1.1.24, CI-SIS_DLU-EHPAD-FLUDR_2022.01), the kind of document the DUI receives, written for the test suite: the five mandatory sections and the optional comment. {FIX}; fictitious hospital 1750712184 and physician RPPS 801234567897.',
    '1.2.250.1.213.1.1.1.24', 5, "Fiche de liaison d'urgence - retour en EHPAD", T, DOCTOR_AUTHOR.format(t=T), '',
    act('28651-8', 'Transfert du patient', T, '1750712184', 'Centre hospitalier de Reims', URG_SIC),
    encounter('20260315', 'SA01', 'Etablissement public de santé'),
    [
        section(['1.3.6.1.4.1.19376.1.5.3.1.1.21.2.9', '1.3.6.1.4.1.19376.1.7.3.1.1.13.7'], '42545-4', 'Evènements observés', "Retour du patient à l'EHPAD", 'Retour en ambulance à 16 h.'),
        section(['1.3.6.1.4.1.19376.1.5.3.1.3.7'], '11535-2', 'Diagnostic de sortie', 'Diagnostic de sortie', 'Contusion de hanche, pas de fracture.'),
        section(['1.3.6.1.4.1.19376.1.5.3.1.3.22'], '10183-2', 'Traitements à la sortie', 'Traitements à la sortie', 'Paracétamol 1 g si douleur, 3 fois par jour au plus.'),
        section(['1.2.250.1.213.1.1.2.53'], '46264-8', 'Dispositifs médicaux', 'Prothèses et objets personnels', 'Lunettes rendues.'),
        section(['1.2.250.1.213.1.1.2.37'], '55107-7', 'Documents ajoutés', 'Documents ajoutés', 'Compte rendu de passage aux urgences.'),
        section(['1.3.6.1.4.1.19376.1.4.1.2.16'], '55112-7', 'Commentaire', 'Commentaires', 'Aucun.'),
    ])

for name, text in [('dlu.xml', dlu), ('fludt.xml', fludt), ('fludr.xml', fludr)]:
    with open(os.path.join(OUT, name), 'w', encoding='utf-8') as f:
        f.write(text)
print('ok')
