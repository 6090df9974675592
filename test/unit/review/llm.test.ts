import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultFieldMap } from '../../../src/mapping';
import { createMappingLlm, loadMappingLlmConfig, MappingLlmConfigError, refineWithLlm, type ReviewLogger } from '../../../src/review/llm';
import { CONFIDENT, proposalToFieldMap, proposeMap } from '../../../src/review/proposer';
import { profileValues, type ColumnProfiles } from '../../../src/review/value-profile';

interface FakeEndpoint {
  url: string;
  requests: { headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

/** A local OpenAI-compatible chat-completions endpoint answering with the given content. */
async function fakeEndpoint(answer: (body: unknown) => { status: number; content: string }): Promise<FakeEndpoint> {
  const requests: FakeEndpoint['requests'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      requests.push({ headers: req.headers, body });
      const { status, content } = answer(JSON.parse(body));
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content } }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function recordingLogger(): ReviewLogger & { warnings: unknown[][]; infos: unknown[][] } {
  const warnings: unknown[][] = [];
  const infos: unknown[][] = [];
  return {
    warnings,
    infos,
    warn: (...args: unknown[]) => void warnings.push(args),
    info: (...args: unknown[]) => void infos.push(args),
  };
}

const baseMap = defaultFieldMap();
// Distinctive values: none of them may reach the endpoint.
const profiles: ColumnProfiles = {
  patient: {
    usr_fld_9: profileValues(['Zebulonius Quark', 'Marmaduke Fennimore', 'Quixotica Lumen']),
    usr_fld_5: profileValues(['Platinum', 'Gilded', 'Platinum', 'Gilded', 'Platinum']),
    usr_fld_6: profileValues(['ZZ-ALPHA-991', 'ZZ-BRAVO-992', 'ZZ-CHARLIE-993']),
  },
};
const columnsByTable = { patient: ['patient_id', 'first_name', 'last_name', 'usr_fld_9', 'usr_fld_5', 'usr_fld_6'] };
const SAMPLE_VALUES = /Zebulonius|Marmaduke|Quixotica|Platinum|Gilded|ZZ-ALPHA|ZZ-BRAVO/u;

describe('mapping LLM', () => {
  it('is off unless MAPPING_LLM_URL is set, and names the missing setting', () => {
    expect(loadMappingLlmConfig({})).toBeNull();
    expect(loadMappingLlmConfig({ MAPPING_LLM_URL: '' })).toBeNull();
    expect(() => loadMappingLlmConfig({ MAPPING_LLM_URL: 'http://127.0.0.1:1/v1' })).toThrow(MappingLlmConfigError);
    expect(() => loadMappingLlmConfig({ MAPPING_LLM_URL: 'not a url', MAPPING_LLM_MODEL: 'm' })).toThrow(/MAPPING_LLM_URL/u);
    expect(loadMappingLlmConfig({ MAPPING_LLM_URL: 'http://127.0.0.1:1/v1', MAPPING_LLM_MODEL: 'm', MAPPING_LLM_API_KEY: 'k' })).toEqual({
      url: 'http://127.0.0.1:1/v1',
      model: 'm',
      apiKey: 'k',
      timeoutMs: 60_000,
    });
  });

  it('adds valid suggestions for unsure columns, drops invalid ones with a logged reason, and sends no values', async () => {
    const endpoint = await fakeEndpoint(() => ({
      status: 200,
      content: JSON.stringify({
        suggestions: [
          {
            table: 'patient',
            column: 'usr_fld_6',
            destination: 'custom',
            field_name: 'Legacy Account',
            field_type: 'varchar',
            confidence: 0.9,
            rationale: 'looks like an old account code',
          },
          { table: 'patient', column: 'usr_fld_5', destination: 'custom', field_name: 'Tier', field_type: 'monetary', confidence: 0.8, rationale: 'money?' },
          { table: 'patient', column: 'usr_fld_9', destination: 'contract', contract_column: 'first_name', confidence: 0.9, rationale: 'a name' },
          { table: 'patient', column: 'not_asked', destination: 'not_migrated', confidence: 0.9, rationale: '' },
          { table: 'patient', column: 'usr_fld_5', destination: 'custom', field_type: 'blob' },
        ],
      }),
    }));
    try {
      const proposal = proposeMap({ columnsByTable, profiles, baseMap });
      const logger = recordingLogger();
      const llm = createMappingLlm({ url: endpoint.url, model: 'test-model', apiKey: 'secret-key', timeoutMs: 5000 });
      const refined = await refineWithLlm(proposal, { baseMap, columnsByTable, profiles }, llm, logger);

      // The request: one chat completion, names and shapes only.
      expect(endpoint.requests).toHaveLength(1);
      const request = endpoint.requests[0]!;
      expect(request.headers.authorization).toBe('Bearer secret-key');
      expect(request.body).not.toMatch(SAMPLE_VALUES);
      const sent = JSON.parse(request.body) as { model: string; messages: { content: string }[] };
      expect(sent.model).toBe('test-model');
      const asked = JSON.parse(sent.messages[1]!.content) as { columns: { column: string; values: { description: string } }[] };
      expect(asked.columns.map((c) => c.column).sort()).toEqual(['usr_fld_5', 'usr_fld_6', 'usr_fld_9']);
      expect(asked.columns.find((c) => c.column === 'usr_fld_5')!.values.description).toContain('enumeration of 2 values');

      // The valid suggestion replaces the rules' unsure row, below the confident threshold and as PHI as before.
      const legacy = refined.find((r) => r.column === 'usr_fld_6')!;
      expect(legacy).toMatchObject({
        basis: 'llm',
        destination: { kind: 'custom', entity: 'person', field: 'Legacy Account', fieldType: 'varchar' },
        transform: { name: 'text' },
      });
      expect(legacy.confidence).toBeLessThan(CONFIDENT);
      expect(legacy.rationale).toBe('LLM suggestion: looks like an old account code');
      // Invalid ones leave the rules' proposal as it was.
      expect(refined.find((r) => r.column === 'usr_fld_5')).toEqual(proposal.find((r) => r.column === 'usr_fld_5'));
      expect(refined.find((r) => r.column === 'usr_fld_9')).toEqual(proposal.find((r) => r.column === 'usr_fld_9'));
      const reasons = logger.warnings.map(([fields]) => (fields as { reason: string }).reason);
      expect(reasons).toEqual([
        'a monetary field cannot be filled from a text column',
        'patient.first_name is in the extract or already has a stand-in',
        'not one of the columns asked about',
        'field type blob is not a Pipedrive custom field type',
      ]);
      expect(JSON.stringify(logger.warnings)).not.toMatch(SAMPLE_VALUES);
      expect(logger.infos[0]![0]).toEqual({ asked: 3, accepted: 1, dropped: 4 });
      expect(() => proposalToFieldMap(baseMap, refined)).not.toThrow();
    } finally {
      await endpoint.close();
    }
  });

  it('an endpoint failure keeps the proposal as the rules made it', async () => {
    const endpoint = await fakeEndpoint(() => ({ status: 503, content: 'overloaded' }));
    try {
      const proposal = proposeMap({ columnsByTable, profiles, baseMap });
      const logger = recordingLogger();
      const refined = await refineWithLlm(
        proposal,
        { baseMap, columnsByTable, profiles },
        createMappingLlm({ url: `${endpoint.url}/chat/completions`, model: 'm', apiKey: null, timeoutMs: 5000 }),
        logger,
      );
      expect(refined).toEqual(proposal);
      expect(endpoint.requests[0]!.headers.authorization).toBeUndefined();
      expect(logger.warnings[0]![0]).toMatchObject({ err: 'HTTP 503' });
    } finally {
      await endpoint.close();
    }
  });
});
