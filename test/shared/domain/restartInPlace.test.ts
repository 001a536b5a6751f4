import { restartBudget, stoppedOnItsOwn } from '../../../shared/domain/restartInPlace';
import { ago, now, primaryAgent, type AgentKind } from './failoverFixtures';

describe('restartBudget', () => {
  it.each([
    ['no restarts', [], 0, 3],
    ['two restarts inside the window', [ago(60), ago(600)], 2, 1],
    ['a restart just inside the window', [ago(899)], 1, 2],
    ['a restart exactly one window old', [ago(900)], 0, 3],
    ['restarts older than the window', [ago(901), ago(5000)], 0, 3],
    ['more restarts than the bound', [ago(1), ago(2), ago(3), ago(4)], 4, 0],
    ['a restart time that does not parse', ['yesterday'], 1, 2],
  ])('counts %s', (_name, restarts, used, remaining) => {
    const budget = restartBudget(restarts, 3, 900, now);
    expect([budget.used, budget.remaining]).toEqual([used, remaining]);
  });

  it('lists the counted restarts oldest first', () => {
    expect(restartBudget([ago(10), ago(2000), ago(300)], 3, 900, now).counted).toEqual([ago(300), ago(10)]);
  });

  it('allows no restart at all when the bound is zero', () => {
    expect(restartBudget([], 0, 900, now).remaining).toBe(0);
  });
});

describe('stoppedOnItsOwn', () => {
  it.each<[AgentKind, boolean]>([
    ['crashed', true],
    ['running', false],
    ['stop-ordered', false],
    ['hung', false],
    ['silent', false],
    ['absent', false],
    ['fenced', false],
  ])('says a Primary agent that is %s reports a service stopped on its own: %s', (kind, expected) => {
    expect(stoppedOnItsOwn(primaryAgent(kind))).toBe(expected);
  });

  it('does not trust a stopped service reported by an agent that has since gone silent', () => {
    const agent = { ...primaryAgent('crashed')!, alive: false, silentForSeconds: 120 };
    expect(stoppedOnItsOwn(agent)).toBe(false);
  });
});
