import type * as AdaptiveCardsModule from 'adaptivecards';
import { escapeMarkdown, MAX_TEAMS_BODY_BYTES, toTeamsPayload } from '../../../../shared/adapters/notify/adaptiveCard';
import type { Notification, Severity } from '../../../../shared/domain/notification';

// The package's main entry is extensionless ESM that Node cannot load; the dist bundle loads.
const AdaptiveCards = require('adaptivecards/dist/adaptivecards.js') as typeof AdaptiveCardsModule;

const base: Notification = {
  id: 'erp:heartbeat:stale:2026-11-22T01:58:00Z',
  pairId: 'erp',
  condition: 'heartbeat',
  severity: 'critical',
  title: 'Primary heartbeat stale',
  summary: 'The Primary (ERP-SCHED-01) last wrote its heartbeat 7 minutes ago.',
  since: '2026-11-22T01:51:00Z',
  createdAt: '2026-11-22T01:58:00Z',
  facts: [
    { name: 'Owner', value: 'ERP-SCHED-01' },
    { name: 'Heartbeat age', value: '412 s (threshold 300 s)' },
  ],
  nextSteps: ['Check that ERP-SCHED-01 is up.', 'Approve the failover if it is down.'],
  link: 'https://watchdog.example.com/api/status/erp',
};

const notification = (overrides: Partial<Notification> = {}): Notification => ({ ...base, ...overrides });

type Card = Record<string, unknown>;
const cardOf = (n: Notification): Card => toTeamsPayload(n).attachments[0].content;
const bodyBytes = (n: Notification): number => Buffer.byteLength(JSON.stringify(toTeamsPayload(n)), 'utf8');

/** Everything the reference renderer reports when it parses and validates the card as 1.4. */
function validationProblems(card: Card): string[] {
  const parsed = new AdaptiveCards.AdaptiveCard();
  const context = new AdaptiveCards.SerializationContext(AdaptiveCards.Versions.v1_4);
  parsed.parse(card, context);
  const problems: string[] = [];
  for (let i = 0; i < context.eventCount; i++) problems.push(context.getEventAt(i).message);
  for (const event of parsed.validateProperties().validationEvents) problems.push(event.message);
  return problems;
}

/** Every object in the card that has a `type`, however deep. */
function typedNodes(value: unknown): Card[] {
  if (Array.isArray(value)) return value.flatMap(typedNodes);
  if (typeof value !== 'object' || value === null) return [];
  const node = value as Card;
  return [...(typeof node['type'] === 'string' ? [node] : []), ...Object.values(node).flatMap(typedNodes)];
}

const texts = (card: Card): string[] =>
  typedNodes(card).flatMap((node) => (node['type'] === 'TextRun' ? [node['text'] as string] : []));

const hugeFacts = Array.from({ length: 40 }, (_, i) => ({ name: `Column ${i}`, value: `${'x'.repeat(3000)} end ${i}` }));

