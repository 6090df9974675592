import { fileNameWithKey, parseFileNameKey, reviewFileKey, reviewFileName } from '../../../src/mapping/source-keys';

describe('source keys in file names', () => {
  it('prefixes a document with its key and reads it back', () => {
    expect(fileNameWithKey('document:123', 'consent.pdf')).toBe('dentrix-document-123__consent.pdf');
    expect(parseFileNameKey('dentrix-document-123__consent.pdf')).toBe('document:123');
    expect(parseFileNameKey('dentrix-clinical_note-7__x.txt')).toBe('clinical_note:7');
    expect(parseFileNameKey('consent.pdf')).toBeUndefined();
  });

  it("names a record's review file by the record's key, of one segment or several, and reads that key back", () => {
    expect(reviewFileKey('patient:12')).toBe('review:patient:12');
    expect(reviewFileName('patient:12')).toBe('dentrix-review-patient-12__values-needing-review.txt');
    expect(parseFileNameKey(reviewFileName('patient:12'))).toBe('review:patient:12');
    expect(parseFileNameKey(reviewFileName('newpatient:appt:5'))).toBe('review:newpatient:appt:5');
    expect(() => fileNameWithKey('patient:abc', 'x')).toThrow(/cannot prefix a file name/u);
  });
});
