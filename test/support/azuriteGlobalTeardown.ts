import type { AzuriteInstance } from './azurite';
import { SHARED_AZURITE } from './azuriteGlobalSetup';

/** jest globalTeardown: stops the instance global setup started, and only that one. */
export default async function azuriteGlobalTeardown(): Promise<void> {
  const slot = globalThis as Record<symbol, AzuriteInstance | undefined>;
  const azurite = slot[SHARED_AZURITE];
  if (azurite === undefined) return;
  slot[SHARED_AZURITE] = undefined;
  await azurite.stop();
}
