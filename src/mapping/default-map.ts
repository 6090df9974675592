/**
 * The default map: the seed's 12-row object table, field by field (src/mapping/README.md gives the reasons). The
 * proposer starts from it; it is parsed like any other map.
 */
import { TXCASE_STATUSES, type DentrixTable } from '../dentrix/types';
import type { DerivedSourceName } from './derived-names';
import { FIELD_MAP_FORMAT, type CustomFieldDef, type FieldMap, type FieldRule, type PipelineDef, type RuleSource } from './field-map';
import { parseFieldMap } from './map-validation';
import { PATIENT_ID_FIELD, SOURCE_KEY_FIELD } from './source-keys';
import { RECORD_KINDS, type RecordKind, type TargetEntity } from './types';

type RuleInput = Omit<FieldRule, 'transform' | 'essential'> & {
  transform: { name: FieldRule['transform']['name']; params?: Record<string, unknown> };
  essential?: boolean;
};

const col = (table: DentrixTable, ...columns: string[]): RuleSource => ({ kind: 'columns', table, columns });
const derivedSource = (name: DerivedSourceName): RuleSource => ({ kind: 'derived', name });
const constant: RuleSource = { kind: 'constant' };
const std = (entity: TargetEntity, name: string): FieldRule['target'] => ({ entity, field: { kind: 'standard', name } });
const custom = (entity: TargetEntity, name: string): FieldRule['target'] => ({ entity, field: { kind: 'custom', name } });
const notMigrated = (entity: TargetEntity): FieldRule['target'] => ({ entity, field: { kind: 'not_migrated' } });
const t = (name: FieldRule['transform']['name'], params: Record<string, unknown> = {}) => ({ name, params });

const PIPELINE = 'Treatment Plans';
const PROVIDER_OWNER = { objectType: 'user', prefix: 'provider', fallback: 'fallback_owner' } as const;
const PATIENT_PHONE_COLUMNS = ['mobile_phone', 'home_phone', 'work_phone'];
const PATIENT_PHONE_LABELS = ['mobile', 'home', 'work'];
const ADDRESS_COLUMNS = ['address_line1', 'address_line2', 'city', 'state', 'zipcode'];
const ORG_TYPES = { household: 'Household', employer: 'Employer', referral: 'Referral Source', carrier: 'Insurance Carrier' } as const;

function sourceKeyRule(kind: RecordKind): RuleInput {
  return {
    id: `${kind}.source_key`,
    kind,
    source: derivedSource('source_key'),
    target: custom(RECORD_KINDS[kind].entity, SOURCE_KEY_FIELD),
    transform: t('source_key'),
    phi: 'none',
    rationale: 'exactly-once key: searchable, so a create whose response was lost is found before creating again',
  };
}

function orgTypeRule(kind: keyof typeof ORG_TYPES): RuleInput {
  return {
    id: `${kind}.org_type`,
    kind,
    source: constant,
    target: custom('organization', 'Type'),
    transform: t('constant', { value: ORG_TYPES[kind] }),
    phi: 'none',
    rationale: 'Organization Type tells households, employers, referral sources and carriers apart in lists and reports',
  };
}

