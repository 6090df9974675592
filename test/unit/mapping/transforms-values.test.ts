import {
  composeHtml,
  composeText,
  deidentify,
  escapeHtml,
  htmlToComparableText,
  lookupValue,
  mask,
  monetary,
  planStageOf,
  recallDueDate,
  roundMoney,
  sumMoney,
  textToHtml,
  toCents,
  truncateChars,
  utf8Length,
  yearOnly,
} from '../../../src/mapping/transforms';
import { map } from './fixtures';

describe('recall due date', () => {
  it('uses due_date when present', () => {
    expect(recallDueDate('2025-01-15', '2024-07-01', 6, 1)).toEqual({ ok: true, date: '2025-01-15', computed: false });
  });
  it.each([
    ['2024-01-10', 6, 1, '2024-07-11'],
    ['2024-08-31', 6, 1, '2025-03-01'], // Aug 31 + 6 months clamps to Feb 28, then + 1 day
    ['2023-08-31', 6, 0, '2024-02-29'], // leap year month end
    ['2024-01-31', 1, 0, '2024-02-29'],
    ['2024-03-31', 0, 90, '2024-06-29'],
    ['2024-05-15', 12, null, '2025-05-15'],
  ])('NULL due date: %s + %d months + %s days = %s', (prior, months, days, expected) => {
    expect(recallDueDate(null, prior, months, days)).toEqual({ ok: true, date: expected, computed: true });
  });
  it('explains what is missing', () => {
    expect(recallDueDate(null, null, 6, 1)).toMatchObject({ ok: false, column: 'due_date' });
    expect(recallDueDate(null, '2024-01-01', null, null)).toMatchObject({ ok: false, column: 'interval' });
    expect(recallDueDate(null, '2024-13-01', 6, 0)).toMatchObject({ ok: false, column: 'prior_date' });
    expect(recallDueDate('0000-00-00', null, 6, 0)).toMatchObject({ ok: false, column: 'due_date' });
  });
});

describe('treatment-plan status → stage and deal status', () => {
  const statusMap = map().objects.pipelines[0]!.statusMap;
  it.each([
    ['Proposed', 'Proposed', 'open'],
    ['Accepted', 'Accepted', 'open'],
    ['in progress', 'In Progress', 'open'],
    ['  IN   PROGRESS ', 'In Progress', 'open'],
    ['Completed', 'Completed', 'won'],
    ['Rejected', 'Proposed', 'lost'],
    ['On Hold', 'On Hold', 'open'],
  ])('%j → stage %s, %s', (status, stage, dealStatus) => {
    expect(planStageOf(status, statusMap)).toMatchObject({ stage, status: dealStatus });
  });
  it('has no mapping for unknown or empty statuses', () => {
    expect(planStageOf('Deferred', statusMap)).toBeUndefined();
    expect(planStageOf(null, statusMap)).toBeUndefined();
  });
  it('gives lost plans a reason', () => {
    expect(planStageOf('Rejected', statusMap)?.lostReason).toBe('Rejected in Dentrix');
  });
  it('looks values up case-insensitively, numbers as text', () => {
    expect(lookupValue(1, { '1': 'Active' })).toBe('Active');
    expect(lookupValue('DOCTOR', { doctor: 'Doctor' })).toBe('Doctor');
  });
});

describe('money', () => {
  it.each([
    [1.005, 101],
    [0.1 + 0.2, 30],
    [-2.675, -268],
    [1234.5, 123450],
    [-0.004, 0],
  ])('%d → %d cents', (amount, cents) => {
    expect(toCents(amount)).toBe(cents);
  });
  it('sums in cents and keeps currency objects', () => {
    expect(sumMoney([0.1, 0.2, null, 0.3])).toBe(0.6);
    expect(sumMoney([null, undefined])).toBeNull();
    expect(roundMoney(10.555)).toBe(10.56);
    expect(monetary(99.999, 'usd')).toEqual({ value: 100, currency: 'USD' });
  });
});

describe('de-identification', () => {
  it('masks all but the last four characters', () => {
    expect(mask('XJ55512345')).toBe('******2345');
    expect(mask('123')).toBe('***');
    expect(deidentify(' AB-9876 ', 'mask')).toBe('***9876');
  });
  it('reduces dates to the year, and drops', () => {
    expect(yearOnly('1985-04-12')).toBe('1985');
    expect(yearOnly('April 1985')).toBeNull();
    expect(deidentify('1985-04-12', 'year_only')).toBe('1985');
    expect(deidentify('anything', 'drop')).toBeNull();
  });
});

