import type { Fact, Notification, Severity } from '../../domain/notification';

/** Teams refuses larger webhook posts; counted on the UTF-8 bytes of the whole JSON body. */
export const MAX_TEAMS_BODY_BYTES = 28 * 1024;

const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };
type JsonObject = { readonly [key: string]: Json };

export interface TeamsPayload {
  readonly type: 'message';
  readonly attachments: readonly [{ readonly contentType: typeof ADAPTIVE_CARD; readonly contentUrl: null; readonly content: JsonObject }];
}

const HEADER_STYLE: Readonly<Record<Severity, string>> = { critical: 'attention', warning: 'warning', resolved: 'good', info: 'default' };
const SEVERITY_LABEL: Readonly<Record<Severity, string>> = { critical: 'CRITICAL', warning: 'WARNING', resolved: 'RESOLVED', info: 'INFO' };

/** How much of each text a card may carry; Infinity means untouched. */
interface Limits {
  readonly text: number;
  readonly value: number;
  readonly facts: number;
  readonly steps: number;
}

const UNLIMITED: Limits = { text: Infinity, value: Infinity, facts: Infinity, steps: Infinity };

/**
 * Gentlest first: long values are cut before anything is dropped, and facts are dropped only
 * when even short values do not fit (thousands of them). Only an enormous link can defeat the
 * last plan; the minimal card covers that.
 */
const PLANS: readonly Limits[] = [
  UNLIMITED,
  { text: 4000, value: 2000, facts: Infinity, steps: Infinity },
  { text: 2000, value: 1000, facts: Infinity, steps: Infinity },
  { text: 1000, value: 500, facts: Infinity, steps: Infinity },
  { text: 1000, value: 200, facts: Infinity, steps: Infinity },
  { text: 1000, value: 80, facts: Infinity, steps: Infinity },
  { text: 1000, value: 80, facts: 60, steps: 10 },
  { text: 500, value: 60, facts: 25, steps: 5 },
  { text: 300, value: 40, facts: 10, steps: 3 },
];

/**
 * The body of a Teams Workflows webhook post: one Adaptive Card 1.4 (Teams shows 1.5 cards as
 * an error), at most MAX_TEAMS_BODY_BYTES, whose only action is Action.OpenUrl (the only one
 * that works on webhook posts).
 */
export function toTeamsPayload(n: Notification): TeamsPayload {
  for (const limits of PLANS) {
    const payload = wrap(buildCard(n, limits));
    if (bodyBytes(payload) <= MAX_TEAMS_BODY_BYTES) return payload;
  }
  return wrap(minimalCard(n));
}

function wrap(card: JsonObject): TeamsPayload {
  return { type: 'message', attachments: [{ contentType: ADAPTIVE_CARD, contentUrl: null, content: card }] };
}

function bodyBytes(payload: TeamsPayload): number {
  return Buffer.byteLength(JSON.stringify(payload), 'utf8');
}

/** Cuts texts and counts how many it cut, so the card can say so. */
class Cutter {
  values = 0;

  cut(s: string, max: number): string {
    const chars = Array.from(s);
    if (chars.length <= max) return s;
    this.values += 1;
    return `${chars.slice(0, Math.max(1, max - 1)).join('')}…`;
  }
}

function buildCard(n: Notification, limits: Limits): JsonObject {
  const cutter = new Cutter();
  const facts = n.facts.slice(0, limits.facts);
  const steps = n.nextSteps.slice(0, limits.steps);
  const body: Json[] = [header(n, (s) => cutter.cut(s, limits.text))];
  body.push(plainText(cutter.cut(n.summary, limits.text), { spacing: 'Medium' }));
  if (facts.length > 0) body.push(factSet(facts, (s) => cutter.cut(s, limits.value)));
  if (steps.length > 0) {
    body.push(plainText('Next steps', { weight: 'Bolder', spacing: 'Medium' }));
    steps.forEach((step, i) => body.push(plainText(`${i + 1}. ${cutter.cut(step, limits.value)}`, { spacing: 'Small' })));
  }
  const droppedFacts = n.facts.length - facts.length;
  const droppedSteps = n.nextSteps.length - steps.length;
  if (cutter.values + droppedFacts + droppedSteps > 0) {
    body.push(shortenedNote(cutter.values, droppedFacts, droppedSteps, webLink(n.link) !== undefined));
  }
  return card(body, webLink(n.link));
}

