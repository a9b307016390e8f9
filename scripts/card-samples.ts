/**
 * Sample cards of every card kind the bot renders, for pictures (scripts/render-cards.ts) and the
 * browser rendering test (test/cards/render-browser.test.ts).
 *
 * Chat replies come from the real code path: an in-memory SQLite store loaded with the end-to-end
 * test dataset (test/bot/dataset.ts), real chat commands through `buildChat`, and the card the bot
 * posts (`replyCard`). The subscriptions card lists what `subscribe` commands stored. The alert,
 * storm and backfill cards are rendered from the sample models in test/cards/samples.ts.
 *
 * Card kinds are enumerated from `CARD_TEMPLATE_FILES`: a kind that no chat command below answers
 * with falls back to the first sample reply of that kind in test/cards/samples.ts, and a kind with
 * no sample at all is an error, so a new template cannot go without a picture and a browser check.
 */
import { loadConfig } from '../src/config/config.js';
import type { ConvRef } from '../src/core/conversation.js';
import { silentLogger } from '../src/core/logger.js';
import type { Reply } from '../src/core/replies.js';
import {
  CARD_TEMPLATE_FILES,
  loadCardTemplates,
  renderAlertCard,
  renderBackfillCard,
  renderDigestCard,
  renderReplyCard,
  renderStormCard,
  renderSubscriptionsCard,
  type AdaptiveCard,
  type CardContext,
  type CardKind,
} from '../src/cards/index.js';
import { buildChat, replyCard } from '../src/app/index.js';
import { createSubscriptions } from '../src/conversations/conversations.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { DATASET, NOW, SOAR_APP } from '../test/bot/dataset.js';
import {
  ALERT_SAMPLES,
  ALERT_TIME_ZONE,
  ALL_FLAGS,
  BACKFILL_SAMPLES,
  DIGEST_SAMPLES,
  SAMPLE_NOW,
  SAMPLE_REPLIES,
  SAMPLE_REQUESTOR_NAMES,
  STORM_SAMPLES,
  SUBSCRIPTION_SAMPLES,
  alertModel,
} from '../test/cards/samples.js';
import { FakeClock } from '../test/fakes/fake-clock.js';

/** One card to render. */
export interface CardSample {
  /** File name without `.png`: the card kind for its first sample, `<kind>-<variant>` for more. */
  name: string;
  kind: CardKind;
  /** Where it came from: the chat command, or the sample model. */
  source: string;
  card: AdaptiveCard;
  /** Texts the rendered card must show (as the reader sees them, Markdown applied). */
  expectText: string[];
}

/** Every card kind with a template, in the order of `CARD_TEMPLATE_FILES`. */
export const CARD_KINDS = Object.keys(CARD_TEMPLATE_FILES) as CardKind[];

/** The chat commands whose cards are pictured, with what each card must show. */
const CHAT_COMMANDS: { text: string; variant?: string; expect: string[] }[] = [
  {
    text: 'actions for device ws-042 90d',
    expect: ['Actions for device ws-042', 'Beaconing to 203.0.113.7', 'SOAR playbooks'],
  },
  { text: 'failed 360d', variant: 'failed', expect: ['Failed and timed-out actions', 'lt-007.contoso.com'] },
  { text: 'requestors 360d', expect: ['Actions by requestor', 'megan.bowen@contoso.com', 'SOAR playbooks'] },
  { text: 'devices 30d', variant: 'devices', expect: ['Actions by device', 'srv-sql-01.contoso.com'] },
  { text: 'summary 30d', expect: ['Summary', 'RunAntiVirusScan'] },
  { text: 'timeline 30d', expect: ['Actions per day'] },
  { text: 'isolated', expect: ['Devices isolated now', 'lt-007.contoso.com', 'Stolen laptop'] },
  { text: `action ${DATASET[0]!.id}`, expect: ['Isolate on WS-042.contoso.com', 'Beaconing to 203.0.113.7'] },
  { text: 'status', expect: ['Ingest status', 'Last successful run'] },
  { text: 'help', expect: ['Defender Audit Bot', 'actions for device'] },
  { text: 'isolatd', variant: 'unknown', expect: ['I did not understand "isolatd".', 'isolated'] },
  { text: 'kql MDEMachineActions_CL | take 5', expect: ['Not available here', 'QUERY_BACKEND=log-analytics'] },
  { text: 'digest', expect: ['lt-007.contoso.com'] },
];