describe('text, HTML and truncation', () => {
  it('escapes HTML and keeps line breaks', () => {
    expect(escapeHtml(`<b>"Tom" & 'Jerry'</b>`)).toBe('&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;');
    expect(textToHtml('line 1\r\nline <2>\nline 3')).toBe('line 1<br>line &lt;2&gt;<br>line 3');
  });

  it('truncates by characters without splitting surrogate pairs', () => {
    expect(truncateChars('abcdef', 4)).toEqual({ text: 'abcd', truncated: true });
    expect(truncateChars('ab😀cd', 3)).toEqual({ text: 'ab😀', truncated: true });
    expect(truncateChars('abc', 255)).toEqual({ text: 'abc', truncated: false });
    // Counted in characters, not UTF-16 units: four emoji are eight units but fit a limit of four.
    expect(truncateChars('😀😀😀😀', 4)).toEqual({ text: '😀😀😀😀', truncated: false });
    expect(truncateChars('😀😀😀😀x', 4)).toEqual({ text: '😀😀😀😀', truncated: true });
  });

  it('composes HTML within a byte limit, never cutting an entity, keeping the marker', () => {
    const marker = '[dentrix:clinical_note:1]';
    const full = composeHtml(['a & b', 'é'], marker, 1000);
    expect(full).toEqual({ text: `a &amp; b<br>é<br>${marker}`, truncated: false });
    const cut = composeHtml(['abc&def'], marker, 4 + 4 + marker.length + 1);
    expect(cut.truncated).toBe(true);
    expect(cut.text).toBe(`abc<br>${marker}`);
    expect(utf8Length(cut.text)).toBeLessThanOrEqual(4 + 4 + marker.length + 1);
    const multibyte = composeHtml(['ééé'], '', 5);
    expect(multibyte).toEqual({ text: 'éé', truncated: true });
  });

  it('composes HTML a line at a time as it would character by character, at every byte limit', () => {
    // The reference: every character escaped and counted on its own (what the line-at-a-time path must equal).
    const byCharacter = (parts: string[], suffix: string, maxBytes: number) => {
      const tail = suffix === '' ? '' : (parts.length > 0 ? '<br>' : '') + suffix;
      let budget = maxBytes - utf8Length(tail);
      let html = '';
      const lines = parts.flatMap((p) => p.replace(/\r\n?/gu, '\n').split('\n'));
      for (const [i, line] of lines.entries()) {
        if (i > 0) {
          if (budget < 4) return { text: html + tail, truncated: true };
          html += '<br>';
          budget -= 4;
        }
        for (const char of line) {
          const escaped = escapeHtml(char);
          const bytes = escaped === char ? utf8Length(char) : escaped.length;
          if (bytes > budget) return { text: html + tail, truncated: true };
          html += escaped;
          budget -= bytes;
        }
      }
      return { text: html + tail, truncated: false };
    };
    const parts = ['Pt. said "ok" & left <early>', 'ünïcode é 😀 line\r\nnext\rthird', "it's"];
    for (const suffix of ['', '[dentrix:clinical_note:1]']) {
      for (let maxBytes = 0; maxBytes <= 160; maxBytes++) {
        expect(composeHtml(parts, suffix, maxBytes)).toEqual(byCharacter(parts, suffix, maxBytes));
      }
    }
  });

  it('composes a 100 KB note quickly and within the limit', () => {
    const long = 'x'.repeat(150_000);
    const result = composeHtml([long], '[dentrix:clinical_note:1]', 100_000);
    expect(result.truncated).toBe(true);
    expect(utf8Length(result.text)).toBeLessThanOrEqual(100_000);
    expect(result.text.endsWith('[dentrix:clinical_note:1]')).toBe(true);
  });

  it('composes plain text with the marker as the last line', () => {
    expect(composeText(['Tooth 3, surfaces MOD'], '[dentrix:procedure:77]', null).text).toBe('Tooth 3, surfaces MOD\n[dentrix:procedure:77]');
    expect(composeText([], '[dentrix:procedure:77]', null).text).toBe('[dentrix:procedure:77]');
    expect(composeText(['abcdef'], 'M', 4)).toEqual({ text: 'ab\nM', truncated: true });
  });

  it('reads back sanitised HTML as comparable text', () => {
    expect(htmlToComparableText('<p>a &amp; b<br/>c&#39;s &#x27;x&#x27;</p>')).toBe("a & b\nc's 'x'");
    expect(htmlToComparableText('a &lt;b&gt;<br>c')).toBe('a <b>\nc');
  });
});
