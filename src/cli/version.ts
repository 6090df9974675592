import fs from 'node:fs';
import path from 'node:path';

/** The product's version, from its package.json: the same file beside src/ (tsx) and dist/ (compiled). */
export function packageVersion(): string {
  const file = path.resolve(__dirname, '..', '..', 'package.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}
