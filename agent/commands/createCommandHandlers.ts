import type { BackupShipper } from './collaborators.port';
import type { CommandHandlers } from './commandHandler';
import { restoreDatabaseHandler, type RestoreDeps } from './restoreDatabase';
import { shipBackupsHandler } from './shipBackups';
import { startServiceHandler } from './startService';
import { statusHandler, type StatusDeps } from './status';
import { stopServiceHandler, type ServiceCommandDeps } from './stopService';

export interface CommandHandlerDeps {
  readonly service: ServiceCommandDeps;
  readonly status: Omit<StatusDeps, 'control'>;
  readonly restore: Omit<RestoreDeps, 'control'>;
  readonly shipper?: BackupShipper;
}

/** One handler per command type, over the same service control. */
export function createCommandHandlers(deps: CommandHandlerDeps): CommandHandlers {
  const control = deps.service.control;
  return {
    status: statusHandler({ ...deps.status, control }),
    stopService: stopServiceHandler(deps.service),
    startService: startServiceHandler(deps.service),
    restoreDatabase: restoreDatabaseHandler({ ...deps.restore, control }),
    shipBackups: shipBackupsHandler(deps.shipper),
  };
}
