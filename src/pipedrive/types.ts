/**
 * Request bodies and response records the product uses, written from Pipedrive's OpenAPI specs
 * (`reference/pipedrive-openapi-v2.yaml` for the core entities, `-v1.yaml` for users, activity types, notes, files and
 * organization relationships). Response fields are optional where the spec does not mark them required or where
 * Pipedrive leaves them out depending on plan, settings or `include_fields`.
 *
 * v2 timestamps are RFC 3339 (`2021-01-01T00:00:00Z`); v1 timestamps are `YYYY-MM-DD HH:MM:SS` in UTC.
 */

/** `custom_fields` in v2 bodies and records: keyed by the account's 40-hex `field_code` (see field-keys.ts). */
export type CustomFieldValues = Record<string, unknown>;

/** 1 owner (& followers), 3 owner's group / entire company, 5 owner's group and sub-groups, 7 entire company (plan-dependent). */
export type VisibleTo = 1 | 3 | 5 | 7;

export interface LabeledValue {
  value: string;
  primary?: boolean;
  /** Defaults to `work` on the server. */
  label?: string;
}

export interface Address {
  value: string;
  country?: string | null;
  admin_area_level_1?: string | null;
  admin_area_level_2?: string | null;
  locality?: string | null;
  sublocality?: string | null;
  route?: string | null;
  street_number?: string | null;
  subpremise?: string | null;
  postal_code?: string | null;
}

// --- Persons (v2) ---

export interface PersonInput {
  name?: string;
  first_name?: string;
  last_name?: string;
  owner_id?: number;
  org_id?: number | null;
  /** RFC 3339; persons can be backdated. */
  add_time?: string;
  emails?: LabeledValue[];
  phones?: LabeledValue[];
  visible_to?: VisibleTo;
  label_ids?: number[];
  marketing_status?: 'no_consent' | 'unsubscribed' | 'subscribed' | 'archived';
  /** Only with contact sync enabled. */
  postal_address?: Address;
  notes?: string;
  im?: LabeledValue[];
  birthday?: string;
  job_title?: string;
  custom_fields?: CustomFieldValues;
}

export interface Person {
  id: number;
  name: string;
  first_name?: string | null;
  last_name?: string | null;
  owner_id?: number;
  org_id?: number | null;
  add_time?: string;
  update_time?: string | null;
  emails?: LabeledValue[];
  phones?: LabeledValue[];
  is_deleted?: boolean;
  visible_to?: number;
  label_ids?: number[];
  picture_id?: number | null;
  postal_address?: Address | null;
  notes?: string | null;
  im?: LabeledValue[];
  birthday?: string | null;
  job_title?: string | null;
  custom_fields?: CustomFieldValues;
}

// --- Organizations (v2) and relationships (v1) ---

export interface OrganizationInput {
  name: string;
  owner_id?: number;
  add_time?: string;
  visible_to?: VisibleTo;
  label_ids?: number[];
  address?: Address;
  website?: string | null;
  linkedin?: string | null;
  industry?: number | null;
  annual_revenue?: number | null;
  employee_count?: number | null;
  custom_fields?: CustomFieldValues;
}

export interface Organization {
  id: number;
  name: string;
  owner_id?: number;
  add_time?: string;
  update_time?: string | null;
  is_deleted?: boolean;
  visible_to?: number;
  label_ids?: number[];
  address?: Address | null;
  website?: string | null;
  linkedin?: string | null;
  industry?: number | null;
  annual_revenue?: number | null;
  employee_count?: number | null;
  custom_fields?: CustomFieldValues;
}

export type OrgRelationshipType = 'parent' | 'related';

export interface OrgRelationshipInput {
  type: OrgRelationshipType;
  /** For `parent`: the parent organization. */
  rel_owner_org_id: number;
  /** For `parent`: the child organization. */
  rel_linked_org_id: number;
  /** The organization whose point of view the response takes (`calculated_type`). */
  org_id?: number;
}

/** v1 returns the related organizations as small objects whose `value` is the id. */
export interface OrgRelationshipSide {
  value: number;
  name?: string;
  people_count?: number;
  owner_id?: number;
  address?: string | null;
  cc_email?: string | null;
}

