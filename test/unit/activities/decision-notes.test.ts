import { describeDecision } from '../../../src/activities/run';

describe('describeDecision: the audit note of a gate decision says what was decided', () => {
  it('a map approval names the map version and the PHI it lets through (rule ids and de-identification only)', () => {
    expect(describeDecision({ gate: 'MAPPING_REVIEW', decision: 'approve', by: 'Ana', mapVersion: 3 })).toBe('approve by Ana (map v3; PHI: none included)');
    expect(
      describeDecision({
        gate: 'MAPPING_REVIEW',
        decision: 'approve',
        by: 'Ana',
        phiInclude: [
          { rule: 'patient.birth_date', deidentify: 'year_only' },
          { rule: 'patient.medical_alerts', deidentify: 'mask' },
        ],
      }),
    ).toBe('approve by Ana (map latest proposed; PHI: patient.birth_date (year_only), patient.medical_alerts (mask))');
    expect(describeDecision({ gate: 'MAPPING_REVIEW', decision: 'approve', by: 'demo', mapVersion: 1, includeAllPhi: true })).toBe(
      'approve by demo (map v1; PHI: every rule included unchanged (SSN never moves))',
    );
  });

  it('a map rejection gives its reason, without map or PHI details', () => {
    expect(describeDecision({ gate: 'MAPPING_REVIEW', decision: 'reject', by: 'Ana', reason: 'dates off' })).toBe('reject by Ana: dates off');
  });

  it('sample decisions name the sample run; overrides keep their reason', () => {
    expect(describeDecision({ gate: 'SAMPLE_REVIEW', decision: 'approve_override', by: 'Ana', sampleRun: 2, reason: 'two known test rows' })).toBe(
      'approve_override by Ana (sample run 2): two known test rows',
    );
    expect(describeDecision({ gate: 'VERIFY_REVIEW', decision: 'approve_override', by: 'Bo', overrideReason: 'checked by hand' })).toBe(
      'approve_override by Bo: checked by hand',
    );
  });
});
