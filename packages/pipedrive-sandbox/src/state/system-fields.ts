import type { FieldEntity, Subfield } from './records';

/**
 * The fields a new Pipedrive account has for each entity (`is_custom_field: false`). Codes, names and types follow
 * the v2 spec's field examples (`name`, `phone`, `address` with its subfields, deal `value` as monetary); option
 * labels are Pipedrive's defaults (labels "Customer / Hot lead / Warm lead / Cold lead", deal statuses).
 */
export interface SystemFieldSpec {
  code: string;
  name: string;
  type: string;
  description?: string;
  /** Labels of options that get account-wide numeric ids at seed time. */
  optionLabels?: string[];
  /** Options with fixed string ids (deal status). */
  fixedOptions?: { id: string; label: string }[];
  subfields?: Subfield[];
  optionalResponse?: boolean;
}

export function addressSubfields(of: string): Subfield[] {
  return [
    ['value', 'Address value'],
    ['street_number', 'House number'],
    ['route', 'Street/road name'],
    ['subpremise', 'Apartment/suite'],
    ['locality', 'District'],
    ['admin_area_level_1', 'State/province'],
    ['admin_area_level_2', 'County'],
    ['country', 'Country'],
    ['postal_code', 'Postal code'],
    ['formatted_address', 'Formatted address'],
  ].map(([field_code, label]) => ({ field_code: field_code!, field_name: `${label} of ${of}`, field_type: 'varchar' }));
}

export function monetarySubfields(of: string): Subfield[] {
  return [
    { field_code: 'value', field_name: `Amount of ${of}`, field_type: 'double' },
    { field_code: 'currency', field_name: `Currency of ${of}`, field_type: 'varchar' },
  ];
}

/** Subfields Pipedrive reports for composite custom-field types; other types have none. */
export function customFieldSubfields(type: string, name: string): Subfield[] | null {
  switch (type) {
    case 'monetary':
      return monetarySubfields(name);
    case 'address':
      return addressSubfields(name);
    case 'daterange':
      return [
        { field_code: 'value', field_name: `Start of ${name}`, field_type: 'date' },
        { field_code: 'until', field_name: `End of ${name}`, field_type: 'date' },
      ];
    case 'time':
      return [
        { field_code: 'value', field_name: `Time of ${name}`, field_type: 'time' },
        { field_code: 'timezone_name', field_name: `Timezone of ${name}`, field_type: 'varchar' },
      ];
    case 'timerange':
      return [
        { field_code: 'value', field_name: `Start of ${name}`, field_type: 'time' },
        { field_code: 'until', field_name: `End of ${name}`, field_type: 'time' },
        { field_code: 'timezone_name', field_name: `Timezone of ${name}`, field_type: 'varchar' },
      ];
    default:
      return null;
  }
}

const CONTACT_LABELS = ['Customer', 'Hot lead', 'Warm lead', 'Cold lead'];

