/**
 * Entry point of the Functions app (package.json "main"). The configuration is validated
 * before any function is registered: a bad configuration stops start-up with every problem
 * named in the host's log, instead of failing later inside a timer.
 */
import { appServices } from '../shared/composition/appServices';

appServices();

/* eslint-disable @typescript-eslint/no-require-imports -- registration must follow validation */
require('./heartbeatMonitor');
require('./backupMonitor');
require('./agentInbox');
require('./http/listPairs');
require('./http/getPair');
require('./http/requestFailover');
require('./http/getFailover');
require('./http/approveFailover');
require('./http/rejectFailover');
require('./http/cancelFailover');
require('./http/setMaintenance');
require('./http/clearMaintenance');
require('./http/acknowledgeFailover');
require('../orchestrations/failover/failover.orchestrator');
require('../orchestrations/failover/activities');
