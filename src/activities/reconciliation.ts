/**
 * Links and owners in the reconciliation report: per object type, how many records the source says link to a
 * person, organization, deal, product or user, how many of those links Pipedrive holds, and how many point at the
 * right record; per owner field, how many records are owned by their provider's user and how many by the fallback
 * owner. Pure: it shapes counts the verification's read-back already produced (field_diffs), no API calls.
 */

export interface LinkDef {
  /** The standard field holding the link (a Pipedrive id). */
  field: string;
  /** What it points at. */
  to: 'organization' | 'person' | 'deal' | 'product' | 'user';
}

/** The links the map moves, per object type (the seed's object table: person → org, deal → person and org, ...). */
export const LINKS: Record<string, LinkDef[]> = {
  person: [{ field: 'org_id', to: 'organization' }],
  deal: [
    { field: 'person_id', to: 'person' },
    { field: 'org_id', to: 'organization' },
  ],
  activity: [
    { field: 'person_id', to: 'person' },
    { field: 'deal_id', to: 'deal' },
    { field: 'owner_id', to: 'user' },
  ],
  deal_product: [
    { field: 'deal_id', to: 'deal' },
    { field: 'product_id', to: 'product' },
  ],
  note: [{ field: 'person_id', to: 'person' }],
  file: [{ field: 'person_id', to: 'person' }],
};

/** The field naming the Pipedrive user a record belongs to (notes: the user they are written as). */
export const OWNER_FIELDS: Record<string, string> = {
  organization: 'owner_id',
  product: 'owner_id',
  person: 'owner_id',
  deal: 'owner_id',
  activity: 'owner_id',
  note: 'user_id',
};

/** Every field the reconciliation reads from field_diffs. */
export function reconciledFields(): string[] {
  return [...new Set([...Object.values(LINKS).flatMap((ls) => ls.map((l) => l.field)), ...Object.values(OWNER_FIELDS)])];
}

/** A group of compared link values, as counted from the field-level diff (one row per distinct combination). */
export interface LinkObservation {
  objectType: string;
  field: string;
  /** The source says the record links somewhere (the expected value is an id). */
  expectedSet: boolean;
  /** Pipedrive's record holds a value in the field. */
  actualSet: boolean;
  /** Pipedrive's value equals the expected id. */
  matched: boolean;
  /** The expected value is the fallback owner (owner fields only). */
  expectedFallback: boolean;
  /** Pipedrive's value is a user the migration resolved (a provider's user or the fallback owner). */
  actualKnownUser: boolean;
  records: number;
}

export interface LinkCounts {
  field: string;
  to: LinkDef['to'];
  /** Records whose source says they link somewhere. */
  expected: number;
  /** ... of which Pipedrive holds a link. */
  present: number;
  /** ... of which the link points at the expected record. */
  correct: number;
  /** expected − present: the link is missing in Pipedrive. */
  missing: number;
  /** present − correct: Pipedrive links somewhere else. */
  wrong: number;
  /** Pipedrive links a record whose source links nowhere. */
  unexpected: number;
}

export interface OwnerCounts {
  field: string;
  /** Records with an owner to check (every migrated record of the type). */
  records: number;
  /** Owned by the expected user: the provider's, or the fallback owner. */
  correct: number;
  /** Assigned the fallback owner (their provider has no Pipedrive user, or none is recorded in the source). */
  fallback: number;
  /** Pipedrive names another user or none. */
  wrong: number;
  /** Pipedrive names a user the migration never resolved. */
  notAMigrationUser: number;
}

export interface LinkReconciliation {
  /** Which field-level diff the counts come from. */
  from: 'full' | 'sample' | null;
  links: Record<string, Record<string, LinkCounts>>;
  owners: Record<string, OwnerCounts>;
  totals: { linksExpected: number; linksCorrect: number; ownersChecked: number; ownersCorrect: number; fallbackOwners: number };
  /** Every expected link present and correct, nothing unexpected, every owner correct. */
  ok: boolean;
  /** What is right but not as wanted: records owned by the fallback owner because their provider has no Pipedrive user. */
  warnings: string[];
}