describe('toTeamsPayload', () => {
  it('wraps the card the way a Workflows webhook expects', () => {
    const payload = toTeamsPayload(base);

    expect(payload).toMatchObject({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null }] });
    expect(payload.attachments).toHaveLength(1);
  });

  it('builds an Adaptive Card of version 1.4', () => {
    expect(cardOf(base)).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
  });

  it.each<[string, Notification]>([
    ['a complete notification', base],
    ['a notification without facts, steps or link', notification({ facts: [], nextSteps: [], link: undefined })],
    ['a shortened notification', notification({ facts: hugeFacts })],
  ])('produces a card that validates against schema 1.4 for %s', (_name, n) => {
    expect(validationProblems(cardOf(n))).toEqual([]);
  });

  it.each<[Severity, string]>([
    ['critical', 'attention'],
    ['warning', 'warning'],
    ['resolved', 'good'],
    ['info', 'default'],
  ])('colours the header of %s alerts with the %s style', (severity, style) => {
    const [header] = cardOf(notification({ severity })).body as Card[];

    expect(header).toMatchObject({ type: 'Container', style });
    expect(texts(header as Card).join('')).toContain(`${severity.toUpperCase()}: Primary heartbeat stale`);
  });

  it('shows the summary, the facts and the next steps as a numbered list', () => {
    const card = cardOf(base);

    expect(texts(card)).toEqual(expect.arrayContaining([base.summary, '1. Check that ERP-SCHED-01 is up.', '2. Approve the failover if it is down.']));
    expect(typedNodes(card).find((node) => node['type'] === 'FactSet')).toMatchObject({
      facts: [
        { title: 'Owner', value: 'ERP-SCHED-01' },
        { title: 'Heartbeat age', value: '412 s (threshold 300 s)' },
      ],
    });
  });

  it('offers the status link as the only action, an Action.OpenUrl', () => {
    const actions = typedNodes(cardOf(base)).filter((node) => String(node['type']).startsWith('Action.'));

    expect(actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open status', url: base.link }]);
  });

  it.each([
    ['there is no link', undefined],
    ['the link is not a web link', 'javascript:alert(1)'],
  ])('offers no action when %s', (_case, link) => {
    const actions = typedNodes(cardOf(notification({ link }))).filter((node) => String(node['type']).startsWith('Action.'));

    expect(actions).toEqual([]);
  });

  it('leaves a card that fits untouched and does not call it shortened', () => {
    expect(JSON.stringify(cardOf(base))).not.toContain('Shortened');
  });

  it('keeps a notification with huge facts within 28 KB and says it was shortened', () => {
    const n = notification({ facts: hugeFacts });

    expect(JSON.stringify(n).length).toBeGreaterThan(MAX_TEAMS_BODY_BYTES);
    expect(bodyBytes(n)).toBeLessThanOrEqual(MAX_TEAMS_BODY_BYTES);
    expect(texts(cardOf(n)).some((t) => t.startsWith('Shortened to fit a Teams message'))).toBe(true);
  });

  it('cuts long values rather than dropping facts when that is enough', () => {
    const facts = typedNodes(cardOf(notification({ facts: hugeFacts }))).find((node) => node['type'] === 'FactSet')?.['facts'] as { value: string }[];

    expect(facts).toHaveLength(hugeFacts.length);
    expect(facts.every((f) => f.value.endsWith('…'))).toBe(true);
  });

  it('stays within 28 KB with thousands of facts and steps, and says how many were left out', () => {
    const n = notification({
      facts: Array.from({ length: 5000 }, (_, i) => ({ name: `Fact ${i}`, value: `value ${i}` })),
      nextSteps: Array.from({ length: 500 }, (_, i) => `Step number ${i}`),
    });

    expect(bodyBytes(n)).toBeLessThanOrEqual(MAX_TEAMS_BODY_BYTES);
    expect(texts(cardOf(n)).join(' ')).toMatch(/\d+ facts left out, \d+ steps left out/);
  });

  it('stays within 28 KB when the title and summary alone are enormous, multi-byte and full of escapes', () => {
    const n = notification({ title: '"\u0001€'.repeat(20_000), summary: '\u0000😀'.repeat(50_000), condition: '\\'.repeat(40_000) });

    expect(bodyBytes(n)).toBeLessThanOrEqual(MAX_TEAMS_BODY_BYTES);
    expect(JSON.stringify(cardOf(n))).toContain('Shortened to fit a Teams message');
    expect(validationProblems(cardOf(n))).toEqual([]);
  });

  it('leaves out a link too long to fit rather than exceed 28 KB', () => {
    const n = notification({ link: `https://watchdog.example.com/${'a'.repeat(40_000)}` });

    expect(bodyBytes(n)).toBeLessThanOrEqual(MAX_TEAMS_BODY_BYTES);
    expect(typedNodes(cardOf(n)).filter((node) => String(node['type']).startsWith('Action.'))).toEqual([]);
    expect(validationProblems(cardOf(n))).toEqual([]);
  });

  it('keeps database text out of markdown: a fact value cannot add a link', () => {
    const n = notification({ facts: [{ name: 'Job', value: '[Click to fix](https://evil.example.com)' }] });
    const fact = typedNodes(cardOf(n)).find((node) => node['type'] === 'FactSet')?.['facts'] as { value: string }[];

    expect(fact[0]?.value).toBe('\\[Click to fix\\](https://evil.example.com)');
  });

  it('puts summary and steps in text runs, which Teams never reads as markdown', () => {
    const n = notification({ summary: '**bold** [x](https://evil.example.com)', nextSteps: ['- not a bullet'] });
    const kinds = new Set(typedNodes(cardOf(n)).map((node) => node['type']));

    expect(kinds.has('TextBlock')).toBe(false);
    expect(texts(cardOf(n))).toEqual(expect.arrayContaining(['**bold** [x](https://evil.example.com)', '1. - not a bullet']));
  });
});

describe('escapeMarkdown', () => {
  // What a CommonMark renderer does with backslash escapes: drops the backslash before punctuation.
  const render = (escaped: string): string => escaped.replace(/\\([!-/:-@[-`{-~])/g, '$1');

  it.each([
    ['SQL_PROD_01', 'SQL\\_PROD\\_01'],
    ['D:\\Backups\\erp_full.bak', 'D:\\Backups\\erp\\_full.bak'],
    ['C:\\.hidden', 'C:\\\\.hidden'],
    ['**urgent**', '\\*\\*urgent\\*\\*'],
    ['[x](https://evil.example.com)', '\\[x\\](https://evil.example.com)'],
    ['<https://evil.example.com>', '\\<https://evil.example.com\\>'],
    ['- looks like a list', '\\- looks like a list'],
    ['12. looks numbered', '12\\. looks numbered'],
    ['# heading', '\\# heading'],
    ['-5 degrees', '-5 degrees'],
    ['line one\nline two', 'line one line two'],
  ])('escapes %j as %j', (value, escaped) => {
    expect(escapeMarkdown(value)).toBe(escaped);
  });

  it.each(['SQL_PROD_01', 'D:\\Backups\\erp_full.bak', 'C:\\_x\\*y', '**a** _b_ `c` [d](e) <f>', '1) first', '\\\\server\\share$', 'plain text'])(
    'renders %j back exactly as written',
    (value) => {
      expect(render(escapeMarkdown(value))).toBe(value);
    },
  );
});
