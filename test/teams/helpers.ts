/**
 * Shared pieces of the Teams tests: activities shaped as Teams sends them, stub InboundHandlers
 * that record their calls, and a bot stack (restify server + CloudAdapter + activity handler) on
 * 127.0.0.1 port 0 that a test can POST activities to.
 */
import type { Activity } from 'botbuilder';
import { createHttpServer } from '../../src/server/server.js';
import { type HealthReport } from '../../src/core/health.js';
import { createBotAdapter, type BotAdapter, type BotAdapterOptions } from '../../src/teams/adapter.js';
import { createActivityHandler } from '../../src/teams/handler.js';
import type { CommandReply, InboundHandlers, InboundUser, InstallInfo } from '../../src/teams/types.js';
import type { ConvRef } from '../../src/core/conversation.js';
import { createCaptureLogger, type LogLine } from '../fakes/capture-logger.js';

export const TENANT = '72f988bf-0000-4000-8000-000000000001';
export const OTHER_TENANT = '0badbeef-0000-4000-8000-000000000002';
export const BOT_ID = '28:00000000-0000-0000-0000-000000000011';
export const BOT_NAME = 'Defender Audit';
export const TEAM_ID = '19:team-general@thread.tacv2';
export const ALERTS_CHANNEL = '19:alerts-channel@thread.tacv2';
export const USER = { id: '29:1user-alex', name: 'Alex Wilber', aadObjectId: '11111111-2222-3333-4444-555555555555' };

let seq = 1_795_971_666_000;

/** A channel message with a bot @mention, as Teams posts it (thread conversation id, mention entity, tenant in channelData). */
export function channelMessage(
  serviceUrl: string,
  text: string,
  overrides: Partial<Activity> = {},
): Record<string, unknown> {
  const id = String(++seq);
  return {
    text: `<at>${BOT_NAME}</at> ${text}`,
    textFormat: 'plain',
    type: 'message',
    timestamp: '2026-11-29T10:00:00.123Z',
    localTimestamp: '2026-11-29T11:00:00.123+01:00',
    id,
    channelId: 'msteams',
    serviceUrl,
    from: USER,
    conversation: {
      isGroup: true,
      conversationType: 'channel',
      tenantId: TENANT,
      id: `${ALERTS_CHANNEL};messageid=${id}`,
    },
    recipient: { id: BOT_ID, name: BOT_NAME },
    entities: [
      { mentioned: { id: BOT_ID, name: BOT_NAME }, text: `<at>${BOT_NAME}</at>`, type: 'mention' },
      { locale: 'en-US', country: 'US', platform: 'Web', timezone: 'Europe/Berlin', type: 'clientInfo' },
    ],
    channelData: {
      teamsChannelId: ALERTS_CHANNEL,
      teamsTeamId: TEAM_ID,
      channel: { id: ALERTS_CHANNEL, name: 'Alerts' },
      team: { id: TEAM_ID, name: 'SecOps' },
      tenant: { id: TENANT },
    },
    locale: 'en-US',
    ...overrides,
  };
}

/** A personal (1:1) chat message without mention, optionally an Action.Submit (`value`, empty text). */
export function personalMessage(
  serviceUrl: string,
  text: string,
  value?: Record<string, unknown>,
): Record<string, unknown> {
  return {
    type: 'message',
    id: String(++seq),
    timestamp: '2026-11-29T10:00:01.000Z',
    channelId: 'msteams',
    serviceUrl,
    from: USER,
    conversation: { conversationType: 'personal', tenantId: TENANT, id: 'a:1personal-chat-id' },
    recipient: { id: BOT_ID, name: BOT_NAME },
    channelData: { tenant: { id: TENANT } },
    ...(value === undefined ? { text } : { text: '', value, replyToId: '1795971666001' }),
  };
}

/** installationUpdate for a team install (reference section 3): General channel conversation, selected channel, team. */
export function teamInstallation(serviceUrl: string, action: 'add' | 'remove'): Record<string, unknown> {
  return {
    type: 'installationUpdate',
    action,
    id: `f:${++seq}`,
    timestamp: '2026-11-29T09:00:00.000Z',
    channelId: 'msteams',
    serviceUrl,
    from: { id: USER.id, aadObjectId: USER.aadObjectId },
    conversation: { isGroup: true, conversationType: 'channel', tenantId: TENANT, id: TEAM_ID },
    recipient: { id: BOT_ID, name: BOT_NAME },
    channelData: {
      settings: { selectedChannel: { id: ALERTS_CHANNEL } },
      team: { aadGroupId: '9c1f0e2a-0000-4000-8000-00000000aaaa', name: 'SecOps', id: TEAM_ID },
      tenant: { id: TENANT },
      source: { name: 'message' },
    },
  };
}