export interface OrgRelationship {
  id: number;
  type: OrgRelationshipType;
  rel_owner_org_id: OrgRelationshipSide;
  rel_linked_org_id: OrgRelationshipSide;
  calculated_type?: string;
  calculated_related_org_id?: number;
  related_organization_name?: string;
  add_time?: string;
  update_time?: string | null;
  /** The v1 spec types this as a string, other v1 records use a boolean: accept both. */
  active_flag?: boolean | string;
}

// --- Deals (v2) ---

export type DealStatus = 'open' | 'won' | 'lost' | 'deleted';

export interface DealInput {
  title: string;
  owner_id?: number;
  person_id?: number | null;
  org_id?: number | null;
  pipeline_id?: number;
  stage_id?: number;
  value?: number;
  currency?: string;
  status?: DealStatus;
  probability?: number | null;
  lost_reason?: string | null;
  visible_to?: VisibleTo;
  /** Only for won/lost deals. v2 cannot set `add_time` on deals: keep source dates in custom fields too. */
  close_time?: string | null;
  won_time?: string;
  lost_time?: string;
  /** `YYYY-MM-DD`. */
  expected_close_date?: string;
  is_archived?: boolean;
  archive_time?: string;
  label_ids?: number[];
  custom_fields?: CustomFieldValues;
}

export interface Deal {
  id: number;
  title: string;
  owner_id?: number;
  person_id?: number | null;
  org_id?: number | null;
  pipeline_id?: number;
  stage_id?: number;
  value?: number;
  currency?: string;
  add_time?: string;
  update_time?: string | null;
  stage_change_time?: string | null;
  is_deleted?: boolean;
  is_archived?: boolean;
  archive_time?: string | null;
  status?: DealStatus;
  probability?: number | null;
  lost_reason?: string | null;
  visible_to?: number;
  close_time?: string | null;
  won_time?: string | null;
  lost_time?: string | null;
  expected_close_date?: string | null;
  label_ids?: number[];
  custom_fields?: CustomFieldValues;
}

// --- Activities (v2) and activity types (v1) ---

export interface ActivityParticipant {
  person_id: number;
  primary?: boolean;
}

export interface ActivityAttendee {
  email?: string;
  name?: string;
  status?: string;
  is_organizer?: boolean;
  person_id?: number;
  user_id?: number;
}

export interface ActivityInput {
  subject?: string;
  /** An ActivityType `key_string`. */
  type?: string;
  owner_id?: number;
  deal_id?: number | null;
  lead_id?: string | null;
  /** The migration guide calls this read-only: link people through `participants`. */
  person_id?: number | null;
  org_id?: number | null;
  project_id?: number | null;
  /** `YYYY-MM-DD`, in UTC together with `due_time`. */
  due_date?: string;
  /** `HH:MM` (UTC). */
  due_time?: string;
  /** `HH:MM`. */
  duration?: string;
  busy?: boolean;
  done?: boolean;
  location?: Address;
  participants?: ActivityParticipant[];
  attendees?: ActivityAttendee[];
  public_description?: string;
  priority?: number;
  /** HTML, at most 100 KB. */
  note?: string;
}

export interface Activity {
  id: number;
  subject?: string;
  type?: string;
  owner_id?: number;
  creator_user_id?: number;
  is_deleted?: boolean;
  add_time?: string;
  update_time?: string | null;
  deal_id?: number | null;
  lead_id?: string | null;
  person_id?: number | null;
  org_id?: number | null;
  project_id?: number | null;
  due_date?: string | null;
  due_time?: string | null;
  duration?: string | null;
  busy?: boolean;
  done?: boolean;
  marked_as_done_time?: string | null;
  location?: Address | null;
  participants?: ActivityParticipant[];
  attendees?: ActivityAttendee[];
  public_description?: string | null;
  priority?: number | null;
  note?: string | null;
}