/** Only for inputs no plan can fit: title and summary, cut hard, and the way to the details. */
function minimalCard(n: Notification): JsonObject {
  const cutter = new Cutter();
  const link = n.link !== undefined && n.link.length <= 2000 ? webLink(n.link) : undefined;
  const body: Json[] = [
    header(n, (s) => cutter.cut(s, 200)),
    plainText(cutter.cut(n.summary, 500), { spacing: 'Medium' }),
    shortenedNote(cutter.values, n.facts.length, n.nextSteps.length, link !== undefined),
  ];
  return card(body, link);
}

function card(body: readonly Json[], link: string | undefined): JsonObject {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.4',
    msteams: { width: 'Full' },
    body,
    ...(link === undefined ? {} : { actions: [{ type: 'Action.OpenUrl', title: 'Open status', url: link }] }),
  };
}

function header(n: Notification, cut: (s: string) => string): Json {
  const context = [`Pair ${cut(n.pairId)}`, cut(n.condition), n.since === '' ? '' : `since ${cut(n.since)}`].filter((s) => s !== '');
  return {
    type: 'Container',
    style: HEADER_STYLE[n.severity],
    bleed: true,
    items: [
      {
        type: 'RichTextBlock',
        inlines: [
          { type: 'TextRun', text: `${SEVERITY_LABEL[n.severity]}: `, weight: 'Bolder', size: 'Medium' },
          { type: 'TextRun', text: cut(n.title), weight: 'Bolder', size: 'Medium' },
        ],
      },
      { type: 'RichTextBlock', spacing: 'None', inlines: [{ type: 'TextRun', text: context.join(' · '), isSubtle: true }] },
    ],
  };
}

/**
 * A TextRun is never read as markdown, unlike a TextBlock, so text from databases shows as
 * written: no link, list or emphasis can be smuggled into an alert.
 */
function plainText(text: string, style: { weight?: 'Bolder'; spacing?: 'Small' | 'Medium' } = {}): Json {
  const { spacing, ...run } = style;
  return { type: 'RichTextBlock', ...(spacing ? { spacing } : {}), inlines: [{ type: 'TextRun', text, ...run }] };
}

function factSet(facts: readonly Fact[], cut: (s: string) => string): Json {
  return {
    type: 'FactSet',
    spacing: 'Medium',
    facts: facts.map((f) => ({ title: escapeMarkdown(cut(f.name)), value: escapeMarkdown(cut(f.value)) })),
  };
}

function shortenedNote(cutValues: number, droppedFacts: number, droppedSteps: number, hasLink: boolean): Json {
  const parts: string[] = [];
  if (cutValues > 0) parts.push(`${cutValues} long ${cutValues === 1 ? 'text was' : 'texts were'} cut`);
  if (droppedFacts > 0) parts.push(`${droppedFacts} ${droppedFacts === 1 ? 'fact' : 'facts'} left out`);
  if (droppedSteps > 0) parts.push(`${droppedSteps} ${droppedSteps === 1 ? 'step' : 'steps'} left out`);
  if (parts.length === 0) parts.push('some details were left out');
  const where = hasLink ? ' Open the status page for the full details.' : '';
  return {
    type: 'RichTextBlock',
    spacing: 'Medium',
    separator: true,
    inlines: [{ type: 'TextRun', text: `Shortened to fit a Teams message: ${parts.join(', ')}.${where}`, italic: true, isSubtle: true }],
  };
}

/**
 * Fact titles and values are always read as markdown by Teams, so they are escaped the
 * CommonMark way. Only what can form markup is touched: a backslash only before punctuation,
 * so Windows paths such as D:\Backups\erp.bak reach the reader unchanged.
 */
export function escapeMarkdown(text: string): string {
  const oneLine = text.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ');
  let out = '';
  for (let i = 0; i < oneLine.length; i++) {
    const c = oneLine[i] as string;
    const next = oneLine[i + 1] ?? '';
    if (c === '\\') out += ASCII_PUNCTUATION.test(next) ? '\\\\' : '\\';
    else if (INLINE_MARKUP.test(c)) out += `\\${c}`;
    else out += c;
  }
  // A value that starts like a list item or heading would render as one.
  return out.replace(/^(\s*)([-+#]|\d+[.)])(?=\s|$)/, (_m, space: string, marker: string) =>
    `${space}${marker.length === 1 ? `\\${marker}` : `${marker.slice(0, -1)}\\${marker.slice(-1)}`}`,
  );
}

const ASCII_PUNCTUATION = /^[!-/:-@[-`{-~]$/;
const INLINE_MARKUP = /^[*_[\]`<>]$/;

/** Only web links become actions: a javascript: or data: link must not be one tap away. */
function webLink(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || protocol === 'http:' ? value : undefined;
  } catch {
    return undefined;
  }
}
