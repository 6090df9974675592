import { keptForReview, keptForReviewHtml } from '../../../src/activities/kept-for-review';

describe('values kept for review in the sample diff and the verification', () => {
  const perField = [
    { object_type: 'person', field: 'emails', compared: '40', matched: '40' },
    { object_type: 'person', field: 'review:refused:emails', compared: '3', matched: '3' },
    { object_type: 'person', field: 'review:refused:emails#2', compared: '1', matched: '1' },
    { object_type: 'person', field: 'review:shortened:custom:Preferred Name', compared: '2', matched: '1' },
    { object_type: 'note', field: 'review:shortened:content', compared: '1', matched: '0' },
  ];

  it('counts the source-side rows by object, field and kind, and how many Pipedrive holds', () => {
    expect(keptForReview(perField)).toEqual({
      values: 7,
      inPipedrive: 5,
      byField: [
        { object: 'note', field: 'content', kind: 'shortened', values: 1, inPipedrive: 0 },
        { object: 'person', field: 'custom:Preferred Name', kind: 'shortened', values: 2, inPipedrive: 1 },
        { object: 'person', field: 'emails', kind: 'refused', values: 4, inPipedrive: 4 },
      ],
    });
  });

  it('renders counts and field names only', () => {
    const html = keptForReviewHtml(keptForReview(perField));
    expect(html).toContain('5/7 on their record in Pipedrive');
    expect(html).toContain('<td>custom:Preferred Name</td><td>shortened</td><td>2</td><td>1</td>');
  });
});