export const SYSTEM_FIELDS: Record<FieldEntity, SystemFieldSpec[]> = {
  person: [
    { code: 'id', name: 'ID', type: 'int' },
    { code: 'name', name: 'Name', type: 'varchar', description: 'The name of the person' },
    { code: 'first_name', name: 'First name', type: 'varchar' },
    { code: 'last_name', name: 'Last name', type: 'varchar' },
    { code: 'phone', name: 'Phone', type: 'phone', description: 'Phone number for the person' },
    { code: 'email', name: 'Email', type: 'varchar' },
    { code: 'owner_id', name: 'Owner', type: 'user' },
    { code: 'org_id', name: 'Organization', type: 'org' },
    { code: 'label_ids', name: 'Labels', type: 'set', optionLabels: CONTACT_LABELS },
    { code: 'visible_to', name: 'Visible to', type: 'visible_to' },
    { code: 'picture_id', name: 'Profile picture', type: 'picture' },
    { code: 'add_time', name: 'Person created', type: 'date' },
    { code: 'update_time', name: 'Update time', type: 'date' },
    { code: 'open_deals_count', name: 'Open deals', type: 'int', optionalResponse: true },
    { code: 'closed_deals_count', name: 'Closed deals', type: 'int', optionalResponse: true },
    { code: 'notes_count', name: 'Number of notes', type: 'int', optionalResponse: true },
    { code: 'files_count', name: 'Number of files', type: 'int', optionalResponse: true },
  ],
  organization: [
    { code: 'id', name: 'ID', type: 'int' },
    { code: 'name', name: 'Organization Name', type: 'varchar' },
    { code: 'owner_id', name: 'Owner', type: 'user' },
    { code: 'address', name: 'Address', type: 'address', subfields: addressSubfields('Address') },
    { code: 'label_ids', name: 'Labels', type: 'set', optionLabels: CONTACT_LABELS },
    { code: 'visible_to', name: 'Visible to', type: 'visible_to' },
    { code: 'website', name: 'Website', type: 'varchar' },
    { code: 'linkedin', name: 'LinkedIn profile', type: 'varchar' },
    {
      code: 'industry',
      name: 'Industry',
      type: 'enum',
      optionLabels: ['Healthcare', 'Insurance', 'Financial services', 'Education', 'Government', 'Retail', 'Other'],
    },
    { code: 'annual_revenue', name: 'Annual revenue', type: 'double' },
    { code: 'employee_count', name: 'Number of employees', type: 'int' },
    { code: 'add_time', name: 'Organization created', type: 'date' },
    { code: 'update_time', name: 'Update time', type: 'date' },
    { code: 'people_count', name: 'People', type: 'int', optionalResponse: true },
    { code: 'open_deals_count', name: 'Open deals', type: 'int', optionalResponse: true },
  ],
  deal: [
    { code: 'id', name: 'ID', type: 'int' },
    { code: 'title', name: 'Deal Title', type: 'varchar', description: 'The title or name of the deal' },
    { code: 'value', name: 'Value', type: 'monetary', subfields: monetarySubfields('Value'), description: 'The monetary value of the deal' },
    { code: 'creator_user_id', name: 'Creator', type: 'user' },
    { code: 'owner_id', name: 'Owner', type: 'user' },
    { code: 'person_id', name: 'Contact person', type: 'people' },
    { code: 'org_id', name: 'Organization', type: 'org' },
    { code: 'pipeline_id', name: 'Pipeline', type: 'int' },
    { code: 'stage_id', name: 'Stage', type: 'stage' },
    {
      code: 'status',
      name: 'Status',
      type: 'status',
      fixedOptions: [
        { id: 'open', label: 'Open' },
        { id: 'won', label: 'Won' },
        { id: 'lost', label: 'Lost' },
        { id: 'deleted', label: 'Deleted' },
      ],
    },
    { code: 'probability', name: 'Probability', type: 'double' },
    { code: 'expected_close_date', name: 'Expected close date', type: 'date' },
    { code: 'won_time', name: 'Won time', type: 'date' },
    { code: 'lost_time', name: 'Lost time', type: 'date' },
    { code: 'close_time', name: 'Deal closed on', type: 'date' },
    { code: 'lost_reason', name: 'Lost reason', type: 'varchar_options' },
    { code: 'visible_to', name: 'Visible to', type: 'visible_to' },
    { code: 'label_ids', name: 'Labels', type: 'set', optionLabels: ['Hot', 'Warm', 'Cold'] },
    { code: 'is_archived', name: 'Archived', type: 'boolean' },
    { code: 'archive_time', name: 'Archive time', type: 'date' },
    { code: 'origin', name: 'Source origin', type: 'varchar' },
    { code: 'origin_id', name: 'Source origin ID', type: 'varchar' },
    { code: 'channel', name: 'Source channel', type: 'enum', optionLabels: ['Referral', 'Website', 'Phone', 'Walk-in', 'Other'] },
    { code: 'channel_id', name: 'Source channel ID', type: 'varchar' },
    { code: 'add_time', name: 'Deal created', type: 'date' },
    { code: 'update_time', name: 'Update time', type: 'date' },
    { code: 'stage_change_time', name: 'Last stage change', type: 'date' },
    { code: 'products_count', name: 'Products', type: 'int', optionalResponse: true },
    { code: 'notes_count', name: 'Number of notes', type: 'int', optionalResponse: true },
  ],
  product: [
    { code: 'id', name: 'ID', type: 'int' },
    { code: 'name', name: 'Product Name', type: 'varchar' },
    { code: 'code', name: 'Product code', type: 'varchar' },
    { code: 'description', name: 'Description', type: 'text' },
    { code: 'unit', name: 'Unit', type: 'varchar' },
    { code: 'tax', name: 'Tax', type: 'double' },
    { code: 'category', name: 'Category', type: 'enum', optionLabels: [] },
    { code: 'owner_id', name: 'Owner', type: 'user' },
    { code: 'is_linkable', name: 'Linkable', type: 'boolean' },
    { code: 'visible_to', name: 'Visible to', type: 'visible_to' },
    { code: 'prices', name: 'Price', type: 'price_list' },
    { code: 'billing_frequency', name: 'Billing frequency', type: 'billing_frequency' },
    { code: 'add_time', name: 'Product created', type: 'date' },
    { code: 'update_time', name: 'Update time', type: 'date' },
  ],
  activity: [
    { code: 'id', name: 'ID', type: 'int' },
    { code: 'subject', name: 'Subject', type: 'varchar', description: 'The subject or title of the activity' },
    { code: 'type', name: 'Type', type: 'varchar_options' },
    { code: 'due_date', name: 'Due date', type: 'date' },
    { code: 'due_time', name: 'Due time', type: 'time' },
    { code: 'duration', name: 'Duration', type: 'time' },
    { code: 'owner_id', name: 'Assigned to user', type: 'user' },
    { code: 'deal_id', name: 'Deal', type: 'deal' },
    { code: 'lead_id', name: 'Lead', type: 'lead' },
    { code: 'person_id', name: 'Contact person', type: 'people' },
    { code: 'org_id', name: 'Organization', type: 'org' },
    { code: 'project_id', name: 'Project', type: 'project' },
    { code: 'done', name: 'Done', type: 'boolean' },
    { code: 'busy', name: 'Free/busy', type: 'boolean' },
    {
      code: 'location',
      name: 'Location',
      type: 'address',
      subfields: addressSubfields('Location'),
      description: 'Physical location where the activity takes place',
    },
    { code: 'public_description', name: 'Public description', type: 'text' },
    { code: 'note', name: 'Note', type: 'text' },
    { code: 'priority', name: 'Priority', type: 'enum', optionLabels: ['High', 'Medium', 'Low'] },
    { code: 'add_time', name: 'Add time', type: 'date' },
    { code: 'update_time', name: 'Update time', type: 'date' },
    { code: 'marked_as_done_time', name: 'Marked as done time', type: 'date' },
  ],
};

/** Custom field types the v2 create endpoints accept. */
export const CREATABLE_FIELD_TYPES = [
  'varchar',
  'text',
  'double',
  'phone',
  'date',
  'daterange',
  'time',
  'timerange',
  'set',
  'enum',
  'varchar_auto',
  'address',
  'monetary',
  'org',
  'people',
  'user',
] as const;

/** Custom field types search can match (the spec's search endpoints list them). */
export const SEARCHABLE_FIELD_TYPES = new Set(['address', 'varchar', 'text', 'varchar_auto', 'double', 'monetary', 'phone']);
