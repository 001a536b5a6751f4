import type { CommandContext } from '../../../agent/commands/commandHandler';
import { restoreDatabaseHandler } from '../../../agent/commands/restoreDatabase';
import { shipBackupsHandler } from '../../../agent/commands/shipBackups';
import type { ServiceControl } from '../../../agent/service/serviceControl.port';
import { silentLogger } from '../../../shared/ports/logger.port';
import { commands, envelope } from '../core/agentHarness';

/** A service control that fails the test if anything touches the service. */
const untouchable: ServiceControl = {
  query: () => Promise.reject(new Error('the service must not be queried')),
  setStartupType: () => Promise.reject(new Error('the startup type must not change')),
  start: () => Promise.reject(new Error('the service must not start')),
  stop: () => Promise.reject(new Error('the service must not stop')),
  kill: () => Promise.reject(new Error('the service must not be killed')),
};

function contextFor(command: Parameters<typeof envelope>[0]): CommandContext {
  return { envelope: envelope(command), fenced: false, log: silentLogger, progress: () => Promise.resolve() };
}

describe('a host without the settings a command needs', () => {
  it('answers NOT_CONFIGURED to a restore when no restore is set up, without touching the service or the disk', async () => {
    const command = commands.restore();
    let diskRead = false;
    const handler = restoreDatabaseHandler({
      control: untouchable,
      diskSpace: () => {
        diskRead = true;
        return Promise.reject(new Error('the disk must not be read'));
      },
    });

    const outcome = await handler(command as Extract<typeof command, { type: 'restoreDatabase' }>, contextFor(command));

    expect(outcome).toEqual({ ok: false, code: 'NOT_CONFIGURED', message: 'Restoring is not configured on this host' });
    expect(diskRead).toBe(false);
  });

  it('answers NOT_CONFIGURED to shipBackups when no backup shipper is set up', async () => {
    const command = commands.ship();

    const outcome = await shipBackupsHandler(undefined)(command as Extract<typeof command, { type: 'shipBackups' }>, contextFor(command));

    expect(outcome).toMatchObject({ ok: false, code: 'NOT_CONFIGURED' });
  });
});
