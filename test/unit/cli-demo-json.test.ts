import { valuesKeptForReview } from '../../src/cli/demo';

describe("the demo's JSON line", () => {
  it('counts the values kept for review as the verification counted them, else the sample diff, else none', () => {
    const verification = { kind: 'verification', summary: { accuracy: 100, keptForReview: 7, keptForReviewMissing: 0 } };
    const sample = { kind: 'sample-diff', summary: { accuracy: 100, keptForReview: 3 } };
    expect(valuesKeptForReview([{ kind: 'data-quality', summary: { valuesForReview: 9 } }, sample, verification])).toBe(7);
    expect(valuesKeptForReview([sample])).toBe(3);
    expect(valuesKeptForReview([{ kind: 'verification', summary: { accuracy: 100 } }])).toBe(0);
  });
});
