import { gateRefusal, verificationProblems, type OpenGate } from '../../../src/workflows/gates';

const MAPPING: OpenGate = { gate: 'MAPPING_REVIEW' };
const SAMPLE: OpenGate = { gate: 'SAMPLE_REVIEW', sample: { run: 2, accuracy: 97.5, threshold: 99 } };
const approve = (input: object) => ({ kind: 'approve' as const, input: { gate: 'MAPPING_REVIEW' as const, by: 'Ana', ...input } });
const reject = (input: object) => ({ kind: 'reject' as const, input: { gate: 'SAMPLE_REVIEW' as const, by: 'Ana', reason: 'dates off', ...input } });

describe('gateRefusal: only a person opens a gate, and only one open now', () => {
  it('refuses any decision while no gate is open, naming the phase', () => {
    expect(gateRefusal(approve({}), undefined, 'EXTRACT')).toMatch(/^no gate is open \(the migration is at EXTRACT\)/u);
    expect(gateRefusal(reject({}), undefined, 'FULL')).toMatch(/^no gate is open \(the migration is at FULL\)/u);
  });

  it('refuses a decision for another gate than the open one', () => {
    expect(gateRefusal(approve({ gate: 'SAMPLE_REVIEW' }), MAPPING, 'MAPPING_REVIEW')).toBe('the migration waits at MAPPING_REVIEW, not SAMPLE_REVIEW');
  });

  it('needs who decides, and a reject needs its reason', () => {
    expect(gateRefusal(approve({ by: '  ' }), MAPPING, 'MAPPING_REVIEW')).toBe('an approval must say who decides (by)');
    expect(gateRefusal(reject({ reason: '' }), SAMPLE, 'SAMPLE_REVIEW')).toBe('a rejection must give its reason');
    expect(gateRefusal({ kind: 'approve', input: undefined as never }, MAPPING, 'MAPPING_REVIEW')).toMatch(/needs its input/u);
  });

  it('accepts an approval of the open MAPPING_REVIEW', () => {
    expect(gateRefusal(approve({ mapVersion: 3 }), MAPPING, 'MAPPING_REVIEW')).toBeUndefined();
  });

  it('refuses an approval of a sample the approver did not review', () => {
    expect(gateRefusal(approve({ gate: 'SAMPLE_REVIEW', sampleRun: 1, overrideReason: 'ok' }), SAMPLE, 'SAMPLE_REVIEW')).toMatch(
      /the sample you reviewed \(run 1\) is not the one at the gate \(run 2\)/u,
    );
  });

  it('refuses a below-threshold approval without a written override reason, and accepts it with one', () => {
    expect(gateRefusal(approve({ gate: 'SAMPLE_REVIEW', sampleRun: 2 }), SAMPLE, 'SAMPLE_REVIEW')).toMatch(/^accuracy 97\.50% is below 99%/u);
    expect(gateRefusal(approve({ gate: 'SAMPLE_REVIEW', sampleRun: 2, overrideReason: ' ' }), SAMPLE, 'SAMPLE_REVIEW')).toMatch(/below 99%/u);
    expect(gateRefusal(approve({ gate: 'SAMPLE_REVIEW', sampleRun: 2, overrideReason: 'accepted in writing' }), SAMPLE, 'SAMPLE_REVIEW')).toBeUndefined();
    const clean: OpenGate = { gate: 'SAMPLE_REVIEW', sample: { run: 1, accuracy: 99.5, threshold: 99 } };
    expect(gateRefusal(approve({ gate: 'SAMPLE_REVIEW' }), clean, 'SAMPLE_REVIEW')).toBeUndefined();
  });

  it('accepts a reject of the open gate whatever the accuracy', () => {
    expect(gateRefusal(reject({}), SAMPLE, 'SAMPLE_REVIEW')).toBeUndefined();
  });
});

describe('VERIFY_REVIEW: going on after a failed verification is a written decision', () => {
  const VERIFY: OpenGate = { gate: 'VERIFY_REVIEW' };

  it('refuses an approval without a written override reason, and accepts one with it', () => {
    expect(gateRefusal(approve({ gate: 'VERIFY_REVIEW' }), VERIFY, 'VERIFY_REVIEW')).toMatch(/written override reason/u);
    expect(gateRefusal(approve({ gate: 'VERIFY_REVIEW', overrideReason: '  ' }), VERIFY, 'VERIFY_REVIEW')).toMatch(/written override reason/u);
    expect(gateRefusal(approve({ gate: 'VERIFY_REVIEW', overrideReason: 'two test patients deleted on purpose' }), VERIFY, 'VERIFY_REVIEW')).toBeUndefined();
  });

  it('takes a rejection (a full rollback) only with its reason', () => {
    expect(gateRefusal(reject({ gate: 'VERIFY_REVIEW', reason: '' }), VERIFY, 'VERIFY_REVIEW')).toBe('a rejection must give its reason');
    expect(gateRefusal(reject({ gate: 'VERIFY_REVIEW' }), VERIFY, 'VERIFY_REVIEW')).toBeUndefined();
  });
});

describe('verificationProblems', () => {
  const objects = {
    person: { source: 10, migrated: 8, skipped: 1, rejected: 0 },
    deal: { source: 4, migrated: 4, skipped: 0, rejected: 0 },
  };

  it('finds nothing when the reconciliation balances and accuracy meets the threshold', () => {
    expect(verificationProblems(objects, true, 99.5, 99)).toEqual([]);
    expect(verificationProblems(objects, true, 99, 99)).toEqual([]);
  });

  it('names the object types that do not balance, with their counts', () => {
    expect(verificationProblems(objects, false, 100, 99)).toEqual([
      'reconciliation does not balance (source ≠ migrated + skipped + rejected): person 10 ≠ 8 + 1 + 0',
    ]);
  });

  it('reports accuracy below the threshold', () => {
    expect(verificationProblems(objects, true, 98.25, 99)).toEqual(['full-run accuracy 98.25% is below 99%']);
  });
});

describe('CANCEL_REVIEW: keeping what a cancelled migration wrote is a written decision', () => {
  const CANCEL: OpenGate = { gate: 'CANCEL_REVIEW' };
  it('refuses keeping the records without a reason; a rejection (roll back) needs its reason', () => {
    expect(gateRefusal(approve({ gate: 'CANCEL_REVIEW' }), CANCEL, 'CANCEL_REVIEW')).toMatch(/needs a written reason/u);
    expect(gateRefusal(approve({ gate: 'CANCEL_REVIEW', overrideReason: 'practice keeps them' }), CANCEL, 'CANCEL_REVIEW')).toBeUndefined();
    expect(gateRefusal(reject({ gate: 'CANCEL_REVIEW', reason: '' }), CANCEL, 'CANCEL_REVIEW')).toBe('a rejection must give its reason');
  });
});
