import type { DataQualityReport, KeyList } from './report';

/** Rows of any one list shown on the page; the JSON report has up to `maxListed`. */
const HTML_LIST_LIMIT = 200;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

type Cell = string | number | boolean | null | undefined;

const fmt = (value: Cell): string => {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 2 });
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return value;
};
const money = (value: number): string => value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percent = (rate: number): string => `${(rate * 100).toFixed(2)}%`;
const bytes = (n: number): string => {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
};

function table(headers: string[], rows: Cell[][], options: { numericFrom?: number; bad?: (row: Cell[]) => boolean } = {}): string {
  if (rows.length === 0) return '<p class="none">None.</p>';
  const numericFrom = options.numericFrom ?? headers.length;
  const head = headers.map((h, i) => `<th${i >= numericFrom ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .slice(0, HTML_LIST_LIMIT)
    .map((row) => {
      const cells = row.map((cell, i) => `<td${i >= numericFrom ? ' class="num"' : ''}>${escapeHtml(fmt(cell))}</td>`).join('');
      return `<tr${options.bad?.(row) ? ' class="bad"' : ''}>${cells}</tr>`;
    })
    .join('\n');
  const more = rows.length > HTML_LIST_LIMIT ? `<p class="more">${fmt(rows.length - HTML_LIST_LIMIT)} more rows in the JSON report.</p>` : '';
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>${more}`;
}

function keys(list: KeyList): string {
  if (list.count === 0) return '<span class="none">none</span>';
  const shown = list.keys.slice(0, HTML_LIST_LIMIT).map(escapeHtml).join(', ');
  const hidden = list.count - Math.min(list.keys.length, HTML_LIST_LIMIT);
  return `<span class="keys">${shown}${hidden > 0 ? ` … and ${fmt(hidden)} more` : ''}</span>`;
}

function tile(label: string, value: string, warn = false): string {
  return `<div class="tile${warn ? ' warn' : ''}"><div class="value">${escapeHtml(value)}</div><div class="label">${escapeHtml(label)}</div></div>`;
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

const p = (text: string): string => `<p>${escapeHtml(text)}</p>`;

/** The report as one self-contained HTML page: inline CSS, no scripts, no external assets. */
export function renderDataQualityHtml(report: DataQualityReport): string {
  const r = report;
  const t = r.targetObjects;
  const title = `Data Quality Report — ${r.practice.name ?? r.migrationId}`;
  const tiles = [
    tile('patient records', fmt(r.duplicatePatients.patientRecords)),
    tile(
      'probable duplicates',
      `${fmt(r.duplicatePatients.duplicateRecords)} (${percent(r.duplicatePatients.rate)})`,
      r.duplicatePatients.duplicateRecords > 0,
    ),
    tile('patients without email', fmt(r.contactQuality.patientsWithoutEmail.count), r.contactQuality.patientsWithoutEmail.count > 0),
    tile(
      'invalid phones',
      fmt(r.contactQuality.phones.malformed + r.contactQuality.phones.notValid),
      r.contactQuality.phones.malformed + r.contactQuality.phones.notValid > 0,
    ),
    tile('invalid emails', fmt(r.contactQuality.emails.invalid), r.contactQuality.emails.invalid > 0),
    tile('invalid dates', fmt(r.dates.invalidTotal + r.dates.implausibleTotal), r.dates.invalidTotal + r.dates.implausibleTotal > 0),
    tile('orphan references', fmt(r.orphanReferences.total), r.orphanReferences.total > 0),
    // Claims and ledger entries both named: DELTA and `cutover` count claims by the same definition (src/store/claims.ts).
    tile('in-flight claims', `${fmt(r.inFlightClaims.claims)} (${fmt(r.inFlightClaims.ledgerEntries)} ledger entries)`, r.inFlightClaims.claims > 0),
    tile('rows rejected', fmt(r.sourceTables.totals.rowsRejected), r.sourceTables.totals.rowsRejected > 0),
    tile('PHI fields to review', fmt(r.phiFields.fields.length), r.phiFields.fields.length > 0),
  ].join('\n');

  const sections = [
    section(
      'source',
      'Source tables: nothing dropped silently',
      p(
        r.sourceTables.allReconciled
          ? 'Every table reconciles: rows read = rows staged + rows rejected.'
          : 'Some tables do not reconcile (highlighted): rows read ≠ rows staged + rows rejected, or the store holds a different number.',
      ) +
        table(
          ['table', 'manifest rows', 'read', 'staged', 'rejected', 'in store', 'warnings', 'reconciled'],
          [
            ...r.sourceTables.tables.map((s) => [s.table, s.manifestRows, s.rowsRead, s.rowsStaged, s.rowsRejected, s.rowsInStore, s.warnings, s.reconciled]),
            [
              'total',
              null,
              r.sourceTables.totals.rowsRead,
              r.sourceTables.totals.rowsStaged,
              r.sourceTables.totals.rowsRejected,
              null,
              r.sourceTables.totals.warnings,
              r.sourceTables.allReconciled,
            ],
          ],
          { numericFrom: 1, bad: (row) => row[7] === false },
        ) +
        '<h3>Problems the readers reported</h3>' +
        table(
          ['table', 'column', 'severity', 'reason', 'rows'],
          r.sourceIssues.map((i) => [i.table, i.column, i.severity, i.reason, i.count]),
          { numericFrom: 4 },
        ),
    ),
    section(
      'targets',
      'What the extract becomes in Pipedrive',
      table(
        ['Pipedrive object', 'from', 'records'],
        [
          [
            'Persons',
            `${fmt(t.persons.activePatients)} active, ${fmt(t.persons.inactivePatients)} inactive, ${fmt(t.persons.archivedPatients)} archived patients, ${fmt(t.persons.nonPatientGuarantors)} non-patient guarantors, ${fmt(t.persons.newPatientBookings)} new-patient bookings`,
            t.persons.total,
          ],
          [
            'Organizations',
            `${fmt(t.organizations.households)} households (of ${fmt(t.organizations.families)} families), ${fmt(t.organizations.employers)} employers, ${fmt(t.organizations.referralSources)} referral sources, ${fmt(t.organizations.carriers)} carriers`,
            t.organizations.total,
          ],
          ['Products', 'CDT procedure codes', t.products.total],
          ['Deals', 'treatment plans', t.deals.total],
          ['Deal products', `procedures in plans (${fmt(t.dealProducts.proceduresOutsidePlans)} outside any plan stay reference data)`, t.dealProducts.total],
          ['Activities', `${fmt(t.activities.appointments)} appointments, ${fmt(t.activities.recalls)} recalls`, t.activities.total],
          ['Notes', 'clinical notes (only if approved)', t.notes.total],
          ['Files', `non-imaging documents (${fmt(t.files.imagingDocumentsAsLinks)} imaging files stay in the archive, linked)`, t.files.total],
          [
            'Users (resolved, not created)',
            "providers: matched to the account's users at MAPPING_REVIEW (the owners report); one without a user leaves its records on the fallback owner",
            t.users.providers,
          ],
        ],
        { numericFrom: 2 },
      ),
    ),
    section(
      'duplicates',
      'Probable duplicate patients',
      p(r.duplicatePatients.rule) +
        p(
          `${fmt(r.duplicatePatients.duplicateRecords)} duplicate records in ${fmt(r.duplicatePatients.groups)} groups out of ${fmt(r.duplicatePatients.patientRecords)} patient records (${percent(r.duplicatePatients.rate)}); ${fmt(r.duplicatePatients.pairsWithContactEvidence)} pairs also share an email, phone or address.`,
        ) +
        table(
          ['patient id', 'probable original', 'matched'],
          r.duplicatePatients.pairs.map((d) => [d.patientId, d.duplicateOfPatientId, d.matched.join(', ')]),
        ),
    ),
    section(
      'contacts',
      'Contact details',
      `<h3>Patients without email</h3>` +
        p(
          `${fmt(r.contactQuality.patientsWithoutEmail.count)} patient records have no email (${
            Object.entries(r.contactQuality.patientsWithoutEmail.byStatus)
              .map(([s, n]) => `${s}: ${fmt(n)}`)
              .join(', ') || 'none'
          }); they get the "no email" flag in Pipedrive.`,
        ) +
        `<p>Patient ids: ${keys(r.contactQuality.patientsWithoutEmail)}</p>` +
        `<h3>Emails</h3>` +
        p(
          `${r.contactQuality.emails.rule}. ${fmt(r.contactQuality.emails.checked)} checked, ${fmt(r.contactQuality.emails.invalid)} invalid, ${fmt(r.contactQuality.emails.needsCleanup)} valid after cleanup.`,
        ) +
        table(
          ['table', 'column', 'checked', 'invalid', 'needs cleanup'],
          r.contactQuality.emails.byColumn.map((c) => [c.table, c.column, c.checked, c.invalid, c.needsCleanup]),
          { numericFrom: 2 },
        ) +
        table(
          ['table', 'key', 'column', 'problems'],
          r.contactQuality.emails.items.map((i) => [i.table, i.key, i.column, i.problems.join(', ')]),
        ) +
        `<h3>Phones</h3>` +
        p(
          `${r.contactQuality.phones.rule}; numbers without a country code are read as ${r.contactQuality.phones.defaultRegion}. ${fmt(r.contactQuality.phones.checked)} checked, ${fmt(r.contactQuality.phones.malformed)} malformed, ${fmt(r.contactQuality.phones.notValid)} not valid.`,
        ) +
        table(
          ['table', 'column', 'checked', 'malformed', 'not valid'],
          r.contactQuality.phones.byColumn.map((c) => [c.table, c.column, c.checked, c.malformed, c.notValid]),
          { numericFrom: 2 },
        ) +
        table(
          ['table', 'key', 'column', 'problem'],
          r.contactQuality.phones.items.map((i) => [i.table, i.key, i.column, i.problems.join(', ')]),
        ),
    ),
    section(
      'values-for-review',
      'Values kept for review',
      p(`${r.valuesForReview.rule}. ${fmt(r.valuesForReview.total)} values, none dropped.`) +
        table(
          ['table', 'column', 'target', 'kind', 'limit', 'values'],
          r.valuesForReview.byField.map((g) => [g.table, g.column, g.target, g.kind, g.limit ?? '', g.values]),
          { numericFrom: 5 },
        ),
    ),
    section(
      'dates',
      'Dates',
      `<h3>Invalid (unreadable, staged as empty)</h3>` +
        table(
          ['table', 'column', 'reason', 'rows', 'keys'],
          r.dates.invalid.map((g) => [g.table, g.column, g.reason, g.rows.count, g.rows.keys.slice(0, 50).join(', ')]),
          { numericFrom: 3 },
        ) +
        `<h3>Implausible</h3>` +
        table(
          ['table', 'column', 'rule', 'rows', 'keys'],
          r.dates.implausible.map((g) => [g.table, g.column, g.rule, g.rows.count, g.rows.keys.slice(0, 50).join(', ')]),
          { numericFrom: 3 },
        ),
    ),
    section(
      'orphans',
      'Orphan references',
      p('Rows that point at a row the extract does not have (deleted in Dentrix, never extracted, or rejected by the reader).') +
        table(
          ['table', 'column', 'references', 'rows', 'missing keys', 'rows (first keys)'],
          r.orphanReferences.references.map((o) => [
            o.table,
            o.column,
            o.references + (o.referencedTablePresent ? '' : ' (table absent)'),
            o.rows.count,
            o.missingKeys.keys.slice(0, 20).join(', '),
            o.rows.keys.slice(0, 20).join(', '),
          ]),
          { numericFrom: 3 },
        ),
    ),
    section(
      'claims',
      'In-flight insurance claims (must clear before cutover)',
      p(`${r.inFlightClaims.rule}.`) +
        p(
          `${fmt(r.inFlightClaims.claims)} claims over ${fmt(r.inFlightClaims.ledgerEntries)} ledger entries for ${fmt(r.inFlightClaims.guarantors)} guarantors; charges ${money(r.inFlightClaims.charges)}, insurance still expected ${money(r.inFlightClaims.insuranceEstimate)}.`,
        ) +
        table(
          ['guarantor id', 'claims', 'ledger entries', 'charges', 'insurance expected'],
          r.inFlightClaims.byGuarantor.map((g) => [g.guarantorId, g.claims, g.ledgerEntries, money(g.charges), money(g.insuranceEstimate)]),
          { numericFrom: 1 },
        ),
    ),
    section(
      'volume',
      'Clinical notes and imaging',
      table(
        ['measure', 'value'],
        [
          ['clinical notes', r.clinicalNotes.notes],
          ['with text', r.clinicalNotes.withText],
          ['total characters', r.clinicalNotes.totalCharacters],
          ['average characters', r.clinicalNotes.averageCharacters],
          ['longest note (characters)', r.clinicalNotes.longestCharacters],
          ['longest note id', r.clinicalNotes.longestNoteId],
          ['notes over 10,000 characters', r.clinicalNotes.over10kCharacters],
        ],
        { numericFrom: 1 },
      ) +
        p(
          `Imaging stays in the practice's archive (a link per person moves): ${fmt(r.documents.imaging.files)} files, ${bytes(r.documents.imaging.bytes)}. Documents that can move as Pipedrive files: ${fmt(r.documents.movableAsFiles.files)} files, ${bytes(r.documents.movableAsFiles.bytes)}.`,
        ) +
        table(
          ['document type', 'imaging', 'files', 'size'],
          r.documents.byType.map((d) => [d.docType, d.imaging, d.files, bytes(d.bytes)]),
          { numericFrom: 2 },
        ) +
        p(
          `Files of the documents that can move, checked as the upload checks them (inside the extract folder, a regular file, the declared size and SHA-256): ${fmt(r.documents.fileChecks.checked)} checked, ${fmt(r.documents.fileChecks.refused)} would be refused (each such document is rejected with its reason).`,
        ) +
        r.documents.fileChecks.byReason.map((f) => `<p>${escapeHtml(f.kind)} (${fmt(f.documents.count)}): ${keys(f.documents)}</p>`).join(''),
    ),
    section(
      'appointments',
      'Appointments',
      `<h3>New-patient bookings without a patient record</h3>` +
        p(
          `${fmt(r.appointments.newPatientWithoutRecord.count)} bookings (${fmt(r.appointments.newPatientWithoutRecord.upcoming)} upcoming), ${fmt(r.appointments.newPatientWithoutRecord.withName)} with a name and ${fmt(r.appointments.newPatientWithoutRecord.withPhone)} with a phone on the booking.`,
        ) +
        `<p>Appointment ids: ${keys(r.appointments.newPatientWithoutRecord)}</p>` +
        `<h3>Daylight-saving changes (${escapeHtml(r.appointments.dst.timezone ?? 'time zone unknown')})</h3>` +
        (r.appointments.dst.note ? p(r.appointments.dst.note) : '') +
        p(`${fmt(r.appointments.dst.checked)} appointments fall on days the clocks change.`) +
        `<p>At a local time that does not exist (gap): ${keys(r.appointments.dst.gap)}</p>` +
        `<p>At a local time that happens twice (overlap): ${keys(r.appointments.dst.overlap)}</p>`,
    ),
    section(
      'phi',
      'Fields that need HIPAA review before import',
      p(
        `List from: ${r.phiFields.source === 'mapping' ? 'the field map' : r.phiFields.source === 'option' ? 'the operator' : 'the extract format'}. Nothing in these fields moves until the practice's compliance review approves it.`,
      ) +
        table(
          ['field', 'rows with a value', 'rows', 'mapping rules', 'default de-identification'],
          r.phiFields.fields.map((f) => [
            f.field,
            f.rowsWithValue,
            f.rowsInTable,
            f.mappingRules.map((m) => `${m.ruleId} → ${m.target} (${m.classification})`).join('; '),
            [...new Set(f.mappingRules.map((m) => m.defaultDeidentification))].join(', '),
          ]),
          { numericFrom: 1 },
        ),
    ),
  ];

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2430; margin: 0 auto; max-width: 1180px; padding: 24px; }
  h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #d8dde6; padding-bottom: 4px; }
  h3 { font-size: 15px; margin: 18px 0 6px; } .meta { color: #5b6576; margin: 0 0 16px; }
  .tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
  .tile { border: 1px solid #d8dde6; border-radius: 6px; padding: 10px 12px; background: #f7f9fb; }
  .tile.warn { border-color: #e0a84a; background: #fff8ec; } .tile .value { font-size: 20px; font-weight: 600; } .tile .label { color: #5b6576; }
  table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; } th, td { border-bottom: 1px solid #e6e9ef; padding: 4px 8px; text-align: left; vertical-align: top; }
  th { background: #eef1f5; font-weight: 600; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.bad td { background: #fdecec; } .none, .more { color: #5b6576; } .keys { font-family: ui-monospace, monospace; font-size: 12px; }
  nav a { margin-right: 12px; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">Migration ${escapeHtml(r.migrationId)} · generated ${escapeHtml(r.generatedAt)} · time zone ${escapeHtml(r.practice.timezone ?? 'unknown')} · ids only: no names, birth dates, note or alert text, or insurance ids appear in this report.</p>
<div class="tiles">
${tiles}
</div>
<nav><p><a href="#source">Source</a><a href="#targets">Targets</a><a href="#duplicates">Duplicates</a><a href="#contacts">Contacts</a><a href="#dates">Dates</a><a href="#orphans">Orphans</a><a href="#claims">Claims</a><a href="#volume">Notes and imaging</a><a href="#appointments">Appointments</a><a href="#phi">PHI review</a></p></nav>
${sections.join('\n')}
</body>
</html>
`;
}