/** conversationUpdate with the bot added to (or removed from) a team, `eventType` teamMemberAdded/Removed. */
export function teamMembersUpdate(serviceUrl: string, change: 'added' | 'removed'): Record<string, unknown> {
  const members = [{ id: BOT_ID }];
  return {
    type: 'conversationUpdate',
    id: `f:${++seq}`,
    timestamp: '2026-11-29T09:00:00.500Z',
    channelId: 'msteams',
    serviceUrl,
    from: { id: USER.id, aadObjectId: USER.aadObjectId },
    conversation: { isGroup: true, conversationType: 'channel', tenantId: TENANT, id: TEAM_ID },
    recipient: { id: BOT_ID, name: BOT_NAME },
    ...(change === 'added' ? { membersAdded: members } : { membersRemoved: members }),
    channelData: {
      team: { aadGroupId: '9c1f0e2a-0000-4000-8000-00000000aaaa', name: 'SecOps', id: TEAM_ID },
      eventType: change === 'added' ? 'teamMemberAdded' : 'teamMemberRemoved',
      settings: { selectedChannel: { id: ALERTS_CHANNEL } },
      tenant: { id: TENANT },
    },
  };
}

export interface RecordedHandlers extends InboundHandlers {
  commands: { ref: ConvRef; text: string; user: InboundUser }[];
  installs: { ref: ConvRef; info: InstallInfo }[];
  uninstalls: ConvRef[];
  /** What onCommand answers (a function of the text). */
  reply: (text: string) => CommandReply | Promise<CommandReply>;
}

export function recordingHandlers(
  reply: (text: string) => CommandReply | Promise<CommandReply> = (t) => `echo: ${t}`,
): RecordedHandlers {
  const h: RecordedHandlers = {
    commands: [],
    installs: [],
    uninstalls: [],
    reply,
    onInstall(ref, info) {
      h.installs.push({ ref, info });
      return Promise.resolve();
    },
    onUninstall(ref) {
      h.uninstalls.push(ref);
      return Promise.resolve();
    },
    async onCommand(ref, text, user) {
      h.commands.push({ ref, text, user });
      return h.reply(text);
    },
  };
  return h;
}

export interface BotStack {
  url: string;
  adapter: BotAdapter;
  handlers: RecordedHandlers;
  lines: LogLine[];
  health: { report: HealthReport };
  /** POSTs an activity to /api/messages; resolves once the bot answered (after the whole turn). */
  post(activity: unknown, headers?: Record<string, string>): Promise<{ status: number; text: string }>;
  stop(): Promise<void>;
}

/** The production wiring of server + adapter + handler, as src/main.ts will do it. */
export async function startBotStack(options: {
  allowedTenantIds?: ReadonlySet<string> | 'any';
  auth?: Omit<BotAdapterOptions, 'logger'>;
  handlers?: RecordedHandlers;
  maxBodyBytes?: number;
}): Promise<BotStack> {
  const logger = createCaptureLogger();
  const handlers = options.handlers ?? recordingHandlers();
  const adapter = createBotAdapter({ ...options.auth, logger });
  const bot = createActivityHandler({
    handlers,
    allowedTenantIds: options.allowedTenantIds ?? new Set([TENANT]),
    logger,
  });
  const health = {
    report: { ok: true, checks: { ingest: { ok: true, detail: 'last run 1 min ago' } } } as HealthReport,
  };
  const server = createHttpServer({
    host: '127.0.0.1',
    port: 0,
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    logger,
    onMessages: (req, res) => adapter.process(req, res, bot),
    health: () => health.report,
  });
  const { url } = await server.start();
  return {
    url,
    adapter,
    handlers,
    lines: logger.lines,
    health,
    async post(activity, headers = {}) {
      const r = await fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: typeof activity === 'string' ? activity : JSON.stringify(activity),
      });
      return { status: r.status, text: await r.text() };
    },
    stop: () => server.stop(),
  };
}
