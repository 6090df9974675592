import { mergedDuplicates, valuesKeptForReview } from '../../src/cli/demo';

describe("the demo's JSON line", () => {
  it('counts the values kept for review as the verification counted them, else the sample diff, else none', () => {
    const verification = { kind: 'verification', summary: { accuracy: 100, keptForReview: 7, keptForReviewMissing: 0 } };
    const sample = { kind: 'sample-diff', summary: { accuracy: 100, keptForReview: 3 } };
    expect(valuesKeptForReview([{ kind: 'data-quality', summary: { valuesForReview: 9 } }, sample, verification])).toBe(7);
    expect(valuesKeptForReview([sample])).toBe(3);
    expect(valuesKeptForReview([{ kind: 'verification', summary: { accuracy: 100 } }])).toBe(0);
  });

  it('counts the merged duplicates as the reconciliation counted them, none before it', () => {
    expect(
      mergedDuplicates([
        { kind: 'approved-map', summary: { duplicatesMerged: 3 } },
        { kind: 'reconciliation', summary: { balanced: true, mergedDuplicates: 2 } },
      ]),
    ).toBe(2);
    expect(mergedDuplicates([{ kind: 'reconciliation', summary: { balanced: true, mergedDuplicates: 0 } }])).toBe(0);
    expect(mergedDuplicates([{ kind: 'approved-map', summary: { duplicatesMerged: 3 } }])).toBe(0);
  });
});
