import type { AgentCommand } from '../../shared/contracts/agentCommands';
import type { AdTempusInfoSource } from '../service/adTempusInfo';
import type { ServiceControl } from '../service/serviceControl.port';
import { describe } from '../service/stopAndDisable';
import type { DatabaseProbe, DiskSpaceReader } from './collaborators.port';
import { succeeded, type CommandHandler } from './commandHandler';

export interface StatusDeps {
  readonly control: ServiceControl;
  readonly info: AdTempusInfoSource;
  readonly diskPaths: readonly string[];
  readonly diskSpace: DiskSpaceReader;
  readonly databaseProbe?: DatabaseProbe;
  readonly fence: () => { readonly epochSeen: number; readonly activeHost?: string };
  readonly agentVersion: string;
}

/**
 * Everything a failover's preflight asks of a host, in one reply. Each part is read on its own:
 * one that fails is reported as such and the rest still arrive, so status itself never fails.
 */
export function statusHandler(deps: StatusDeps): CommandHandler<Extract<AgentCommand, { type: 'status' }>> {
  return async (_command, context) => {
    const [service, adTempus, disks, database] = await Promise.all([
      deps.control.query().then(
        (s) => ({ state: s.state, startupType: s.startupType, ...(s.pid !== undefined ? { pid: s.pid } : {}) }),
        (error: unknown) => ({ state: 'unknown', startupType: 'unknown', problem: describe(error) }),
      ),
      deps.info.read().catch(() => ({ problem: 'adTempus version and MachineID could not be read' })),
      Promise.all(
        [...new Set(deps.diskPaths)].map((path) =>
          deps.diskSpace(path).then(
            (space) => ({ path, ...space }),
            (error: unknown) => ({ path, problem: (error as NodeJS.ErrnoException).code ?? 'unreadable' }),
          ),
        ),
      ),
      deps.databaseProbe
        ? deps.databaseProbe.check().catch(() => ({ answers: false, detail: 'the probe failed' }))
        : Promise.resolve({ answers: null, detail: 'no database probe configured on this host' }),
    ]);
    const fence = deps.fence();
    return succeeded({
      service,
      adTempus,
      disks,
      database,
      fenced: context.fenced,
      epochSeen: fence.epochSeen,
      ...(fence.activeHost !== undefined ? { activeHost: fence.activeHost } : {}),
      agentVersion: deps.agentVersion,
    });
  };
}
