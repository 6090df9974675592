import { keptForReview } from '../../../src/activities/kept-for-review';

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
});