export type ActivityIconKey =
  | 'task' | 'email' | 'meeting' | 'deadline' | 'call' | 'lunch' | 'calendar' | 'downarrow' | 'document' | 'smartphone'
  | 'camera' | 'scissors' | 'cogs' | 'bubble' | 'uparrow' | 'checkbox' | 'signpost' | 'shuffle' | 'addressbook'
  | 'linegraph' | 'picture' | 'car' | 'world' | 'search' | 'clip' | 'sound' | 'brush' | 'key' | 'padlock' | 'pricetag'
  | 'suitcase' | 'finish' | 'plane' | 'loop' | 'wifi' | 'truck' | 'cart' | 'bulb' | 'bell' | 'presentation';

export interface ActivityTypeInput {
  name: string;
  icon_key: ActivityIconKey | (string & {});
  /** Six hex digits, without `#`. */
  color?: string;
}

export interface ActivityType {
  id: number;
  name: string;
  icon_key: string;
  color?: string | null;
  order_nr?: number;
  /** Generated by the server from the name; activities refer to the type through it. */
  key_string: string;
  active_flag?: boolean;
  is_custom_flag?: boolean;
  add_time?: string;
  update_time?: string | null;
}

// --- Products and deal products (v2) ---

export interface ProductPrice {
  currency: string;
  price?: number;
  cost?: number;
  direct_cost?: number;
  notes?: string;
}

export type BillingFrequency = 'one-time' | 'annually' | 'semi-annually' | 'quarterly' | 'monthly' | 'weekly';

export interface ProductInput {
  name: string;
  code?: string;
  description?: string;
  unit?: string;
  tax?: number;
  category?: number;
  owner_id?: number;
  is_linkable?: boolean;
  visible_to?: VisibleTo;
  /** At most one price per currency; an update replaces the whole array. */
  prices?: ProductPrice[];
  billing_frequency?: BillingFrequency;
  billing_frequency_cycles?: number | null;
  custom_fields?: CustomFieldValues;
}

export interface Product {
  id: number;
  name: string;
  code?: string | null;
  description?: string | null;
  unit?: string | null;
  tax?: number;
  is_deleted?: boolean;
  is_linkable?: boolean;
  visible_to?: number;
  owner_id?: number;
  add_time?: string;
  update_time?: string | null;
  category?: number | null;
  prices?: (ProductPrice & { product_id?: number })[];
  billing_frequency?: BillingFrequency;
  billing_frequency_cycles?: number | null;
  custom_fields?: CustomFieldValues;
}

export interface DealProductInput {
  product_id: number;
  item_price: number;
  quantity: number;
  tax?: number;
  comments?: string;
  discount?: number;
  discount_type?: 'percentage' | 'amount';
  tax_method?: 'exclusive' | 'inclusive' | 'none';
  is_enabled?: boolean;
  product_variation_id?: number | null;
  billing_frequency?: BillingFrequency;
  billing_frequency_cycles?: number | null;
  /** `YYYY-MM-DD`. */
  billing_start_date?: string | null;
}

/** A product attached to a deal; `id` is the attachment id (`product_attachment_id`), not the product id. */
export interface DealProduct {
  id: number;
  deal_id: number;
  product_id: number;
  name?: string;
  sum?: number;
  tax?: number;
  product_variation_id?: number | null;
  order_nr?: number | null;
  add_time?: string;
  update_time?: string | null;
  comments?: string | null;
  currency?: string;
  discount?: number;
  discount_type?: 'percentage' | 'amount';
  quantity?: number;
  item_price?: number;
  tax_method?: 'exclusive' | 'inclusive' | 'none';
  is_enabled?: boolean;
  billing_frequency?: BillingFrequency;
  billing_frequency_cycles?: number | null;
  billing_start_date?: string | null;
}

// --- Pipelines and stages (v2) ---

export interface PipelineInput {
  name: string;
  is_deal_probability_enabled?: boolean;
}

export interface Pipeline {
  id: number;
  name: string;
  order_nr?: number;
  is_deleted?: boolean;
  is_deal_probability_enabled?: boolean;
  add_time?: string;
  update_time?: string | null;
}

export interface StageInput {
  name: string;
  pipeline_id: number;
  deal_probability?: number;
  is_deal_rot_enabled?: boolean;
  days_to_rotten?: number | null;
}