/** Shapes the observations into per-type link and owner counts. */
export function reconcileLinks(observations: readonly LinkObservation[], from: LinkReconciliation['from']): LinkReconciliation {
  const links: LinkReconciliation['links'] = {};
  const owners: LinkReconciliation['owners'] = {};
  for (const [objectType, defs] of Object.entries(LINKS)) {
    for (const def of defs) {
      const name = `${objectType}→${def.to}`;
      const rows = observations.filter((o) => o.objectType === objectType && o.field === def.field);
      if (rows.length === 0) continue;
      const sum = (pick: (o: LinkObservation) => boolean) => rows.filter(pick).reduce((n, o) => n + o.records, 0);
      const expected = sum((o) => o.expectedSet);
      const present = sum((o) => o.expectedSet && o.actualSet);
      const correct = sum((o) => o.expectedSet && o.matched);
      (links[objectType] ??= {})[name] = {
        field: def.field,
        to: def.to,
        expected,
        present,
        correct,
        missing: expected - present,
        wrong: present - correct,
        unexpected: sum((o) => !o.expectedSet && o.actualSet),
      };
    }
  }
  for (const [objectType, field] of Object.entries(OWNER_FIELDS)) {
    const rows = observations.filter((o) => o.objectType === objectType && o.field === field);
    if (rows.length === 0) continue;
    const sum = (pick: (o: LinkObservation) => boolean) => rows.filter(pick).reduce((n, o) => n + o.records, 0);
    const records = sum(() => true);
    const correct = sum((o) => o.expectedSet && o.matched);
    owners[objectType] = {
      field,
      records,
      correct,
      fallback: sum((o) => o.expectedSet && o.expectedFallback),
      wrong: records - correct,
      notAMigrationUser: sum((o) => o.actualSet && !o.actualKnownUser),
    };
  }
  const allLinks = Object.values(links).flatMap((l) => Object.values(l));
  const allOwners = Object.values(owners);
  const totals = {
    linksExpected: allLinks.reduce((n, l) => n + l.expected, 0),
    linksCorrect: allLinks.reduce((n, l) => n + l.correct, 0),
    ownersChecked: allOwners.reduce((n, o) => n + o.records, 0),
    ownersCorrect: allOwners.reduce((n, o) => n + o.correct, 0),
    fallbackOwners: allOwners.reduce((n, o) => n + o.fallback, 0),
  };
  const ok = allLinks.every((l) => l.correct === l.expected && l.unexpected === 0) && allOwners.every((o) => o.wrong === 0 && o.notAMigrationUser === 0);
  return { from, links, owners, totals, ok, warnings: fallbackOwnerWarnings(owners, totals.fallbackOwners) };
}

/**
 * Records owned by the fallback owner (the token's user, or PIPEDRIVE_FALLBACK_OWNER_ID) are as the map says, but not
 * owned by their provider's user: a warning in every report, never a success.
 */
function fallbackOwnerWarnings(owners: LinkReconciliation['owners'], fallbackOwners: number): string[] {
  if (fallbackOwners === 0) return [];
  const perType = Object.entries(owners)
    .filter(([, o]) => o.fallback > 0)
    .map(([type, o]) => `${type} ${o.fallback}`)
    .join(', ');
  return [
    `${fallbackOwners} record(s) are owned by the fallback owner, not by their provider's Pipedrive user (${perType}): ` +
      "assign their providers a user in the mapping workbook's Owners sheet, or reassign the records in Pipedrive",
  ];
}

/** The PHI-free summary kept with the report (and shown by `starter report`). */
export function linkSummary(r: LinkReconciliation): Record<string, unknown> {
  if (r.from === null) return {};
  return { linksFrom: r.from, linksOk: r.ok, ...r.totals, ...(r.warnings.length ? { warnings: r.warnings } : {}) };
}
