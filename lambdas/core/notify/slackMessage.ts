/**
 * Block Kit rendering of a notification, within Slack's limits:
 * chat.postMessage `text` <= 40,000 chars (longer is truncated by Slack), <= 50 blocks per message,
 * section text <= 3,000 chars, section fields <= 10 of <= 2,000 chars, header text <= 150 chars,
 * context <= 10 elements. Over a limit, Slack answers `invalid_blocks` / `msg_too_long` and nothing is
 * posted, so we cut here, say so in the message, and flag `truncated` so the notifier attaches the
 * full notification to the thread: nothing is lost.
 */
import { decisiveSignal, type Notification, type NotificationSignal } from './notification.ts';

export const SLACK_LIMITS = {
  text: 40_000,
  blocks: 50,
  sectionText: 3_000,
  field: 2_000,
  fields: 10,
  header: 150,
  contextElements: 10,
} as const;

export type SlackTextObject = { type: 'mrkdwn' | 'plain_text'; text: string };
export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string } }
  | { type: 'section'; text?: SlackTextObject; fields?: SlackTextObject[] }
  | { type: 'context'; elements: SlackTextObject[] }
  | { type: 'image'; image_url: string; alt_text: string; title?: { type: 'plain_text'; text: string } }
  | { type: 'divider' };

export interface SlackMessage {
  readonly channel: string;
  /** Fallback text (notifications, screen readers). */
  readonly text: string;
  readonly blocks: SlackBlock[];
  /** Something was cut to fit Slack's limits. */
  readonly truncated: boolean;
}

export interface BuildSlackMessageOptions {
  readonly channel: string;
  /** Where the chart is: a public image URL (image block) or a local PNG path (shown as a line). */
  readonly chart?: { readonly imageUrl?: string; readonly localPath?: string };
}

const TRUNCATION_NOTE = '… (truncated, full data in the thread)';

/** Cuts at a code point boundary (never half a surrogate pair) and says that it did. */
export function truncateText(text: string, max: number): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  let cut = max - TRUNCATION_NOTE.length;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // high surrogate: do not split the pair
  return { text: text.slice(0, Math.max(0, cut)) + TRUNCATION_NOTE, truncated: true };
}

/** Slack mrkdwn control characters in user data (commit messages, reasons). */
function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** A signal's value with its unit: latency in ms, rates in %. */
function formatValue(value: number | null | undefined, s: NotificationSignal): string {
  if (value === null || value === undefined) return 'n/a';
  const valueUnit = s.valueUnit ?? (s.unit === 'absolute' ? 'ratio' : undefined);
  if (valueUnit === 'ratio') return `${(value * 100).toFixed(2)} %`;
  const number = Number.isInteger(value) ? String(value) : value.toFixed(1);
  return valueUnit === 'ms' ? `${number} ms` : number;
}

function formatChange(value: number | null | undefined, unit: 'absolute' | 'relative'): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  return unit === 'absolute'
    ? `${value >= 0 ? '+' : ''}${(value * 100).toFixed(2)} pp`
    : `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %`;
}

const TEST_NAMES: Record<string, string> = {
  'weighted-paired-t-log-ratio': 'paired t-test of per-period log ratios, periods weighted by requests',
  'paired-t-log-ratio': 'paired t-test of per-period log ratios',
  'farrington-manning': 'Farrington-Manning test of summed counts',
  'berger-boos-exact': 'exact Berger-Boos test of summed counts',
  'fisher-exact': "Fisher's exact test of summed counts",
  'two-proportion-z': 'two-proportion z-test of summed counts',
};

function signalLine(s: NotificationSignal): string {
  const observed = formatValue(s.observed, s);
  const baseline = formatValue(s.baseline, s);
  const details = [
    `${formatChange(s.effect, s.unit)}, allowed ${formatChange(s.allowed, s.unit)}`,
    s.test && s.test !== 'none' ? (TEST_NAMES[s.test] ?? s.test) : undefined,
    s.p === undefined ? undefined : `p=${s.p.toPrecision(3)}`,
    s.detectable === undefined ? undefined : `detectable ${formatChange(s.detectable, s.unit)}`,
    s.periods === undefined
      ? undefined
      : `${s.periods} periods${s.periodSeconds === undefined ? '' : ` of ${s.periodSeconds} s`}`,
    s.samples ? `${s.samples.canary} canary / ${s.samples.baseline} baseline requests` : undefined,
  ].filter((d): d is string => d !== undefined);
  const mark = s.outcome === 'FAIL' ? ':x:' : s.outcome === 'PASS' ? ':white_check_mark:' : ':grey_question:';
  return `${mark} *${escapeMrkdwn(s.signal)}*: observed ${observed} vs baseline ${baseline} (${details.join(', ')})`;
}