export interface Stage {
  id: number;
  name: string;
  pipeline_id: number;
  order_nr?: number;
  is_deleted?: boolean;
  deal_probability?: number;
  is_deal_rot_enabled?: boolean;
  days_to_rotten?: number | null;
  add_time?: string;
  update_time?: string | null;
}

// --- Fields (v2) ---

/** Types a custom field can be created with through v2. */
export type CreatableFieldType =
  | 'varchar' | 'varchar_auto' | 'text' | 'double' | 'monetary' | 'date' | 'daterange' | 'time' | 'timerange'
  | 'set' | 'enum' | 'user' | 'org' | 'people' | 'phone' | 'address';

export interface FieldOption {
  id: number;
  label: string;
  color?: string | null;
  add_time?: string;
  update_time?: string | null;
}

export interface Field {
  field_name: string;
  /** 40-hex for custom fields (random per account); a plain name (`name`, `owner_id`, …) for system fields. */
  field_code: string;
  field_type: string;
  options?: FieldOption[] | null;
  subfields?: { field_code: string; field_name: string; field_type: string }[] | null;
  is_custom_field: boolean;
  is_optional_response_field?: boolean;
  ui_visibility?: Record<string, unknown>;
  important_fields?: { enabled?: boolean; stage_ids?: number[] };
  required_fields?: { enabled?: boolean };
}

export interface FieldInput {
  field_name: string;
  field_type: CreatableFieldType | (string & {});
  /** Required for `enum` and `set`. */
  options?: { label: string }[];
  ui_visibility?: Record<string, unknown>;
  important_fields?: { enabled?: boolean; stage_ids?: number[] };
  required_fields?: { enabled?: boolean };
}

// --- Notes (v1) ---

/** v1 flags accept 0/1 (the spec's `numberBoolean`) and booleans. */
export type V1Flag = boolean | 0 | 1;

export interface NoteInput {
  /** HTML; sanitised by Pipedrive; about 100 KB at most. */
  content: string;
  deal_id?: number;
  person_id?: number;
  org_id?: number;
  lead_id?: string;
  project_id?: number;
  task_id?: number;
  /** Author; only an admin may set another user. */
  user_id?: number;
  /** `YYYY-MM-DD HH:MM:SS` in UTC; may be in the past. */
  add_time?: string;
  pinned_to_deal_flag?: V1Flag;
  pinned_to_organization_flag?: V1Flag;
  pinned_to_person_flag?: V1Flag;
  pinned_to_lead_flag?: V1Flag;
  pinned_to_project_flag?: V1Flag;
  pinned_to_task_flag?: V1Flag;
}

export type NoteUpdate = Partial<NoteInput>;

export interface NoteListQuery {
  user_id?: number;
  deal_id?: number;
  person_id?: number;
  org_id?: number;
  lead_id?: string;
  project_id?: number;
  task_id?: number;
  /** e.g. `add_time DESC`. */
  sort?: string;
  /** `YYYY-MM-DD`, on `add_time`. */
  start_date?: string;
  end_date?: string;
  /** RFC 3339. */
  updated_since?: string;
  pinned_to_deal_flag?: 0 | 1;
  pinned_to_organization_flag?: 0 | 1;
  pinned_to_person_flag?: 0 | 1;
  pinned_to_lead_flag?: 0 | 1;
  pinned_to_project_flag?: 0 | 1;
  pinned_to_task_flag?: 0 | 1;
  /** Page size, at most 500 (default here: 500). */
  limit?: number;
}

export interface Note {
  id: number;
  content: string;
  user_id?: number;
  deal_id?: number | null;
  person_id?: number | null;
  org_id?: number | null;
  lead_id?: string | null;
  project_id?: number | null;
  task_id?: number | null;
  add_time?: string;
  update_time?: string | null;
  active_flag?: boolean;
  last_update_user_id?: number | null;
  pinned_to_deal_flag?: boolean;
  pinned_to_organization_flag?: boolean;
  pinned_to_person_flag?: boolean;
  pinned_to_lead_flag?: boolean;
  pinned_to_project_flag?: boolean;
  pinned_to_task_flag?: boolean;
}

