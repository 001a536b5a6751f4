import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { invocationLogger } from '../shared/adapters/logging/invocationLogger';
import { ConfigError } from '../shared/domain/errors';
import { loadAgentConfig } from './config/agentConfig';
import { runAgent } from './runAgent';
import { describeTransportError } from './transport/serviceBusClient';

/**
 * The host agent's process: configuration, then the agent (agent/runAgent.ts), logging to the
 * console, which the Windows service wrapper keeps in its log files. Runs as a Windows service
 * on each adTempus host; `node dist/agent/main.js`.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<() => Promise<void>> {
  const config = loadAgentConfig(env);
  const log = invocationLogger(console, { pairId: config.pairId, host: config.hostName });
  const agent = await runAgent(config, { log, agentVersion: packageVersion() });
  return () => agent.stop();
}

/** package.json's version, found from wherever the compiled file runs. */
function packageVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) return (JSON.parse(readFileSync(candidate, 'utf8')) as { version?: string }).version ?? 'unknown';
  }
  return 'unknown';
}

if (require.main === module) {
  main().then(
    (stop) => {
      const shutdown = (): void => {
        stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    },
    (error: unknown) => {
      // Every configuration problem at once; nothing else from the error (it may come from an SDK).
      if (error instanceof ConfigError) console.error(error.message);
      else console.error('agent could not start', describeTransportError(error));
      process.exit(1);
    },
  );
}
