import { startAzurite, TEST_AZURITE_ENV, type AzuriteInstance } from './azurite';

/** The instance global teardown stops; jest runs both in its main process, sharing globalThis. */
export const SHARED_AZURITE = Symbol.for('adtempus-watchdog.test.sharedAzurite');

/**
 * jest globalSetup: one Azurite for the whole run, instead of about a second of start-up per
 * test file. Workers are forked after this returns, so they inherit the variable.
 */
export default async function azuriteGlobalSetup(): Promise<void> {
  // An instance provided from outside (CI, a developer's running Azurite) is used as is.
  if (process.env[TEST_AZURITE_ENV]) return;
  const azurite = await startAzurite();
  process.env[TEST_AZURITE_ENV] = azurite.connectionString;
  (globalThis as Record<symbol, AzuriteInstance | undefined>)[SHARED_AZURITE] = azurite;
}