// --- Files (v1) ---

export interface FileUpload {
  content: Buffer;
  filename: string;
  /** Defaults to `application/octet-stream`. */
  contentType?: string;
  person_id?: number;
  deal_id?: number;
  org_id?: number;
}

export interface FileListQuery {
  /** List one record's files (`GET /v1/persons/{id}/files` etc.) instead of the whole account's; give at most one. */
  person_id?: number;
  deal_id?: number;
  org_id?: number;
  /** e.g. `update_time DESC`. */
  sort?: string;
  /** Page size, at most 100 for files (default here: 100). */
  limit?: number;
}

/** Named `PdFile` so it does not shadow the DOM/Node `File`. */
export interface PdFile {
  id: number;
  user_id?: number;
  deal_id?: number | null;
  person_id?: number | null;
  org_id?: number | null;
  product_id?: number | null;
  activity_id?: number | null;
  lead_id?: string | null;
  project_id?: number | null;
  add_time?: string;
  update_time?: string | null;
  file_name?: string;
  file_size?: number;
  active_flag?: boolean;
  inline_flag?: boolean;
  remote_location?: string;
  remote_id?: string;
  url?: string;
  name?: string;
}

// --- Users (v1) ---

export interface UserAccess {
  app: string;
  admin?: boolean;
  permission_set_id?: string;
}

export interface User {
  id: number;
  name: string;
  email: string;
  active_flag?: boolean;
  is_deleted?: boolean;
  is_you?: boolean;
  access?: UserAccess[];
  role_id?: number;
  timezone_name?: string;
  timezone_offset?: string;
  default_currency?: string;
  locale?: string;
  /** Only on `/users/me`. */
  company_id?: number;
  company_name?: string;
  company_domain?: string;
}

// --- Search (v2) ---

export interface SearchOwner {
  id: number;
}

export interface PersonSearchItem {
  id: number;
  type: 'person';
  name: string;
  phones?: string[];
  emails?: string[];
  visible_to?: number;
  owner?: SearchOwner;
  organization?: { id: number; name?: string } | null;
  /** Values of the custom fields that matched. */
  custom_fields?: string[];
  notes?: string[];
}

export interface OrganizationSearchItem {
  id: number;
  type: 'organization';
  name: string;
  address?: string | null;
  visible_to?: number;
  owner?: SearchOwner;
  custom_fields?: string[];
  notes?: string[];
}

export interface DealSearchItem {
  id: number;
  type: 'deal';
  title?: string;
  value?: number;
  currency?: string;
  status?: string;
  visible_to?: number;
  owner?: SearchOwner;
  stage?: { id: number; name?: string };
  person?: { id: number; name?: string } | null;
  organization?: { id: number; name?: string } | null;
  custom_fields?: string[];
  notes?: string[];
  is_archived?: boolean;
}

export interface ProductSearchItem {
  id: number;
  type: 'product';
  name: string;
  code?: string | number | null;
  visible_to?: number;
  owner?: SearchOwner;
  custom_fields?: string[];
}

export type SearchItem = PersonSearchItem | OrganizationSearchItem | DealSearchItem | ProductSearchItem;

/** Search is ranked, and `exact_match` is case-insensitive: confirm a hit on the client before trusting it. */
export interface SearchResultItem<I extends SearchItem = SearchItem> {
  result_score: number;
  item: I;
}

/** One hit of `GET /itemSearch/field` (the spec's example shape; its schema shows `{result_score, item}`, which is normalised to this). */
export interface FieldSearchHit {
  id: number;
  name?: string;
}

// --- Envelopes ---

export interface V2Envelope<T> {
  success: boolean;
  data: T;
  additional_data?: { next_cursor?: string | null } & Record<string, unknown>;
}

export interface V1Pagination {
  start: number;
  limit: number;
  more_items_in_collection: boolean;
  next_start?: number;
}

export interface V1Envelope<T> {
  success: boolean;
  data: T;
  additional_data?: { pagination?: V1Pagination } & Record<string, unknown>;
}
