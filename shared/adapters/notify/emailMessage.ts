import type { Notification, Severity } from '../../domain/notification';

export interface EmailMessage {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const TAG: Readonly<Record<Severity, string>> = { critical: 'CRITICAL', warning: 'WARNING', resolved: 'RESOLVED', info: 'INFO' };

/** Header band colours, chosen so the text on them stays readable. */
const BAND: Readonly<Record<Severity, { readonly background: string; readonly text: string }>> = {
  critical: { background: '#c4314b', text: '#ffffff' },
  warning: { background: '#ffb900', text: '#1b1b1b' },
  resolved: { background: '#237b4b', text: '#ffffff' },
  info: { background: '#e1dfdd', text: '#1b1b1b' },
};

/**
 * The same message as the Teams card, for mail clients. The subject leads with severity and
 * pair so that a phone's lock screen alone tells which server is in trouble.
 */
export function toEmail(n: Notification): EmailMessage {
  const subject = `[${TAG[n.severity]}] ${oneLine(n.pairId)}: ${oneLine(n.title)}`;
  return { subject, text: toText(n), html: toHtml(n, subject) };
}

function context(n: Notification): string {
  return [`Pair ${oneLine(n.pairId)}`, oneLine(n.condition), n.since === '' ? '' : `since ${oneLine(n.since)}`].filter((s) => s !== '').join(' · ');
}

function toText(n: Notification): string {
  const lines = [`${TAG[n.severity]}: ${oneLine(n.title)}`, context(n), '', n.summary];
  if (n.facts.length > 0) {
    lines.push('', 'Facts');
    for (const f of n.facts) lines.push(`- ${oneLine(f.name)}: ${indentContinuation(f.value, '  ')}`);
  }
  if (n.nextSteps.length > 0) {
    lines.push('', 'Next steps');
    n.nextSteps.forEach((step, i) => lines.push(`${i + 1}. ${indentContinuation(step, '   ')}`));
  }
  if (n.link !== undefined) lines.push('', `Status: ${oneLine(n.link)}`);
  lines.push('', `Alert ${oneLine(n.id)}, created ${oneLine(n.createdAt)}`);
  return `${lines.join('\n')}\n`;
}

function toHtml(n: Notification, subject: string): string {
  const band = BAND[n.severity];
  const parts = [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8">',
    `<title>${escapeHtml(subject)}</title></head>`,
    '<body style="margin:0;padding:16px;font-family:\'Segoe UI\',Arial,sans-serif;font-size:14px;color:#1b1b1b">',
    `<div style="background:${band.background};color:${band.text};padding:12px 16px">`,
    `<div style="font-size:18px;font-weight:bold">${escapeHtml(TAG[n.severity])}: ${escapeHtml(oneLine(n.title))}</div>`,
    `<div>${escapeHtml(context(n))}</div>`,
    '</div>',
    `<p>${multiline(n.summary)}</p>`,
  ];
  if (n.facts.length > 0) {
    parts.push('<table cellpadding="4" cellspacing="0" style="border-collapse:collapse">');
    for (const f of n.facts) {
      parts.push(`<tr><th align="left" valign="top" style="padding-right:16px">${escapeHtml(oneLine(f.name))}</th><td>${multiline(f.value)}</td></tr>`);
    }
    parts.push('</table>');
  }
  if (n.nextSteps.length > 0) {
    parts.push('<h3 style="margin-bottom:4px">Next steps</h3>', '<ol>');
    for (const step of n.nextSteps) parts.push(`<li>${multiline(step)}</li>`);
    parts.push('</ol>');
  }
  if (n.link !== undefined) {
    // Only web links become anchors: a javascript: or data: link must not be one click away.
    const link = isHttpUrl(n.link) ? `<a href="${escapeHtml(n.link)}">Open status</a>` : escapeHtml(oneLine(n.link));
    parts.push(`<p>${link}</p>`);
  }
  parts.push(`<p style="color:#605e5c;font-size:12px">Alert ${escapeHtml(oneLine(n.id))}, created ${escapeHtml(oneLine(n.createdAt))}</p>`, '</body></html>');
  return parts.join('\n');
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function multiline(value: string): string {
  return escapeHtml(value).replace(/\r\n|\r|\n/g, '<br>');
}

/** Subjects and labels must stay on one line: a line break in a header would end it. */
function oneLine(value: string): string {
  return value.replace(/[\r\n\u2028\u2029]+/g, ' ');
}

function indentContinuation(value: string, indent: string): string {
  return value.replace(/\r\n|\r|\n/g, `\n${indent}`);
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}
