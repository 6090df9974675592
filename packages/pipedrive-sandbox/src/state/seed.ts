import defaultSeed from '../default-seed.json';
import type { SandboxUser } from '../options';
import { rfc3339, v1Timestamp } from '../time';
import { AccountState, type Company } from './account';
import { FIELD_ENTITIES, type FieldEntity, type FieldOption, type FieldRecord, type UserRecord } from './records';
import { SYSTEM_FIELDS } from './system-fields';

/**
 * The account a fresh Pipedrive signup has: the company, its users, the default pipeline with Pipedrive's default
 * stages, the default activity types and every entity's system fields. Seed records carry a fixed creation time
 * (the account's "signup") so that two sandboxes seeded alike are identical.
 */
export const SEED_TIME_MS = Date.parse('2024-01-02T09:00:00Z');

interface SeedFile {
  company: Company;
  users: { name: string; email: string; admin: boolean }[];
}

/** Pipedrive's default stages with their default deal probabilities. */
const DEFAULT_STAGES: [name: string, probability: number][] = [
  ['Lead In', 100],
  ['Contact Made', 100],
  ['Demo Scheduled', 100],
  ['Proposal Made', 100],
  ['Negotiations Started', 100],
];

/** Pipedrive's default activity types, in their default order. */
const DEFAULT_ACTIVITY_TYPES: [name: string, keyString: string][] = [
  ['Call', 'call'],
  ['Meeting', 'meeting'],
  ['Task', 'task'],
  ['Deadline', 'deadline'],
  ['Email', 'email'],
  ['Lunch', 'lunch'],
];

export interface SeedOptions {
  keySeed: number | undefined;
  extraUsers: SandboxUser[];
  /** Another company behind the same host: the account a token of another company answers for. */
  companyId?: number;
}

export function seedAccount({ keySeed, extraUsers, companyId }: SeedOptions): AccountState {
  const seed: SeedFile = defaultSeed;
  const state = new AccountState({ ...seed.company, ...(companyId === undefined ? {} : { id: companyId }) }, keySeed);
  const v2Time = rfc3339(SEED_TIME_MS);
  const v1Time = v1Timestamp(SEED_TIME_MS);

  for (const user of seed.users) addUser(state, user, user.admin, SEED_TIME_MS);
  const seeded = new Set(seed.users.map((u) => u.email.toLowerCase()));
  for (const user of extraUsers) if (!seeded.has(user.email.toLowerCase())) addUser(state, user, false, SEED_TIME_MS);

  const pipeline = state.insert(state.pipelines, (id) => ({
    id,
    name: 'Pipeline',
    order_nr: 1,
    is_deleted: false,
    is_deal_probability_enabled: false,
    add_time: v2Time,
    update_time: v2Time,
  }));
  DEFAULT_STAGES.forEach(([name, probability], i) =>
    state.insert(state.stages, (id) => ({
      id,
      order_nr: i + 1,
      name,
      is_deleted: false,
      deal_probability: probability,
      pipeline_id: pipeline.id,
      is_deal_rot_enabled: false,
      days_to_rotten: null,
      add_time: v2Time,
      update_time: v2Time,
    })),
  );

  DEFAULT_ACTIVITY_TYPES.forEach(([name, keyString], i) =>
    state.insert(state.activityTypes, (id) => ({
      id,
      name,
      icon_key: keyString,
      color: null,
      order_nr: i + 1,
      key_string: keyString,
      active_flag: true,
      is_custom_flag: false,
      add_time: v1Time,
      update_time: v1Time,
    })),
  );

  for (const entity of FIELD_ENTITIES) seedSystemFields(state, entity, v2Time);
  return state;
}

/** Adds a user the way an admin invites one; returns the stored record. */
export function addUser(state: AccountState, user: SandboxUser, isAdmin: boolean, nowMs: number): UserRecord {
  const time = v1Timestamp(nowMs);
  return state.insert(state.users, (id) => ({
    id,
    name: user.name,
    email: user.email,
    is_admin: isAdmin,
    active_flag: true,
    created: time,
    modified: time,
    timezone_name: state.company.timezone_name,
    default_currency: state.company.default_currency,
    locale: state.company.locale,
    role_id: 1,
  }));
}

function seedSystemFields(state: AccountState, entity: FieldEntity, time: string): void {
  for (const spec of SYSTEM_FIELDS[entity]) {
    let options: FieldOption[] | null = null;
    if (spec.fixedOptions) options = spec.fixedOptions.map((o) => ({ ...o }));
    else if (spec.optionLabels) options = spec.optionLabels.map((label) => ({ id: state.allocateOptionId(), label }));
    state.insert(state.fields[entity], (id) =>
      systemField(id, spec.code, spec.name, spec.type, time, {
        description: spec.description ?? null,
        options,
        subfields: spec.subfields ?? null,
        is_optional_response_field: spec.optionalResponse ?? false,
      }),
    );
  }
}

function systemField(
  id: number,
  code: string,
  name: string,
  type: string,
  time: string,
  extra: Pick<FieldRecord, 'description' | 'options' | 'subfields' | 'is_optional_response_field'>,
): FieldRecord {
  return {
    id,
    field_code: code,
    field_name: name,
    field_type: type,
    ...extra,
    is_custom_field: false,
    ui_visibility: { add_visible_flag: true, details_visible_flag: true },
    important_fields: { enabled: false, stage_ids: [] },
    required_fields: { enabled: code === 'name' || code === 'title' },
    is_deleted: false,
    add_time: time,
    update_time: time,
  };
}