/** Where the sample conversations would be reached (never called: the samples only render). */
function demoRef(conversationId: string, conversationType: ConvRef['conversationType']): ConvRef {
  return {
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/emea/',
    conversationId,
    conversationType,
    tenantId: 'contoso',
    botId: '28:bot',
  };
}

function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}

/** The title a reply's card shows, when it has a plain one (used for fallback samples). */
function replyTitle(reply: Reply): string[] {
  return 'title' in reply && /^[\w .:,-]+$/.test(reply.title) ? [reply.title] : [];
}

/** Builds the sample cards of every card kind (see the module comment). Deterministic. */
export async function buildCardSamples(): Promise<CardSample[]> {
  const templates = await loadCardTemplates();
  const config = loadConfig({ REQUESTOR_NAMES: `${SOAR_APP}=SOAR playbooks`, PORT: '0', HOST: '127.0.0.1' });
  const clock = new FakeClock(NOW);
  const store = openSqliteStore({ path: ':memory:' });
  const samples: CardSample[] = [];
  const add = (
    kind: CardKind,
    variant: string | undefined,
    source: string,
    card: AdaptiveCard,
    expectText: string[],
  ): void => {
    const name = variant === undefined ? kind : `${kind}-${variant}`;
    if (samples.some((s) => s.name === name)) throw new Error(`Two card samples are named "${name}".`);
    samples.push({ name, kind, source, card, expectText });
  };
  try {
    const runId = store.beginRun(isoAt(NOW - 60_000), true);
    store.applyPage({
      runId,
      items: DATASET,
      quarantined: [],
      observedAt: isoAt(NOW - 60_000),
      backfill: true,
      cursor: null,
    });
    store.finishRun(runId, {
      finishedAt: isoAt(NOW - 30_000),
      ok: true,
      stats: { pages: 1, calls: 1, new: DATASET.length, statusChanged: 0, updated: 0, unchanged: 0, quarantined: 0 },
    });
    const subscriptions = createSubscriptions({ store: store, clock: clock, adminIds: config.commands.adminIds });
    const chat = buildChat(config, { store, clock, logger: silentLogger, rateLimit: false, subscriptions });
    const bot = (reply: Reply): AdaptiveCard => replyCard(reply, config, templates, clock.now()) as AdaptiveCard;

    // Chat replies, through the real commands.
    for (const command of CHAT_COMMANDS) {
      const reply = await chat.handle(command.text);
      const first = !samples.some((s) => s.kind === reply.kind);
      add(
        reply.kind,
        command.variant ?? (first ? undefined : 'more'),
        `chat: ${command.text}`,
        bot(reply),
        command.expect,
      );
    }

    // Subscriptions: two conversations subscribe through chat; one of them later blocks the bot.
    const user = { id: '00000000-0000-0000-0000-0000000000ad', name: 'Alex Wilber' };
    const secops = {
      conversationId: '19:secops-alerts@thread.tacv2',
      kind: 'channel',
      name: 'SecOps › Alerts',
      ref: demoRef('19:secops-alerts@thread.tacv2', 'channel'),
    };
    const managers = {
      conversationId: '19:meeting_managers@thread.v2',
      kind: 'groupChat',
      name: 'Group chat',
      ref: demoRef('19:meeting_managers@thread.v2', 'groupChat'),
    };
    await chat.handle('subscribe', user, secops);
    await chat.handle('subscribe digest', user, managers);
    store.setConversationActive(managers.conversationId, false, 'MessageWritesBlocked');
    const ctx: CardContext = {
      templates,
      now: isoAt(clock.now()),
      requestorNames: config.commands.requestorNames,
      timeZone: config.commands.displayTimeZone,
    };
    add(
      'subscriptions',
      undefined,
      'chat: subscribe, subscribe digest',
      renderSubscriptionsCard(subscriptions.list(), ctx),
      ['SecOps › Alerts', 'MessageWritesBlocked'],
    );
  } finally {
    store.close();
  }

  // Alert, compact alert, storm and backfill cards, from the sample models.
  const alertCtx: CardContext = {
    templates,
    now: SAMPLE_NOW,
    requestorNames: SAMPLE_REQUESTOR_NAMES,
    timeZone: ALERT_TIME_ZONE,
  };
  add('alert', undefined, 'ALERT_SAMPLES.pending', renderAlertCard(ALERT_SAMPLES.pending, alertCtx), [
    'ws-042.contoso.com',
    'Lee.Gu@contoso.com',
  ]);
  add('alert', 'succeeded', 'ALERT_SAMPLES.succeeded', renderAlertCard(ALERT_SAMPLES.succeeded, alertCtx), [
    'Succeeded',
    'ws-042.contoso.com',
  ]);
  const failedWithFlags = alertModel(
    { status: 'Failed', lastUpdateDateTimeUtc: '2026-11-29T21:16:16.1234567Z', errorHResult: -2147467259 },
    { flags: ALL_FLAGS, timeToCompleteMs: 131_000 },
  );
  add('alert', 'failed', 'alertModel(Failed, ALL_FLAGS)', renderAlertCard(failedWithFlags, alertCtx), [
    'Failed',
    'ws-042.contoso.com',
  ]);
  add('alertCompact', undefined, 'ALERT_SAMPLES.compact', renderAlertCard(ALERT_SAMPLES.compact, alertCtx), [
    'ws-042.contoso.com',
  ]);
  add('storm', undefined, 'STORM_SAMPLES.storm12', renderStormCard(STORM_SAMPLES.storm12, alertCtx), ['12']);
  add('backfill', undefined, 'BACKFILL_SAMPLES.firstRun', renderBackfillCard(BACKFILL_SAMPLES.firstRun, alertCtx), [
    '552',
    'RunAntiVirusScan',
  ]);

  // Kinds no command above answers with (e.g. `table`, which needs a Log Analytics workspace):
  // the first sample reply of that kind.
  const replyCtx: CardContext = { templates, now: SAMPLE_NOW, requestorNames: SAMPLE_REQUESTOR_NAMES };
  for (const kind of CARD_KINDS) {
    if (samples.some((s) => s.kind === kind)) continue;
    const entry = Object.entries(SAMPLE_REPLIES).find(([, reply]) => (reply as Reply).kind === kind);
    if (entry === undefined) {
      throw new Error(
        `No sample for the "${kind}" card: add a chat command to scripts/card-samples.ts or a sample reply to test/cards/samples.ts.`,
      );
    }
    const [sampleName, reply] = entry as [string, Reply];
    add(kind, undefined, `SAMPLE_REPLIES.${sampleName}`, renderReplyCard(reply, replyCtx), replyTitle(reply));
  }
  const order = (s: CardSample): number => CARD_KINDS.indexOf(s.kind);
  return samples.sort((a, b) => order(a) - order(b));
}

