import { keptForReview } from '../../../src/activities/kept-for-review';
import { axisStart, renderAccuracyHtml, type AccuracyPageInput } from '../../../src/reports/accuracy-html';
import { GATE_COMMANDS } from '../../../src/workflows/gate-actions';

/** Values a real report's JSON holds in its discrepancies: none of them may reach the page. */
const PHI = ['Zoe Ng', 'zoe.ng@example.com', '1985-02-14', '+15555550123', 'INS-778812'];

const field = (object: string, name: string, compared: number, matched: number) => ({
  object,
  field: name,
  compared,
  matched,
  accuracy: (100 * matched) / compared,
});

function input(over: Partial<AccuracyPageInput> = {}): AccuracyPageInput {
  const byField = [
    field('person', 'name', 200, 200),
    field('person', 'emails', 200, 180),
    field('person', 'custom:Birth Date', 200, 200),
    field('deal', 'title', 50, 50),
    field('deal', 'value', 50, 49),
    field('activity', 'due_date', 100, 100),
  ];
  const byObject: AccuracyPageInput['byObject'] = {};
  for (const f of byField) {
    const o = (byObject[f.object] ??= { compared: 0, matched: 0, accuracy: 0, records: 10 });
    o.compared += f.compared;
    o.matched += f.matched;
    o.accuracy = (100 * o.matched) / o.compared;
  }
  const compared = byField.reduce((n, f) => n + f.compared, 0);
  const matched = byField.reduce((n, f) => n + f.matched, 0);
  return {
    migrationId: 'lakeside',
    runKind: 'sample',
    generatedAt: '2026-12-05T19:00:00.000Z',
    accuracy: (100 * matched) / compared,
    fieldsCompared: compared,
    recordsCompared: 260,
    threshold: 99,
    byObject,
    byField,
    byCategory: [
      { object: 'deal', category: 'value_mismatch', count: 1 },
      { object: 'person', category: 'value_mismatch', count: 4 },
    ],
    examples: [
      { objectType: 'deal', category: 'value_mismatch', sourceKey: 'plan:77', pipedriveId: '9001', fields: ['value'] },
      { objectType: 'person', category: 'value_mismatch', sourceKey: 'patient:12', pipedriveId: '501', fields: ['emails'] },
      { objectType: 'person', category: 'value_mismatch', sourceKey: 'patient:19', pipedriveId: null, fields: ['emails'] },
    ],
    rejected: [
      { objectType: 'person', reason: 'first_name: patient has neither a first nor a last name', records: 3, sourceKeys: ['patient:4', 'patient:8'] },
      {
        objectType: 'deal',
        reason: 'Pipedrive refused the record: 400 ERR_SCHEMA_VALIDATION_FAILED on POST /api/v2/deals',
        records: 1,
        sourceKeys: ['plan:3'],
      },
    ],
    keptForReview: keptForReview([
      { object_type: 'person', field: 'review:refused:emails', compared: '3', matched: '3' },
      { object_type: 'person', field: 'review:shortened:custom:Preferred Name', compared: '2', matched: '1' },
    ]),
    recreated: { person: 2 },
    ...over,
  };
}

/** The bars of one chart (its figure element), as data attributes. */
function bars(html: string, chartId: string): string[] {
  const figure = new RegExp(`<figure class="chart" id="${chartId}">([\\s\\S]*?)</figure>`, 'u').exec(html);
  expect(figure).not.toBeNull();
  return [...figure![1]!.matchAll(/<rect class="bar (?:ok|low)"([^>]*)>/gu)].map((m) => m[1]!.trim());
}

