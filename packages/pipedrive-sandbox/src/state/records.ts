/**
 * What the sandbox stores. v2 entities are kept in (nearly) their v2 response shape so that serving them is a
 * cheap projection; v1 entities keep v1 timestamps. Custom-field values hold only keys that were set.
 */
export type CustomFieldValues = Record<string, unknown>;

export interface ContactItem {
  value: string;
  primary: boolean;
  label: string;
}

export interface Address {
  value: string | null;
  country: string | null;
  admin_area_level_1: string | null;
  admin_area_level_2: string | null;
  locality: string | null;
  sublocality: string | null;
  route: string | null;
  street_number: string | null;
  subpremise: string | null;
  postal_code: string | null;
}

export interface PersonRecord {
  id: number;
  name: string;
  first_name: string;
  last_name: string | null;
  owner_id: number;
  org_id: number | null;
  add_time: string;
  update_time: string;
  emails: ContactItem[];
  phones: ContactItem[];
  is_deleted: boolean;
  visible_to: number;
  label_ids: number[];
  picture_id: number | null;
  marketing_status?: string;
  /** Contact-sync fields: present only when the account has contact sync. */
  contact_sync?: {
    postal_address?: Address;
    notes?: string;
    im?: ContactItem[];
    birthday?: string;
    job_title?: string;
  };
  custom_fields: CustomFieldValues;
}

export interface OrganizationRecord {
  id: number;
  name: string;
  owner_id: number;
  add_time: string;
  update_time: string;
  is_deleted: boolean;
  visible_to: number;
  address: Address | null;
  label_ids: number[];
  website: string | null;
  linkedin: string | null;
  industry: number | null;
  annual_revenue: number | null;
  employee_count: number | null;
  custom_fields: CustomFieldValues;
}

export type DealStatus = 'open' | 'won' | 'lost';

export interface DealRecord {
  id: number;
  title: string;
  creator_user_id: number;
  owner_id: number;
  person_id: number | null;
  org_id: number | null;
  pipeline_id: number;
  stage_id: number;
  value: number;
  currency: string;
  add_time: string;
  update_time: string;
  stage_change_time: string | null;
  is_deleted: boolean;
  is_archived: boolean;
  archive_time: string | null;
  status: DealStatus;
  probability: number | null;
  lost_reason: string | null;
  visible_to: number;
  close_time: string | null;
  won_time: string | null;
  lost_time: string | null;
  expected_close_date: string | null;
  label_ids: number[];
  origin: string;
  origin_id: string | null;
  channel: number | null;
  channel_id: string | null;
  source_lead_id: string | null;
  arr: number | null;
  mrr: number | null;
  acv: number | null;
  custom_fields: CustomFieldValues;
}

export interface Participant {
  person_id: number;
  primary: boolean;
}

export interface Attendee {
  email: string | null;
  name: string | null;
  status: string | null;
  is_organizer: boolean;
  person_id: number | null;
  user_id: number | null;
}

export interface ActivityRecord {
  id: number;
  subject: string;
  type: string;
  owner_id: number;
  creator_user_id: number;
  is_deleted: boolean;
  add_time: string;
  update_time: string;
  deal_id: number | null;
  lead_id: string | null;
  person_id: number | null;
  org_id: number | null;
  project_id: number | null;
  due_date: string | null;
  due_time: string | null;
  duration: string | null;
  busy: boolean;
  done: boolean;
  marked_as_done_time: string | null;
  location: Address | null;
  participants: Participant[];
  attendees: Attendee[];
  conference_meeting_client: string | null;
  conference_meeting_url: string | null;
  conference_meeting_id: string | null;
  public_description: string | null;
  priority: number | null;
  note: string | null;
}

export interface ProductPrice {
  product_id: number;
  price: number;
  currency: string;
  cost: number;
  direct_cost: number | null;
  notes: string;
}

export const BILLING_FREQUENCIES = ['one-time', 'annually', 'semi-annually', 'quarterly', 'monthly', 'weekly'] as const;
export type BillingFrequency = (typeof BILLING_FREQUENCIES)[number];