const OUTCOME_EMOJI: Record<string, string> = {
  FAIL: ':rotating_light:',
  PASS: ':white_check_mark:',
  INCONCLUSIVE: ':warning:',
};

export function buildSlackMessage(
  notification: Notification,
  options: BuildSlackMessageOptions,
): SlackMessage {
  let truncated = false;
  const cut = (text: string, max: number): string => {
    const r = truncateText(text, max);
    truncated ||= r.truncated;
    return r.text;
  };
  const n = notification;
  const stepText = n.step === undefined ? '' : ` at ${n.step} % traffic`;
  const title = `${OUTCOME_EMOJI[n.verdict.outcome] ?? ''} ${n.service} v${n.version} ${n.event} in ${n.environment}${stepText}`;
  const decisive = decisiveSignal(n);
  const blocks: SlackBlock[] = [];
  blocks.push({ type: 'header', text: { type: 'plain_text', text: cut(title.trim(), SLACK_LIMITS.header) } });

  const field = (label: string, value: string): SlackTextObject => ({
    type: 'mrkdwn',
    text: cut(`*${label}*\n${value}`, SLACK_LIMITS.field),
  });
  blocks.push({
    type: 'section',
    fields: [
      field('Service', escapeMrkdwn(n.service)),
      field('Team', escapeMrkdwn(n.team)),
      field('Version', escapeMrkdwn(String(n.version))),
      field('Commit', `\`${escapeMrkdwn(n.commit.slice(0, 12))}\``),
      field('Environment', escapeMrkdwn(n.environment)),
      field('Step', n.step === undefined ? 'n/a' : `${n.step} % traffic`),
      field('Verdict', n.verdict.outcome),
      field('Window', `${n.window.start} → ${n.window.end}`),
    ].slice(0, SLACK_LIMITS.fields),
  });

  if (decisive) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: cut(signalLine(decisive), SLACK_LIMITS.sectionText) },
    });
  }
  if (n.verdict.summary) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: cut(escapeMrkdwn(n.verdict.summary), SLACK_LIMITS.sectionText) },
    });
  }

  // The other signals, one section each, while the block budget lasts; reserve room for the tail.
  const tail: SlackBlock[] = [];
  if (options.chart?.imageUrl) {
    tail.push({
      type: 'image',
      image_url: options.chart.imageUrl,
      alt_text: cut(n.chart?.title ?? 'metric chart', 2000),
    });
  } else if (options.chart?.localPath) {
    tail.push({
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: cut(`Chart: ${options.chart.localPath}`, SLACK_LIMITS.sectionText) },
      ],
    });
  }
  if (n.links.length > 0) {
    const links = n.links.slice(0, SLACK_LIMITS.contextElements).map((l) => ({
      type: 'mrkdwn' as const,
      text: cut(`<${l.url}|${escapeMrkdwn(l.text)}>`, SLACK_LIMITS.sectionText),
    }));
    tail.push({ type: 'context', elements: links });
    if (n.links.length > SLACK_LIMITS.contextElements) truncated = true;
  }
  const others = n.verdict.signals.filter((s) => s !== decisive);
  const room = SLACK_LIMITS.blocks - blocks.length - tail.length - 2; // divider + a possible "more" note
  if (others.length > 0) blocks.push({ type: 'divider' });
  const shown = others.slice(0, Math.max(0, room));
  for (const s of shown) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: cut(signalLine(s), SLACK_LIMITS.sectionText) },
    });
  }
  if (shown.length < others.length) {
    truncated = true;
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `+${others.length - shown.length} more signals not shown (Slack's 50-block limit); full data in the thread`,
        },
      ],
    });
  }
  blocks.push(...tail);

  const fallback = [
    title.trim(),
    decisive ? signalLine(decisive) : '',
    `${n.service} (${n.team}) v${n.version} ${n.commit} ${n.environment} window ${n.window.start} - ${n.window.end}`,
  ]
    .filter(Boolean)
    .join('\n');
  const text = cut(fallback, SLACK_LIMITS.text);
  return { channel: options.channel, text, blocks, truncated };
}

/** A plain-text rendering of the message for the console (the local outbox). */
export function renderSlackMessageText(message: SlackMessage): string {
  const lines: string[] = [`[slack -> ${message.channel}]`];
  for (const block of message.blocks) {
    if (block.type === 'header') lines.push(`== ${block.text.text} ==`);
    else if (block.type === 'section') {
      if (block.text) lines.push(block.text.text);
      if (block.fields) lines.push(block.fields.map((f) => f.text.replace('\n', ': ')).join(' | '));
    } else if (block.type === 'context') lines.push(block.elements.map((e) => e.text).join('  '));
    else if (block.type === 'image') lines.push(`[image: ${block.image_url}]`);
    else lines.push('---');
  }
  return lines.join('\n');
}
