import type { ResolvedDatabase } from '../../src/store/embedded';

/** Stops the embedded PostgreSQL the setup started (a server on 5432 is not the tests' to stop). */
export default async function postgresTeardown(): Promise<void> {
  await (globalThis as { __TEST_POSTGRES__?: ResolvedDatabase }).__TEST_POSTGRES__?.stop();
}