/**
 * Every sample model of test/cards/samples.ts rendered to its card, edge cases included (500 rows,
 * hostile text, 5 KB comments, 16-column tables): `[label, card]`, e.g. `['reply.tableWide', …]`.
 */
export async function buildEdgeCaseCards(): Promise<[string, AdaptiveCard][]> {
  const templates = await loadCardTemplates();
  const ctx: CardContext = {
    templates,
    now: SAMPLE_NOW,
    requestorNames: SAMPLE_REQUESTOR_NAMES,
    timeZone: ALERT_TIME_ZONE,
  };
  const each = <M>(
    prefix: string,
    models: Record<string, M>,
    render: (model: M, c: CardContext) => AdaptiveCard,
  ): [string, AdaptiveCard][] =>
    Object.entries(models).map(([name, model]) => [`${prefix}.${name}`, render(model, ctx)]);
  return [
    ...each<Reply>('reply', SAMPLE_REPLIES, renderReplyCard),
    ...each('alert', ALERT_SAMPLES, renderAlertCard),
    ...each('storm', STORM_SAMPLES, renderStormCard),
    ...each('backfill', BACKFILL_SAMPLES, renderBackfillCard),
    ...each('digest', DIGEST_SAMPLES, renderDigestCard),
    ...each('subscriptions', SUBSCRIPTION_SAMPLES, renderSubscriptionsCard),
  ];
}
