import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * The workflow sandbox only catches non-determinism at run time; the lint rule catches it at review time. These
 * cases lint source text as if it were a workflow module, so a loosened rule fails here.
 */
const root = path.resolve(__dirname, '../..');
const asWorkflowFile = path.join(root, 'src/workflows/budget.ts');

interface LintMessage { ruleId: string | null; message: string; line: number }

/** ESLint's flat config is an ES module, which jest's CommonJS runtime cannot load: lint in a child process. */
function restrictedImports(code: string): LintMessage[] {
  const run = spawnSync(path.join(root, 'node_modules/.bin/eslint'), ['--format', 'json', '--stdin', '--stdin-filename', asWorkflowFile], {
    cwd: root,
    input: code,
    encoding: 'utf8',
  });
  if (run.status !== 0 && run.status !== 1) throw new Error(`eslint exited ${run.status}: ${run.stderr}`);
  const [result] = JSON.parse(run.stdout) as Array<{ messages: LintMessage[] }>;
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports');
}

describe('lint rules for src/workflows', () => {
  jest.setTimeout(120_000);

  it('refuses I/O modules and value imports from outside src/workflows, one error per import', () => {
    const refused: Array<[string, string]> = [
      ["import { readFileSync } from 'node:fs';", 'Node I/O'],
      ["import { Pool } from 'pg';", 'I/O and heavy libraries'],
      ["import { createActivities } from '../activities';", 'import type'],
      ["import { loadEnv } from '../config';", 'import type'],
    ];
    const code = `${refused.map(([line]) => line).join('\n')}\nexport const used = [readFileSync, Pool, createActivities, loadEnv];\n`;
    const messages = restrictedImports(code);
    refused.forEach(([, expected], index) => {
      expect(messages.filter((m) => m.line === index + 1).map((m) => m.message).join('\n')).toContain(expected);
    });
  });

  it('allows type-only imports of activities and the workflow API', () => {
    const code =
      "import type { createActivities } from '../activities';\nimport { sleep } from '@temporalio/workflow';\n" +
      'export type A = ReturnType<typeof createActivities>;\nexport const s = sleep;\n';
    expect(restrictedImports(code)).toEqual([]);
  });
});