function defaultRules(): RuleInput[] {
  return [
    // Family / guarantor → household Organization (one per guarantor)
    { id: 'household.name', kind: 'household', source: col('patient', 'first_name', 'last_name'), target: std('organization', 'name'), transform: t('household_name', { suffix: 'Household' }), phi: 'none', rationale: 'one organization per guarantor, named after the guarantor so staff recognise the family' },
    { id: 'household.owner', kind: 'household', source: col('patient', 'pri_provider_id'), target: std('organization', 'owner_id'), transform: t('ref', PROVIDER_OWNER), phi: 'none', rationale: "the guarantor's primary provider owns the household" },
    { id: 'household.address', kind: 'household', source: col('patient', ...ADDRESS_COLUMNS), target: std('organization', 'address'), transform: t('address'), phi: 'none', rationale: "the family's mailing address is the guarantor's" },
    orgTypeRule('household'),
    sourceKeyRule('household'),
    { id: 'household.fam_pos', kind: 'household', source: col('patient', 'fam_pos'), target: notMigrated('organization'), transform: t('not_migrated'), phi: 'none', rationale: 'family position has no meaning once members are persons of one household organization' },

    // Employer → Organization
    { id: 'employer.name', kind: 'employer', source: col('employer', 'employer_name'), target: std('organization', 'name'), transform: t('org_name'), phi: 'none', rationale: 'employer name merges into an organization linked to its patients' },
    { id: 'employer.address', kind: 'employer', source: col('employer', ...ADDRESS_COLUMNS), target: std('organization', 'address'), transform: t('address'), phi: 'none', rationale: 'standard organization address' },
    { id: 'employer.phone', kind: 'employer', source: col('employer', 'phone'), target: custom('organization', 'Phone'), transform: t('phone'), phi: 'none', rationale: 'organizations have no standard phone in v2: E.164 in a custom field' },
    orgTypeRule('employer'),
    sourceKeyRule('employer'),

    // Referral source → Organization
    { id: 'referral.name', kind: 'referral', source: col('referral', 'name'), target: std('organization', 'name'), transform: t('org_name'), phi: 'none', rationale: 'referral source becomes an organization so staff see every patient it referred' },
    { id: 'referral.referral_type', kind: 'referral', source: col('referral', 'referral_type'), target: custom('organization', 'Referral Type'), transform: t('value_map', { map: { patient: 'Patient', doctor: 'Doctor', marketing: 'Marketing', other: 'Other' } }), phi: 'none', rationale: 'keeps the Dentrix referral category for reporting' },
    { id: 'referral.phone', kind: 'referral', source: col('referral', 'phone'), target: custom('organization', 'Phone'), transform: t('phone'), phi: 'none', rationale: 'contact number of the referral source' },
    { id: 'referral.email', kind: 'referral', source: col('referral', 'email'), target: custom('organization', 'Email'), transform: t('email'), phi: 'none', rationale: 'contact email of the referral source' },
    orgTypeRule('referral'),
    sourceKeyRule('referral'),

    // Insurance carrier → Organization
    { id: 'carrier.name', kind: 'carrier', source: col('inscarrier', 'ins_co_name', 'group_number'), target: std('organization', 'name'), transform: t('carrier_name'), phi: 'none', rationale: 'Dentrix carriers are per plan group: the group number tells same-named carriers apart' },
    { id: 'carrier.address', kind: 'carrier', source: col('inscarrier', ...ADDRESS_COLUMNS), target: std('organization', 'address'), transform: t('address'), phi: 'none', rationale: 'standard organization address' },
    { id: 'carrier.phone', kind: 'carrier', source: col('inscarrier', 'phone'), target: custom('organization', 'Phone'), transform: t('phone'), phi: 'none', rationale: 'claims phone number' },
    { id: 'carrier.group_number', kind: 'carrier', source: col('inscarrier', 'group_number'), target: custom('organization', 'Group Number'), transform: t('text'), phi: 'none', rationale: 'seed: carrier group number in a custom text field' },
    { id: 'carrier.group_name', kind: 'carrier', source: col('inscarrier', 'group_name'), target: custom('organization', 'Group Name'), transform: t('text'), phi: 'none', rationale: 'the employer group the plan belongs to' },
    { id: 'carrier.payer_id', kind: 'carrier', source: col('inscarrier', 'payor_id'), target: custom('organization', 'Payer ID'), transform: t('text'), phi: 'none', rationale: 'seed: carrier payer ID in a custom text field' },
    { id: 'carrier.annual_max', kind: 'carrier', source: col('inscarrier', 'annual_max'), target: custom('organization', 'Annual Maximum'), transform: t('monetary'), phi: 'none', rationale: "the plan's annual maximum, in the practice currency" },
    orgTypeRule('carrier'),
    sourceKeyRule('carrier'),

    // CDT procedure code → Product + CDT Code custom field
    { id: 'proccode.name', kind: 'proccode', source: col('proccode', 'ada_code', 'description', 'abbrev_description'), target: std('product', 'name'), transform: t('product_name'), phi: 'none', rationale: 'product name shows the code and what it is on every deal' },
    { id: 'proccode.code', kind: 'proccode', source: col('proccode', 'ada_code'), target: std('product', 'code'), transform: t('cdt_code'), phi: 'none', rationale: "Pipedrive's product code is the CDT code" },
    { id: 'proccode.description', kind: 'proccode', source: col('proccode', 'description'), target: std('product', 'description'), transform: t('text'), phi: 'none', rationale: 'full procedure description' },
    { id: 'proccode.prices', kind: 'proccode', source: col('proccode', 'default_fee'), target: std('product', 'prices'), transform: t('prices'), phi: 'none', rationale: 'default fee as the price in the practice currency' },
    { id: 'proccode.cdt_code', kind: 'proccode', source: col('proccode', 'ada_code'), target: custom('product', 'CDT Code'), transform: t('cdt_code'), phi: 'none', rationale: 'seed: the CDT code as a product custom field, searchable' },
    { id: 'proccode.category', kind: 'proccode', source: col('proccode', 'category'), target: custom('product', 'CDT Category'), transform: t('text'), phi: 'none', rationale: 'procedure category for product reports' },
    sourceKeyRule('proccode'),

    // Patient → Person
    { id: 'patient.name', kind: 'patient', source: col('patient', 'first_name', 'last_name'), target: std('person', 'name'), transform: t('person_name'), phi: 'none', rationale: 'seed: first and last name map directly; preferred name is kept separately' },
    { id: 'patient.emails', kind: 'patient', source: col('patient', 'email'), target: std('person', 'emails'), transform: t('emails', { label: 'home' }), phi: 'none', rationale: 'standard email field, trimmed and lower-cased; invalid addresses dropped and counted' },
    { id: 'patient.phones', kind: 'patient', source: col('patient', ...PATIENT_PHONE_COLUMNS), target: std('person', 'phones'), transform: t('phones', { labels: PATIENT_PHONE_LABELS }), phi: 'none', rationale: 'standard phone field in E.164 with labels and extensions; invalid numbers dropped and counted' },
    { id: 'patient.owner', kind: 'patient', source: col('patient', 'pri_provider_id'), target: std('person', 'owner_id'), transform: t('ref', PROVIDER_OWNER), phi: 'none', rationale: "seed: the patient's primary provider's user owns the person" },
    { id: 'patient.add_time', kind: 'patient', source: col('patient', 'first_visit_date'), target: std('person', 'add_time'), transform: t('local_date_to_utc'), phi: 'none', rationale: 'v2 persons can be backdated: the first visit is when the patient joined' },
    { id: 'patient.household', kind: 'patient', source: col('patient', 'guar_id'), target: std('person', 'org_id'), transform: t('ref', { objectType: 'organization', prefix: 'household' }), phi: 'none', rationale: "seed: guarantor and dependents are persons of the household organization (the person's one org_id)" },
    { id: 'patient.patient_id', kind: 'patient', source: col('patient', 'patient_id'), target: custom('person', PATIENT_ID_FIELD), transform: t('text'), phi: 'none', rationale: 'the Dentrix patient id, searchable: staff look patients up by it and the engine recovers lost creates' },
    sourceKeyRule('patient'),
    { id: 'patient.chart_num', kind: 'patient', source: col('patient', 'chart_num'), target: custom('person', 'Chart Number'), transform: t('text'), phi: 'none', rationale: 'the chart number staff know patients by, searchable' },
    { id: 'patient.birth_date', kind: 'patient', source: col('patient', 'birth_date'), target: custom('person', 'Birth Date'), transform: t('date'), phi: 'phi', deidentify: 'year_only', rationale: 'date of birth is a HIPAA identifier: moves only if approved, by default as the year' },
    { id: 'patient.status', kind: 'patient', source: col('patient', 'status'), target: custom('person', 'Patient Status'), transform: t('value_map', { map: { '1': 'Active', '2': 'Non-Patient', '3': 'Inactive', '4': 'Archived' } }), phi: 'none', rationale: 'Dentrix status codes as labels (non-patient guarantors stay distinguishable)' },
    { id: 'patient.preferred_name', kind: 'patient', source: col('patient', 'preferred_name'), target: custom('person', 'Preferred Name'), transform: t('name'), phi: 'none', rationale: 'kept apart from the legal name used for matching' },
    { id: 'patient.gender', kind: 'patient', source: col('patient', 'gender'), target: custom('person', 'Gender'), transform: t('value_map', { map: { '1': 'Male', '2': 'Female' }, onUnmapped: 'null' }), phi: 'none', rationale: 'Dentrix gender codes as labels; unknown stays empty' },
    { id: 'patient.email_missing', kind: 'patient', source: col('patient', 'email'), target: custom('person', 'Email Missing'), transform: t('missing_email_flag', { label: 'Yes' }), phi: 'none', rationale: 'seed: patients without a (valid) email are flagged so staff complete contact details' },
    { id: 'patient.contact_restrictions', kind: 'patient', source: col('patient', 'privacy_flags'), target: custom('person', 'Contact Restrictions'), transform: t('bit_flags', { flags: { '1': 'No voice calls', '2': 'No SMS/email', '4': 'No mail' } }), phi: 'none', rationale: "the patient's communication opt-outs must follow them, or staff will contact patients who refused" },
    { id: 'patient.phones_review', kind: 'patient', source: col('patient', ...PATIENT_PHONE_COLUMNS), target: custom('person', 'Phones Needing Review'), transform: t('invalid_phones', { labels: PATIENT_PHONE_LABELS }), phi: 'none', rationale: 'numbers that did not validate are kept as typed for staff to fix, not lost' },
    { id: 'patient.address', kind: 'patient', source: col('patient', ...ADDRESS_COLUMNS), target: custom('person', 'Address'), transform: t('address'), phi: 'none', rationale: 'v2 postal_address exists only with contact sync: an address custom field instead' },
    { id: 'patient.last_visit_date', kind: 'patient', source: col('patient', 'last_visit_date'), target: custom('person', 'Last Visit Date'), transform: t('date'), phi: 'none', rationale: 'recall and reactivation work starts from the last visit' },
    { id: 'patient.recall_types', kind: 'patient', source: derivedSource('recall_type_names'), target: custom('person', 'Recall Type'), transform: t('labels'), phi: 'none', rationale: "seed Recall_Type__c: the patient's recall categories as a multi-select" },
    { id: 'patient.subscriber_id', kind: 'patient', source: col('insured', 'subscriber_id_num'), target: custom('person', 'Insurance Subscriber ID'), transform: t('text'), phi: 'phi', deidentify: 'mask', rationale: 'member id of the primary insurance: PHI, by default only the last four characters' },
    { id: 'patient.primary_carrier', kind: 'patient', source: col('insured', 'ins_plan_id'), target: custom('person', 'Primary Insurance Carrier'), transform: t('ref', { objectType: 'organization', prefix: 'carrier' }), phi: 'none', rationale: "links the patient to the carrier organization, so a carrier's patients are listed on it" },
    { id: 'patient.allergies', kind: 'patient', source: derivedSource('medical_alerts'), target: custom('person', 'Allergy Alert'), transform: t('alert_list', { types: ['allergy'] }), phi: 'phi', deidentify: 'drop', rationale: 'seed Allergy_Alert__c: clinical PHI, moves only if the practice approves it' },
    { id: 'patient.conditions', kind: 'patient', source: derivedSource('medical_alerts'), target: custom('person', 'Medical Condition'), transform: t('alert_list', { types: ['condition'] }), phi: 'phi', deidentify: 'drop', rationale: 'seed Medical_Condition__c: clinical PHI, moves only if approved' },
    { id: 'patient.medications', kind: 'patient', source: derivedSource('medical_alerts'), target: custom('person', 'Medication List'), transform: t('alert_list', { types: ['medication', 'premedication'] }), phi: 'phi', deidentify: 'drop', rationale: 'seed Medication_List__c (premedication included, marked): clinical PHI, moves only if approved' },
    { id: 'patient.clinical_narrative', kind: 'patient', source: derivedSource('clinical_notes'), target: custom('person', 'Clinical Narrative'), transform: t('clinical_narrative'), phi: 'phi', deidentify: 'drop', rationale: 'seed: long-form clinical narrative preserved for reference only; clinical PHI' },
    { id: 'patient.image_archive_link', kind: 'patient', source: derivedSource('imaging_document_count'), target: custom('person', 'Image Archive Link'), transform: t('image_archive_link'), phi: 'none', rationale: 'seed Image_Archive_Link__c: imaging stays in the external archive; the person links to it' },
    { id: 'patient.balance_forward', kind: 'patient', source: derivedSource('balance_forward_entries'), target: custom('person', 'Balance Forward'), transform: t('ledger_sum', { entryTypes: ['charge', 'patient_payment', 'insurance_payment', 'adjustment', 'write_off', 'insurance_estimate'] }), phi: 'none', rationale: 'balance-forward entries belong to no plan: their sum stays on the guarantor for reference' },
    { id: 'patient.employer', kind: 'patient', source: col('patient', 'employer_id'), target: custom('person', 'Employer'), transform: t('ref', { objectType: 'organization', prefix: 'employer' }), phi: 'none', rationale: 'org-type field: org_id is the household, and an org field shows the patient on the employer too' },
    { id: 'patient.referral', kind: 'patient', source: col('patient', 'referred_by_id'), target: custom('person', 'Referral Source'), transform: t('ref', { objectType: 'organization', prefix: 'referral' }), phi: 'none', rationale: 'org-type field linking the patient to the referral source organization' },
    { id: 'patient.ssn', kind: 'patient', source: col('patient', 'ssn'), target: notMigrated('person'), transform: t('not_migrated'), phi: 'never', rationale: 'a CRM has no use for a social security number: it never leaves Dentrix' },
    { id: 'patient.mi', kind: 'patient', source: col('patient', 'mi'), target: notMigrated('person'), transform: t('not_migrated'), phi: 'none', rationale: "kept out of the name so Pipedrive's duplicate check matches First Last" },
    { id: 'patient.salutation', kind: 'patient', source: col('patient', 'salutation'), target: notMigrated('person'), transform: t('not_migrated'), phi: 'none', rationale: 'letter salutations are not used by Pipedrive' },
    { id: 'patient.patient_guid', kind: 'patient', source: col('patient', 'patient_guid'), target: notMigrated('person'), transform: t('not_migrated'), phi: 'none', rationale: 'the numeric patient id is the key; the GUID adds nothing' },
    { id: 'patient.secondary', kind: 'patient', source: col('patient', 'sec_provider_id', 'sec_insured_id'), target: notMigrated('person'), transform: t('not_migrated'), phi: 'none', rationale: 'one owner and the primary insurance only, as the seed maps them' },

    // New-patient booking without a patient record → minimal Person (option newPatientBooking)
    { id: 'newpatient.name', kind: 'newpatient', source: col('appt', 'patient_name'), target: std('person', 'name'), transform: t('booking_name'), phi: 'none', rationale: 'the name on the booking (Last, First turned around)' },
    { id: 'newpatient.phones', kind: 'newpatient', source: col('appt', 'patient_phone'), target: std('person', 'phones'), transform: t('phones', { labels: ['other'] }), phi: 'none', rationale: 'the phone on the booking, label unknown' },
    { id: 'newpatient.owner', kind: 'newpatient', source: col('appt', 'provider_id'), target: std('person', 'owner_id'), transform: t('ref', PROVIDER_OWNER), phi: 'none', rationale: "the booked provider's user owns the new patient" },
    { id: 'newpatient.email_missing', kind: 'newpatient', source: constant, target: custom('person', 'Email Missing'), transform: t('constant', { value: 'Yes' }), phi: 'none', rationale: 'bookings carry no email: flagged for staff' },
    { id: 'newpatient.phones_review', kind: 'newpatient', source: col('appt', 'patient_phone'), target: custom('person', 'Phones Needing Review'), transform: t('invalid_phones', { labels: ['other'] }), phi: 'none', rationale: 'a booking phone that did not validate is kept as typed' },
    sourceKeyRule('newpatient'),

    // Treatment plan → Deal in the Treatment Plans pipeline
    { id: 'txcase.title', kind: 'txcase', source: col('txcase', 'txcase_id', 'description'), target: std('deal', 'title'), transform: t('plan_title', { prefix: 'Treatment plan' }), phi: 'none', rationale: 'plan number and description; never the patient name' },
    { id: 'txcase.value', kind: 'txcase', source: derivedSource('plan_fee_total'), target: std('deal', 'value'), transform: t('money'), phi: 'none', rationale: 'seed: the plan total (sum of procedure fees) is the deal value' },
    { id: 'txcase.currency', kind: 'txcase', source: constant, target: std('deal', 'currency'), transform: t('currency'), phi: 'none', rationale: 'the practice currency from the manifest' },
    { id: 'txcase.person', kind: 'txcase', source: col('txcase', 'patient_id'), target: std('deal', 'person_id'), transform: t('ref', { objectType: 'person', prefix: 'patient', required: true }), phi: 'none', rationale: 'the plan belongs to its patient; a plan whose patient did not migrate is rejected' },
    { id: 'txcase.household', kind: 'txcase', source: col('patient', 'guar_id'), target: std('deal', 'org_id'), transform: t('ref', { objectType: 'organization', prefix: 'household' }), phi: 'none', rationale: "the household pays: the deal also shows on the family's organization" },
    { id: 'txcase.owner', kind: 'txcase', source: col('txcase', 'provider_id'), target: std('deal', 'owner_id'), transform: t('ref', PROVIDER_OWNER), phi: 'none', rationale: "the plan provider's user owns the deal" },
    { id: 'txcase.pipeline', kind: 'txcase', source: constant, target: std('deal', 'pipeline_id'), transform: t('pipeline', { pipeline: PIPELINE }), phi: 'none', rationale: 'plans live in their own pipeline' },
    { id: 'txcase.stage', kind: 'txcase', source: col('txcase', 'status'), target: std('deal', 'stage_id'), transform: t('plan_stage', { pipeline: PIPELINE }), phi: 'none', rationale: 'seed: plan status → stage by value map' },
    { id: 'txcase.status', kind: 'txcase', source: col('txcase', 'status'), target: std('deal', 'status'), transform: t('plan_status', { pipeline: PIPELINE }), phi: 'none', rationale: 'Completed is won, Rejected is lost, the rest open' },
    { id: 'txcase.lost_reason', kind: 'txcase', source: col('txcase', 'status'), target: std('deal', 'lost_reason'), transform: t('plan_lost_reason', { pipeline: PIPELINE }), phi: 'none', rationale: 'says why a lost deal is lost' },
    { id: 'txcase.plan_status', kind: 'txcase', source: col('txcase', 'status'), target: custom('deal', 'Treatment Plan Status'), transform: t('value_map', { map: Object.fromEntries(TXCASE_STATUSES.map((s) => [s, s])) }), phi: 'none', rationale: 'the Dentrix status itself, including On Hold and Rejected, for filters' },
    { id: 'txcase.cdt_codes', kind: 'txcase', source: derivedSource('plan_cdt_codes'), target: custom('deal', 'CDT Codes'), transform: t('join', { separator: ', ' }), phi: 'none', rationale: "seed CDT_Code__c: the plan's CDT codes, comma-separated" },
    { id: 'txcase.created_date', kind: 'txcase', source: col('txcase', 'created_date'), target: custom('deal', 'Plan Created Date'), transform: t('date'), phi: 'none', rationale: 'v2 cannot backdate deals: the original date is kept in a field' },
    { id: 'txcase.accepted_date', kind: 'txcase', source: col('txcase', 'accepted_date'), target: custom('deal', 'Plan Accepted Date'), transform: t('date'), phi: 'none', rationale: 'original acceptance date' },
    { id: 'txcase.completed_date', kind: 'txcase', source: col('txcase', 'completed_date'), target: custom('deal', 'Plan Completed Date'), transform: t('date'), phi: 'none', rationale: 'original completion date' },
    { id: 'txcase.insurance_estimate', kind: 'txcase', source: derivedSource('plan_insurance_estimate'), target: custom('deal', 'Insurance Estimate'), transform: t('monetary'), phi: 'none', rationale: "seed Insurance_Estimate__c: the procedures' estimates (else the plan's estimate ledger rows)" },
    { id: 'txcase.patient_balance', kind: 'txcase', source: derivedSource('plan_ledger_entries'), target: custom('deal', 'Patient Balance'), transform: t('ledger_sum', { entryTypes: ['charge', 'patient_payment', 'insurance_payment', 'adjustment', 'write_off'] }), phi: 'none', rationale: 'seed Patient_Balance__c: what is still owed on the plan (charges less payments, adjustments, write-offs)' },
    { id: 'txcase.adjustment', kind: 'txcase', source: derivedSource('plan_ledger_entries'), target: custom('deal', 'Adjustment'), transform: t('ledger_sum', { entryTypes: ['adjustment', 'write_off'] }), phi: 'none', rationale: 'seed Adjustment__c: adjustments and write-offs on the plan (credits negative)' },
    sourceKeyRule('txcase'),
    { id: 'txcase.claims_in_flight', kind: 'txcase', source: col('ledger', 'claim_status'), target: notMigrated('deal'), transform: t('not_migrated'), phi: 'none', rationale: 'in-flight claims are an audit and cutover concern: they must clear in Dentrix, not move' },

    // Plan procedures → Deal products
    { id: 'procedure.deal', kind: 'procedure', source: col('procedure', 'txcase_id'), target: std('deal_product', 'deal_id'), transform: t('ref', { objectType: 'deal', prefix: 'txcase', required: true }), phi: 'none', rationale: "a procedure is a line item of its plan's deal" },
    { id: 'procedure.product', kind: 'procedure', source: col('procedure', 'proccode_id'), target: std('deal_product', 'product_id'), transform: t('ref', { objectType: 'product', prefix: 'proccode', required: true }), phi: 'none', rationale: 'the CDT code product' },
    { id: 'procedure.item_price', kind: 'procedure', source: derivedSource('procedure_fee'), target: std('deal_product', 'item_price'), transform: t('procedure_price'), phi: 'none', rationale: "the procedure's fee (the code's default fee when the procedure has none)" },
    { id: 'procedure.quantity', kind: 'procedure', source: constant, target: std('deal_product', 'quantity'), transform: t('constant', { value: 1 }), phi: 'none', rationale: 'one procedure, one unit' },
    { id: 'procedure.tooth_surfaces', kind: 'procedure', source: col('procedure', 'tooth', 'surfaces'), target: std('deal_product', 'comments'), transform: t('tooth_surfaces'), phi: 'none', rationale: 'tooth and surfaces have no product field: they go in the line comments' },
    { id: 'procedure.outside_plans', kind: 'procedure', source: col('procedure', 'txcase_id', 'proc_date', 'status'), target: notMigrated('deal_product'), transform: t('not_migrated'), phi: 'none', rationale: 'procedures outside a treatment plan are clinical history, not sales: they stay in Dentrix' },

    // Appointment → Activity (Meeting)
    { id: 'appt.subject', kind: 'appt', source: col('appt', 'appt_type'), target: std('activity', 'subject'), transform: t('subject', { fallback: 'Dentrix appointment' }), phi: 'none', rationale: 'subject from the appointment type only: no patient name, no clinical reason' },
    { id: 'appt.type', kind: 'appt', source: constant, target: std('activity', 'type'), transform: t('activity_type', { type: 'Meeting' }), phi: 'none', rationale: 'seed: scheduled chair time is a Meeting' },
    { id: 'appt.due_date', kind: 'appt', source: derivedSource('appointment_start'), target: std('activity', 'due_date'), transform: t('local_datetime_to_utc', { format: 'due_date', required: true, column: 'appointment_date' }), phi: 'none', rationale: 'start converted from the practice zone to UTC (DST gap shifted forward, overlap earlier offset)' },
    { id: 'appt.due_time', kind: 'appt', source: derivedSource('appointment_start'), target: std('activity', 'due_time'), transform: t('local_datetime_to_utc', { format: 'due_time', required: true, column: 'start_hour', reportDst: false }), phi: 'none', rationale: 'UTC start time HH:MM' },
    { id: 'appt.duration', kind: 'appt', source: col('appt', 'length_minutes'), target: std('activity', 'duration'), transform: t('duration'), phi: 'none', rationale: 'length in HH:MM' },
    { id: 'appt.done', kind: 'appt', source: derivedSource('appointment_status'), target: std('activity', 'done'), transform: t('appointment_done'), phi: 'none', rationale: 'completed appointments are done; broken and cancelled follow the brokenCancelledAppointments option' },
    { id: 'appt.busy', kind: 'appt', source: derivedSource('appointment_status'), target: std('activity', 'busy'), transform: t('appointment_busy'), phi: 'none', rationale: "a broken or cancelled slot does not block the provider's calendar" },
    { id: 'appt.person', kind: 'appt', source: col('appt', 'patient_id', 'appointment_id'), target: std('activity', 'person_id'), transform: t('appointment_person'), phi: 'none', rationale: 'linked to the patient (or the new-patient person) as primary participant' },
    { id: 'appt.deal', kind: 'appt', source: derivedSource('appointment_treatment_plan'), target: std('activity', 'deal_id'), transform: t('ref', { objectType: 'deal', prefix: 'txcase' }), phi: 'none', rationale: 'linked to the patient\'s treatment plan with a procedure on the appointment date (most procedures that day, then lowest txcase_id); none when no plan matches or the plan did not migrate' },
    { id: 'appt.owner', kind: 'appt', source: col('appt', 'provider_id'), target: std('activity', 'owner_id'), transform: t('ref', PROVIDER_OWNER), phi: 'none', rationale: "the provider's user owns the activity" },
    { id: 'appt.status_line', kind: 'appt', source: derivedSource('appointment_status'), target: std('activity', 'note'), transform: t('appointment_status_line', { label: 'Dentrix status' }), phi: 'none', rationale: 'the Dentrix status (Broken, Cancelled, Complete...) stays visible on the activity' },
    { id: 'appt.reason_note', kind: 'appt', source: col('appt', 'reason', 'note'), target: std('activity', 'note'), transform: t('labelled_lines', { labels: ['Reason', 'Note'] }), phi: 'phi', deidentify: 'drop', rationale: 'reason and appointment note are clinical free text: only if approved' },
    { id: 'appt.other', kind: 'appt', source: col('appt', 'addtnl_provider_id', 'operatory_id', 'amount', 'created_date'), target: notMigrated('activity'), transform: t('not_migrated'), phi: 'none', rationale: 'operatory, second provider and scheduled amount have no activity field and activity custom fields cannot be created by API' },

    // Recall → Activity (Task) + Recall Type on the person
    { id: 'recall.subject', kind: 'recall', source: col('recalltype', 'name'), target: std('activity', 'subject'), transform: t('subject', { prefix: 'Recall', fallback: 'Recall' }), phi: 'none', rationale: 'Recall: Prophy; the category, never the patient' },
    { id: 'recall.type', kind: 'recall', source: constant, target: std('activity', 'type'), transform: t('activity_type', { type: 'Task' }), phi: 'none', rationale: 'seed: recall follow-ups are Tasks' },
    { id: 'recall.due_date', kind: 'recall', source: derivedSource('recall_due'), target: std('activity', 'due_date'), transform: t('recall_due_date'), phi: 'none', rationale: 'due_date, else prior_date + interval (months, then days), month ends clamped; a date, so no zone shift' },
    { id: 'recall.done', kind: 'recall', source: constant, target: std('activity', 'done'), transform: t('constant', { value: false }), phi: 'none', rationale: 'pending recalls are open tasks' },
    { id: 'recall.person', kind: 'recall', source: col('recall', 'patient_id'), target: std('activity', 'person_id'), transform: t('ref', { objectType: 'person', prefix: 'patient', required: true }), phi: 'none', rationale: 'the recall belongs to its patient' },
    { id: 'recall.deal', kind: 'recall', source: derivedSource('booked_appointment_treatment_plan'), target: std('activity', 'deal_id'), transform: t('ref', { objectType: 'deal', prefix: 'txcase' }), phi: 'none', rationale: 'linked to the treatment plan of its booked visit, by the appointment rule; none when not booked or the visit has no plan' },
    { id: 'recall.owner', kind: 'recall', source: col('recall', 'provider_id'), target: std('activity', 'owner_id'), transform: t('ref', PROVIDER_OWNER), phi: 'none', rationale: "the recall provider's user owns the task" },
    { id: 'recall.booked', kind: 'recall', source: col('recall', 'appointment_id'), target: std('activity', 'note'), transform: t('labelled_lines', { labels: ['Booked Dentrix appointment'] }), phi: 'none', rationale: 'says when the recall visit is already booked' },

    // Clinical note → Note on the person
    { id: 'clinical_note.content', kind: 'clinical_note', source: col('clinical_note', 'note_type', 'note_text'), target: std('note', 'content'), transform: t('clinical_note_text', { heading: 'Dentrix clinical note' }), phi: 'phi', deidentify: 'drop', essential: true, rationale: 'clinical narrative is PHI: notes move only if approved, HTML-escaped with line breaks kept' },
    { id: 'clinical_note.person', kind: 'clinical_note', source: col('clinical_note', 'patient_id'), target: std('note', 'person_id'), transform: t('ref', { objectType: 'person', prefix: 'patient', required: true }), phi: 'none', rationale: 'the note is on its patient' },
    { id: 'clinical_note.add_time', kind: 'clinical_note', source: col('clinical_note', 'note_date'), target: std('note', 'add_time'), transform: t('local_datetime_to_utc', { format: 'v1_timestamp' }), phi: 'none', rationale: 'notes can be backdated: the original time in UTC' },
    { id: 'clinical_note.author', kind: 'clinical_note', source: col('clinical_note', 'provider_id'), target: std('note', 'user_id'), transform: t('ref', PROVIDER_OWNER), phi: 'none', rationale: "the writing provider's user is the author (admin token)" },

    // Documents → Files on the person; imaging stays in the archive
    { id: 'document.file', kind: 'document', source: col('document', 'file_path'), target: std('file', 'file_path'), transform: t('file_path'), phi: 'phi', deidentify: 'drop', essential: true, rationale: 'consent forms, referral letters and insurance cards are PHI documents: they move only if approved' },
    { id: 'document.name', kind: 'document', source: col('document', 'file_path'), target: std('file', 'name'), transform: t('document_file_name'), phi: 'none', rationale: 'the file name carries the source key as a prefix (exactly-once)' },
    { id: 'document.person', kind: 'document', source: col('document', 'patient_id'), target: std('file', 'person_id'), transform: t('ref', { objectType: 'person', prefix: 'patient', required: true }), phi: 'none', rationale: 'the file is on its patient' },
    { id: 'document.imaging', kind: 'document', source: col('document', 'doc_type', 'file_path'), target: notMigrated('file'), transform: t('not_migrated'), phi: 'none', rationale: 'seed: X-rays, photos, CBCT and panos do not move; they go to the image manifest and the Image Archive Link' },
    { id: 'document.metadata', kind: 'document', source: col('document', 'description', 'created_date', 'size_bytes', 'sha256'), target: notMigrated('file'), transform: t('not_migrated'), phi: 'none', rationale: 'Pipedrive files take no description or date; size and hash are checked against the file before upload (a mismatch rejects the document with its reason)' },
  ];
}

