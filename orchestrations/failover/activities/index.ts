/**
 * Registers every failover activity under its ACTIVITIES name (each file registers itself at its
 * bottom); the app's entry point loads this next to the orchestrator.
 */
import './gatherFacts';
import './sendCommand';
import './raiseEpoch';
import './primaryLockEvidence';
import './readOwner';
import './notify';
import './closeFailover';
