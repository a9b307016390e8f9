import type { ActionRow } from '../core/query.js';
import type { Reply } from '../core/replies.js';
import { headerView, line, paragraphs, queryView, type HeaderView, type QueryView, type RenderEnv } from './common.js';
import {
  formatAgo,
  formatCount,
  formatHResult,
  requestorLabel,
  statusColor,
  typeWithScope,
  type TextColor,
} from './format.js';
import { clip, sanitize } from './text.js';
import { deviceLink } from './views-lists.js';

/** View models of the single-item cards: `action.json`, `status.json`, `help.json`, `error.json`. */

type ActionReply = Extract<Reply, { kind: 'action' }>;
type StatusReply = Extract<Reply, { kind: 'status' }>;
type HelpReply = Extract<Reply, { kind: 'help' }>;
type ErrorReply = Extract<Reply, { kind: 'error' }>;

export interface FactView {
  label: string;
  value: string;
}

export function fact(label: string, value: string, env: RenderEnv, maxChars = env.limits.line): FactView {
  return { label: line(label, env), value: value.trim() === '' ? '—' : paragraphs(value, maxChars) };
}

export interface HistoryEntryView {
  /** Time of the version that carried the status, with seconds and zone. */
  at: string;
  status: string;
  statusColor: TextColor;
}

export interface ActionView extends HeaderView {
  found: boolean;
  status: string;
  statusColor: TextColor;
  /** `on [ws-042](portal link)`. */
  deviceLine: string;
  facts: FactView[];
  hasHistory: boolean;
  noHistoryText: string;
  history: HistoryEntryView[];
  hasShowing: boolean;
  showing: string;
  notFoundText: string;
  notFoundHint: string;
  query: QueryView;
}

function actionFacts(a: ActionRow, env: RenderEnv): FactView[] {
  const t = env.time;
  const dash = (v: string | null): string => v ?? '';
  const facts: FactView[] = [
    fact('Action id', a.id, env),
    fact('Type', a.type, env),
    fact('Scope', dash(a.scope), env),
    fact('Status', a.status, env),
    fact('Device', a.computerDnsName ?? '(no name yet)', env),
    fact('Machine id', a.machineId, env),
    fact('Requested by', requestorLabel(a.requestor, env.names).long, env),
    fact('Comment', dash(a.requestorComment), env, env.limits.longText),
    fact('Request source', dash(a.requestSource), env),
    fact(
      'Created',
      `${t.format(a.creationDateTimeUtc, 'seconds')} (${formatAgo(a.creationDateTimeUtc, env.now)})`,
      env,
    ),
    fact(
      'Last update',
      `${t.format(a.lastUpdateDateTimeUtc, 'seconds')} (${formatAgo(a.lastUpdateDateTimeUtc, env.now)})`,
      env,
    ),
  ];
  const cancelled =
    a.status === 'Cancelled' ||
    a.cancellationRequestor !== null ||
    a.cancellationComment !== null ||
    a.cancellationDateTimeUtc !== null;
  if (cancelled) {
    facts.push(
      fact(
        'Cancelled by',
        a.cancellationRequestor === null ? '' : requestorLabel(a.cancellationRequestor, env.names).long,
        env,
      ),
      fact('Cancellation comment', dash(a.cancellationComment), env, env.limits.longText),
      fact(
        'Cancelled at',
        a.cancellationDateTimeUtc === null ? '' : t.format(a.cancellationDateTimeUtc, 'seconds'),
        env,
      ),
    );
  }
  facts.push(
    fact('Error', formatHResult(a.errorHResult), env),
    fact('External id', dash(a.externalId), env),
    fact('Title', dash(a.title), env),
  );
  return facts;
}

