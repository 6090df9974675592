import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import yaml from 'js-yaml';
import { PARSED_SPECS_CACHE, parseSpec } from '../../../packages/pipedrive-sandbox/src/spec';

/** The sandbox reads Pipedrive's specs through a JSON copy of the parsed YAML: the copy must be the same document. */
describe("the specs' parsed copy", () => {
  it('is written on the first read, named by the YAML it came from, and read back as the very document js-yaml parses', () => {
    // A small spec of its own, so the test neither waits for the real ones nor races other files reading them.
    const text = `openapi: 3.0.1\npaths:\n  /x:\n    get:\n      operationId: x-${process.pid}-${Date.now()}\n`;
    const copy = path.join(PARSED_SPECS_CACHE, `${createHash('sha256').update(text).digest('hex')}.json`);
    rmSync(copy, { force: true });
    const first = parseSpec(text);
    expect(existsSync(copy)).toBe(true);
    expect(first).toEqual(yaml.load(text));
    expect(parseSpec(text)).toEqual(first);
    rmSync(copy, { force: true });
  });

  it('keeps no copy of a document JSON would change (an infinite number)', () => {
    const text = `openapi: 3.0.1\nmaximum: .inf\nid: ${process.pid}-${Date.now()}\n`;
    const copy = path.join(PARSED_SPECS_CACHE, `${createHash('sha256').update(text).digest('hex')}.json`);
    expect(parseSpec(text)).toEqual(yaml.load(text));
    expect(existsSync(copy)).toBe(false);
  });
});