const STATUS_MAP: PipelineDef['statusMap'] = {
  Proposed: { stage: 'Proposed', status: 'open' },
  Accepted: { stage: 'Accepted', status: 'open' },
  'In Progress': { stage: 'In Progress', status: 'open' },
  Completed: { stage: 'Completed', status: 'won' },
  Rejected: { stage: 'Proposed', status: 'lost', lostReason: 'Rejected in Dentrix' },
  'On Hold': { stage: 'On Hold', status: 'open' },
};

const varchar = (name: string, searchable = false): CustomFieldDef => ({ name, field_type: 'varchar', searchable });
const typed = (name: string, field_type: CustomFieldDef['field_type'], options?: string[]): CustomFieldDef => ({
  name,
  field_type,
  searchable: false,
  ...(options ? { options } : {}),
});

/** The default map: every row of the seed's object table, field by field. Version 1; edits bump the version. */
export function defaultFieldMap(): FieldMap {
  return parseFieldMap({
    format: FIELD_MAP_FORMAT,
    version: 1,
    objects: {
      customFields: {
        person: [
          varchar(PATIENT_ID_FIELD, true),
          varchar(SOURCE_KEY_FIELD, true),
          varchar('Chart Number', true),
          typed('Birth Date', 'date'),
          typed('Patient Status', 'enum', ['Active', 'Non-Patient', 'Inactive', 'Archived']),
          varchar('Preferred Name'),
          typed('Gender', 'enum', ['Male', 'Female']),
          typed('Email Missing', 'enum', ['Yes']),
          typed('Contact Restrictions', 'set', ['No voice calls', 'No SMS/email', 'No mail']),
          varchar('Phones Needing Review'),
          typed('Address', 'address'),
          typed('Last Visit Date', 'date'),
          {
            ...typed('Recall Type', 'set', ['Prophy', 'Perio Maintenance', 'Perio', 'Exam', 'Bitewings', 'FMX', 'Pano', 'Fluoride']),
            optionsFrom: { table: 'recalltype', column: 'name' },
          },
          varchar('Insurance Subscriber ID'),
          typed('Primary Insurance Carrier', 'org'),
          typed('Allergy Alert', 'text'),
          typed('Medical Condition', 'text'),
          typed('Medication List', 'text'),
          typed('Clinical Narrative', 'text'),
          varchar('Image Archive Link'),
          typed('Balance Forward', 'monetary'),
          typed('Employer', 'org'),
          typed('Referral Source', 'org'),
        ],
        organization: [
          varchar(SOURCE_KEY_FIELD, true),
          typed('Type', 'enum', Object.values(ORG_TYPES)),
          varchar('Phone'),
          varchar('Email'),
          typed('Referral Type', 'enum', ['Patient', 'Doctor', 'Marketing', 'Other']),
          varchar('Group Number', true),
          varchar('Group Name'),
          varchar('Payer ID', true),
          typed('Annual Maximum', 'monetary'),
        ],
        deal: [
          varchar(SOURCE_KEY_FIELD, true),
          typed('Treatment Plan Status', 'enum', [...TXCASE_STATUSES]),
          varchar('CDT Codes', true),
          typed('Plan Created Date', 'date'),
          typed('Plan Accepted Date', 'date'),
          typed('Plan Completed Date', 'date'),
          typed('Insurance Estimate', 'monetary'),
          typed('Patient Balance', 'monetary'),
          typed('Adjustment', 'monetary'),
        ],
        product: [varchar(SOURCE_KEY_FIELD, true), varchar('CDT Code', true), varchar('CDT Category')],
      },
      pipelines: [{ name: PIPELINE, stages: ['Proposed', 'Accepted', 'In Progress', 'Completed', 'On Hold'], statusMap: STATUS_MAP }],
      activityTypes: [
        { name: 'Meeting', key_string: 'meeting', icon_key: 'meeting' },
        { name: 'Task', key_string: 'task', icon_key: 'task' },
      ],
      users: {
        sourceTable: 'provider',
        matchBy: 'email',
        caseInsensitive: true,
        fallback: 'fallback_owner',
        rationale: 'providers resolve to users by email; unmatched providers are flagged and their records go to the fallback owner',
      },
    },
    options: {
      newPatientBooking: 'create_person',
      brokenCancelledAppointments: 'open_with_marker',
      appointmentStatuses: { completed: ['Complete', 'Completed'], broken: ['Broken'], cancelled: ['Cancelled', 'Canceled'] },
      imageArchiveBaseUrl: null,
      phoneRegion: 'US',
    },
    rules: defaultRules(),
  });
}
