import type { ResolvedDatabase } from '../../src/store/embedded';
import { dropTemplateDatabase } from './db';

/** Drops the run's template database; stops the embedded PostgreSQL the setup started (a server on 5432 is not the tests' to stop). */
export default async function postgresTeardown(): Promise<void> {
  await dropTemplateDatabase();
  await (globalThis as { __TEST_POSTGRES__?: ResolvedDatabase }).__TEST_POSTGRES__?.stop();
}