export function actionView(reply: ActionReply, shown: number, env: RenderEnv): ActionView {
  const a = reply.action;
  const history = reply.history.slice(0, shown);
  const subtitle =
    a === null ? 'Not found' : `${typeWithScope(a.type, a.scope)} on ${a.computerDnsName ?? a.machineId} · ${a.status}`;
  return {
    ...headerView(reply.title, subtitle, a === null ? '' : env.time.zoneNote, env),
    found: a !== null,
    status: line(a?.status ?? '', env),
    statusColor: statusColor(a?.status ?? ''),
    deviceLine: a === null ? '' : `on ${deviceLink(a.machineId, a.computerDnsName)}`,
    facts: a === null ? [] : actionFacts(a, env),
    hasHistory: reply.history.length > 0,
    noHistoryText: 'No status changes recorded yet.',
    history: history.map((h) => ({
      at: line(env.time.format(h.at, 'seconds'), env),
      status: line(h.status, env),
      statusColor: statusColor(h.status),
    })),
    hasShowing: history.length < reply.history.length,
    showing: line(
      `Showing the first ${formatCount(history.length)} of ${formatCount(reply.history.length)} status changes`,
      env,
    ),
    notFoundText: 'No machine action has this id.',
    notFoundHint:
      'Check the id: it is the GUID shown on alert and list cards and in the Defender portal (Action center). Recent actions appear after the next ingest.',
    query: queryView(reply.query, env),
  };
}

export interface StatusView extends HeaderView {
  hasProblem: boolean;
  problem: string;
  okText: string;
  facts: FactView[];
  hasShowing: boolean;
  showing: string;
}

export function statusView(reply: StatusReply, shown: number, env: RenderEnv): StatusView {
  const facts = reply.facts.slice(0, shown);
  const problem = reply.problem ?? '';
  return {
    // Facts arrive as formatted text (their times are the caller's): no zone note here.
    ...headerView(reply.title, reply.subtitle ?? 'Bot, store and ingest health', '', env),
    hasProblem: problem.trim() !== '',
    problem: paragraphs(`⚠️ ${problem}`, env.limits.longText),
    okText: line(reply.okText ?? '✅ No problem found.', env),
    facts: facts.map((f) => fact(f.label, f.value, env)),
    hasShowing: facts.length < reply.facts.length,
    showing: line(`Showing ${formatCount(facts.length)} of ${formatCount(reply.facts.length)} facts`, env),
  };
}

export interface CommandView {
  name: string;
  usage: string;
  description: string;
  example: string;
}

export interface HelpView extends HeaderView {
  hasMessage: boolean;
  message: string;
  hasSuggestion: boolean;
  suggestionText: string;
  suggestionButton: string;
  suggestionData: { command: string };
  commands: CommandView[];
  hasShowing: boolean;
  showing: string;
}

/** Button titles are plain text, not Markdown; they are only clipped. */
const BUTTON_CHARS = 40;

export function helpView(reply: HelpReply, shown: number, env: RenderEnv): HelpView {
  const message = reply.message ?? '';
  const suggestion = (reply.suggestion ?? '').trim();
  const commands = reply.commands.slice(0, shown);
  return {
    ...headerView(reply.title, 'Commands you can send me, in a chat or by @mentioning me in a channel', '', env),
    hasMessage: message.trim() !== '',
    message: paragraphs(message, env.limits.longText),
    hasSuggestion: suggestion !== '',
    suggestionText: `Did you mean **${line(suggestion, env)}**?`,
    // A button title is not Markdown: clipped, not escaped.
    suggestionButton: `Run: ${clip(sanitize(suggestion).replace(/\s+/g, ' '), BUTTON_CHARS)}`,
    suggestionData: { command: suggestion },
    commands: commands.map((c) => ({
      name: line(c.name, env),
      usage: line(c.usage, env),
      description: line(c.description, env),
      example: line(`Example: ${c.example}`, env),
    })),
    hasShowing: commands.length < reply.commands.length,
    showing: line(`Showing ${formatCount(commands.length)} of ${formatCount(reply.commands.length)} commands`, env),
  };
}

export interface ErrorView extends HeaderView {
  message: string;
}

const ERROR_SUBTITLES: Readonly<Record<NonNullable<ErrorReply['reason']>, string>> = {
  usage: 'Check the command; "help" lists them all',
  failed: 'The command could not be completed',
  limited: 'Too many requests right now; try again in a minute',
};

export function errorView(reply: ErrorReply, env: RenderEnv): ErrorView {
  return {
    ...headerView(reply.title, ERROR_SUBTITLES[reply.reason ?? 'failed'], '', env),
    message: paragraphs(reply.message, env.limits.longText),
  };
}