export interface ProductRecord {
  id: number;
  name: string;
  code: string | null;
  unit: string | null;
  tax: number;
  is_deleted: boolean;
  is_linkable: boolean;
  visible_to: number;
  owner_id: number;
  add_time: string;
  update_time: string;
  description: string | null;
  category: string | null;
  billing_frequency: BillingFrequency;
  billing_frequency_cycles: number | null;
  prices: ProductPrice[];
  custom_fields: CustomFieldValues;
}

export interface DealProductRecord {
  id: number;
  deal_id: number;
  product_id: number;
  name: string;
  product_variation_id: number | null;
  order_nr: number;
  add_time: string;
  update_time: string;
  comments: string | null;
  currency: string;
  discount: number;
  discount_type: 'percentage' | 'amount';
  quantity: number;
  item_price: number;
  tax: number;
  tax_method: 'exclusive' | 'inclusive' | 'none';
  is_enabled: boolean;
  billing_frequency: BillingFrequency;
  billing_frequency_cycles: number | null;
  billing_start_date: string | null;
  sum: number;
}

export interface PipelineRecord {
  id: number;
  name: string;
  order_nr: number;
  is_deleted: boolean;
  is_deal_probability_enabled: boolean;
  add_time: string;
  update_time: string;
}

export interface StageRecord {
  id: number;
  order_nr: number;
  name: string;
  is_deleted: boolean;
  deal_probability: number;
  pipeline_id: number;
  is_deal_rot_enabled: boolean;
  days_to_rotten: number | null;
  add_time: string;
  update_time: string;
}

export interface UserRecord {
  id: number;
  name: string;
  email: string;
  is_admin: boolean;
  active_flag: boolean;
  created: string;
  modified: string;
  timezone_name: string;
  default_currency: string;
  locale: string;
  role_id: number;
}

export interface ActivityTypeRecord {
  id: number;
  name: string;
  icon_key: string;
  color: string | null;
  order_nr: number;
  key_string: string;
  active_flag: boolean;
  is_custom_flag: boolean;
  add_time: string;
  update_time: string;
}

export interface NoteRecord {
  id: number;
  content: string;
  user_id: number;
  last_update_user_id: number;
  deal_id: number | null;
  person_id: number | null;
  org_id: number | null;
  lead_id: string | null;
  project_id: number | null;
  task_id: number | null;
  add_time: string;
  update_time: string;
  active_flag: boolean;
  pinned_to_lead_flag: boolean;
  pinned_to_deal_flag: boolean;
  pinned_to_organization_flag: boolean;
  pinned_to_person_flag: boolean;
  pinned_to_project_flag: boolean;
  pinned_to_task_flag: boolean;
}

export interface FileRecord {
  id: number;
  user_id: number;
  deal_id: number | null;
  person_id: number | null;
  org_id: number | null;
  product_id: number | null;
  activity_id: number | null;
  lead_id: string | null;
  project_id: number | null;
  add_time: string;
  update_time: string;
  /** The name the client uploaded. */
  name: string;
  /** The stored name: Pipedrive appends a hash to keep names unique. */
  file_name: string;
  file_type: string;
  file_size: number;
  mime_type: string;
  /** SHA-256 of the content: the fingerprint covers file bytes without hashing them again. */
  sha256: string;
  active_flag: boolean;
  description: string;
}

export interface OrganizationRelationshipRecord {
  id: number;
  type: 'parent' | 'related';
  rel_owner_org_id: number;
  rel_linked_org_id: number;
  add_time: string;
  update_time: string;
  active_flag: boolean;
}

export const FIELD_ENTITIES = ['person', 'organization', 'deal', 'product', 'activity'] as const;
export type FieldEntity = (typeof FIELD_ENTITIES)[number];

export interface FieldOption {
  id: number | string;
  label: string;
  color?: string | null;
  add_time?: string | null;
  update_time?: string | null;
}

export interface Subfield {
  field_code: string;
  field_name: string;
  field_type: string;
}

export interface FieldRecord {
  /** v1 numeric id; v2 has none. */
  id: number;
  field_code: string;
  field_name: string;
  field_type: string;
  description: string | null;
  options: FieldOption[] | null;
  subfields: Subfield[] | null;
  is_custom_field: boolean;
  is_optional_response_field: boolean;
  ui_visibility: Record<string, unknown>;
  important_fields: { enabled: boolean; stage_ids: number[] };
  required_fields: Record<string, unknown>;
  is_deleted: boolean;
  add_time: string;
  update_time: string;
}
