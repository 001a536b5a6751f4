import type { FailoverResult } from '../../../shared/contracts/failoverContract';

/** A completed failover's result as the orchestrator hands it to the close step; override what a test needs. */
export function failoverResult(overrides: Partial<FailoverResult> = {}): FailoverResult {
  return {
    pairId: 'erp',
    instanceId: 'failover-erp',
    outcome: 'completed',
    code: 'COMPLETED',
    detail: 'The Secondary (ADT-SEC01) runs adTempus and owns the lock.',
    trigger: 'automatic',
    startedAt: '2026-11-22T03:00:00.000Z',
    endedAt: '2026-11-22T03:12:30.000Z',
    steps: [{ step: 'open', startedAt: '2026-11-22T03:00:00.000Z', endedAt: '2026-11-22T03:00:01.000Z', outcome: 'done', detail: 'opened' }],
    done: ['open: opened'],
    left: [],
    epoch: 5,
    timings: { detectionSeconds: 600, rtoSeconds: 1350, stepSeconds: { open: 1 } },
    ...overrides,
  };
}

