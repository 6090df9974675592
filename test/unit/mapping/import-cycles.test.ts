import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const MAPPING = path.resolve(__dirname, '..', '..', '..', 'src', 'mapping');

/** Each module under `dir` and the modules under `dir` it imports or re-exports from, type-only imports included. */
function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const visit = (folder: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) visit(file);
      else if (entry.name.endsWith('.ts')) {
        const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
        const targets = importedFiles
          .map((i) => i.fileName)
          .filter((name) => name.startsWith('.'))
          .map((name) => resolveModule(path.resolve(path.dirname(file), name)))
          .filter((target): target is string => target !== undefined && target.startsWith(dir + path.sep));
        graph.set(
          path.relative(dir, file),
          targets.map((t) => path.relative(dir, t)),
        );
      }
    }
  };
  visit(dir);
  return graph;
}

function resolveModule(base: string): string | undefined {
  return [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => fs.existsSync(candidate));
}

/** One cycle as the path that closes it (a → b → a), or undefined when the graph has none. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const walk = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = walk(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of [...graph.keys()].sort()) {
    const cycle = walk(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('the mapping layer imports', () => {
  it('form no cycle, type-only imports included: the map names transforms and derived sources, never their implementations', () => {
    const graph = importGraph(MAPPING);
    expect(graph.get('field-map.ts')).toEqual(expect.arrayContaining(['transform-names.ts', 'derived-names.ts']));
    expect(findCycle(graph)).toBeUndefined();
  });

  it('the check finds a cycle, type-only imports and re-exports included', () => {
    expect(
      findCycle(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', ['c.ts']],
          ['c.ts', ['b.ts']],
        ]),
      ),
    ).toEqual(['b.ts', 'c.ts', 'b.ts']);
    const { importedFiles } = ts.preProcessFile("import type { A } from './a';\nimport { type B } from './b';\nexport { C } from './c';", true, true);
    expect(importedFiles.map((i) => i.fileName)).toEqual(['./a', './b', './c']);
  });
});