describe('the sample diff and verification page', () => {
  it('is self-contained: inline CSS and SVG, no scripts, no external assets', () => {
    const html = renderAccuracyHtml(input());
    expect(html).toMatch(/^<!doctype html>/u);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<link |src=|href="http/iu);
  });

  it('charts accuracy per object type and per field, one bar each, with the threshold marked', () => {
    const r = input();
    const html = renderAccuracyHtml(r);
    expect(bars(html, 'chart-objects')).toEqual(Object.keys(r.byObject).map((o) => expect.stringContaining(`data-object="${o}"`)));
    for (const object of ['person', 'deal', 'activity']) {
      const fields = r.byField.filter((f) => f.object === object);
      const drawn = bars(html, `chart-fields-${object}`);
      expect(drawn).toHaveLength(fields.length);
      fields.forEach((f, i) => expect(drawn[i]).toContain(`data-field="${f.field}"`));
    }
    // Bars below the threshold are drawn as such: person.emails (90%), deal.value (98%) and person (96.67%); deal is at 99%.
    expect(html.match(/<rect class="bar low"/gu)).toHaveLength(3);
    expect(html.match(/class="threshold"/gu)!.length).toBe(4); // one line per chart
    expect(html).toContain('threshold 99%');
  });

  it('starts the bars where 97% and 99% look apart, and says where', () => {
    expect(axisStart([100, 99.5, 97.2], 99)).toBe(90);
    expect(axisStart([100, 90], 99)).toBe(80);
    expect(axisStart([100], 99)).toBe(90);
    expect(axisStart([100, 3], 99)).toBe(0);
    const html = renderAccuracyHtml(input());
    expect(html).toContain('The bars start at 80% (every accuracy on this page is above it)');
    expect(html.match(/class="axis">80%</gu)).toHaveLength(4);
  });

  it('shows the threshold it is given, not a number of its own', () => {
    const html = renderAccuracyHtml(input({ threshold: 97.5 }));
    expect(html).toContain('threshold 97.5%');
    expect(html).toContain('approval threshold of 97.5%');
    expect(html).not.toContain('threshold 99%');
  });

  it('at or above the threshold says what approving does and gives both commands for this migration', () => {
    const html = renderAccuracyHtml(input({ accuracy: 99.2 }));
    expect(html).toContain('at or above the approval threshold of 99%');
    expect(html).toContain('Approving starts the full run (FULL)');
    expect(html).toContain('class="decision above"');
    expect(html).toContain('npm run starter -- approve -m lakeside --gate SAMPLE_REVIEW --by &lt;you&gt;</pre>');
    expect(html).toContain('npm run starter -- reject -m lakeside --gate SAMPLE_REVIEW --by &lt;you&gt; --reason &lt;why&gt;</pre>');
  });

  it('below the threshold says what to look at, and that approval needs an override reason', () => {
    const r = input();
    expect(r.accuracy).toBeLessThan(99);
    const html = renderAccuracyHtml(r);
    expect(html).toContain('below the approval threshold of 99%');
    expect(html).toContain('class="decision below"');
    expect(html).toContain('approval needs a written override reason');
    expect(html).toContain('Start with the fields below the threshold: person.emails (90.00%), deal.value (98.00%)');
    expect(html).toContain('npm run starter -- reject -m lakeside --gate SAMPLE_REVIEW');
    expect(html).toContain('npm run starter -- approve -m lakeside --gate SAMPLE_REVIEW --by &lt;you&gt; --override-reason &lt;why&gt;</pre>');
  });

  it("takes the commands from the gates' one definition", () => {
    const html = renderAccuracyHtml(input({ runKind: 'full', accuracy: 100 }));
    const esc = (s: string) => s.replace(/</gu, '&lt;').replace(/>/gu, '&gt;');
    expect(html).toContain(esc(GATE_COMMANDS.VERIFY_REVIEW.approve.replace('<id>', 'lakeside')));
    expect(html).toContain(esc(GATE_COMMANDS.VERIFY_REVIEW.reject.replace('<id>', 'lakeside')));
    expect(html).toContain('goes on to DELTA without waiting');
    expect(html).toContain('<title>Verification — lakeside</title>');
    expect(renderAccuracyHtml(input({ runKind: 'full' }))).toContain('the migration waits at VERIFY_REVIEW');
  });

  it('lists the discrepancy categories with example ids: source key and Pipedrive id, fields, no values', () => {
    const html = renderAccuracyHtml(input());
    const categories = /<h2 id="categories">[\s\S]*?<\/table>/u.exec(html)![0];
    expect(categories).toContain('<code>patient:12</code> → Pipedrive 501 (emails)');
    expect(categories).toContain('<code>patient:19</code> → no Pipedrive record (emails)');
    expect(categories).toContain('<code>plan:77</code> → Pipedrive 9001 (value)');
    expect(categories).toContain('<code>value_mismatch</code>');
    expect(categories.match(/<tr>/gu)).toHaveLength(1 + 2);
  });

  it('lists rejected records with their reasons and source keys', () => {
    const html = renderAccuracyHtml(input());
    const rejected = /<h2 id="rejected">[\s\S]*?<\/table>/u.exec(html)![0];
    expect(rejected).toContain('Rejected records <span class="warn">4</span>');
    expect(rejected).toContain('first_name: patient has neither a first nor a last name');
    expect(rejected).toContain('<code>patient:4</code>, <code>patient:8</code> … and 1 more');
    expect(rejected).toContain('400 ERR_SCHEMA_VALIDATION_FAILED on POST /api/v2/deals');
    expect(renderAccuracyHtml(input({ rejected: [] }))).toContain('Rejected records <span class="good">0</span>');
  });

  it('prints no compared value, even when the caller passes the JSON report with its discrepancies', () => {
    const withValues = {
      ...input(),
      discrepancies: PHI.map((v, i) => ({
        object_type: 'person',
        source_key: `patient:${i}`,
        field: 'emails',
        category: 'value_mismatch',
        expected: v,
        actual: `${v}x`,
      })),
    };
    const html = renderAccuracyHtml(withValues);
    for (const value of PHI) expect(html).not.toContain(value);
    expect(html).not.toMatch(/expected|actual/iu);
  });

  it('keeps the values-kept-for-review, recreated, links and owners parts', () => {
    const links: AccuracyPageInput['links'] = {
      from: 'sample',
      links: { deal: { 'deal→person': { field: 'person_id', to: 'person', expected: 10, present: 10, correct: 10, missing: 0, wrong: 0, unexpected: 0 } } },
      owners: { deal: { field: 'owner_id', records: 10, correct: 10, fallback: 3, wrong: 0, notAMigrationUser: 0 } },
      totals: { linksExpected: 10, linksCorrect: 10, ownersChecked: 10, ownersCorrect: 10, fallbackOwners: 3 },
      ok: true,
      warnings: ['3 record(s) are owned by the fallback owner'],
    };
    const html = renderAccuracyHtml(input({ links }));
    expect(html).toContain('4/5 on their record in Pipedrive');
    expect(html).toContain('<td>custom:Preferred Name</td><td>shortened</td><td class="num">2</td><td class="num">1</td>');
    expect(html).toContain('Recreated (the record the id map held was gone from Pipedrive): person 2.');
    expect(html).toContain('10/10 correct');
    expect(html).toContain('<span class="warn">10/10 correct</span>, 3 fallback');
    expect(html).toContain('<b>Warning:</b> 3 record(s) are owned by the fallback owner');
  });
});
