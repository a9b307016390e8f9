import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Env } from '../../src/config/config.js';
import type { Reply } from '../../src/core/replies.js';
import { buildChat, buildForwarder, type AzureDeps } from '../../src/app/index.js';
import { createSubscriptions } from '../../src/conversations/conversations.js';
import { DCR_TABLE } from '../../src/queries/schema.js';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite-store.js';
import type { Chat } from '../../src/commands/chat.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { createFakeWorkspace, testCredential as credential, type FakeWorkspace } from '../fakes/fake-workspace.js';
import { guid, makeAction } from '../fakes/actions.js';
import { DATASET, DATASET_COMMANDS as COMMANDS, NOW, SOAR_APP } from '../bot/dataset.js';

/**
 * Log Analytics end to end, with the real Azure SDK clients (`LogsIngestionClient`,
 * `LogsQueryClient`, their pipelines, retries and gzip) and a fake workspace behind their
 * `httpClient`: it stores what the Logs Ingestion API accepts and executes the KQL the bot sends
 * over those rows (test/fakes/kql-engine.ts), answering in the API's wire format. The dataset is
 * the one the bot's own end-to-end test knows the answers for; every chat command must answer the
 * same from SQLite and from the workspace.
 */

const WORKSPACE_ID = '33333333-3333-3333-3333-333333333333';
const DCR_ID = `dcr-${'0a'.repeat(16)}`;
const RESOURCE_ID =
  '/subscriptions/s-1/resourceGroups/rg-sec/providers/Microsoft.OperationalInsights/workspaces/ws-sec';
const ADMIN = 'aaaaaaaa-1111-2222-3333-444444444444';

/** A reply without the "Open in Log Analytics" link, which only the workspace mode adds. */
function withoutPortalLink(reply: Reply): Reply {
  if (!('query' in reply)) return reply;
  const { portalUrl: _dropped, ...query } = reply.query;
  return { ...reply, query };
}

describe('Log Analytics end to end: forward through the Logs Ingestion API, answer with KQL through LogsQueryClient', function () {
  this.timeout(60_000);
  let dir: string;
  let store: SqliteAuditStore;
  let workspace: FakeWorkspace;
  const clock = new FakeClock(NOW);
  const logger = createCaptureLogger();
  const baseEnv: Env = { REQUESTOR_NAMES: `${SOAR_APP}=SOAR playbooks`, COMMAND_RATE_LIMIT: '1000' };
  const laEnv: Env = {
    ...baseEnv,
    QUERY_BACKEND: 'log-analytics',
    LOG_ANALYTICS_WORKSPACE_ID: WORKSPACE_ID,
    LOG_ANALYTICS_WORKSPACE_RESOURCE_ID: RESOURCE_ID,
    LOG_ANALYTICS_ENDPOINT: 'https://la.example.invalid/v1',
    LOGS_INGESTION_ENDPOINT: 'https://dcr-test.westeurope-1.ingest.monitor.azure.com',
    LOGS_DCR_IMMUTABLE_ID: DCR_ID,
    ADMIN_AAD_OBJECT_IDS: ADMIN,
  };
  let sqliteChat: Chat;
  let laChat: Chat;

  const azure = (): AzureDeps => ({ credential, httpClient: workspace.httpClient });
  const forwarder = () => buildForwarder(loadConfig(laEnv), { store, clock, logger, azure: azure() })!;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dab-la-'));
    store = openSqliteStore({ path: join(dir, 'audit.db') });
    workspace = createFakeWorkspace({
      now: () => new Date(clock.now()),
      workspaceId: WORKSPACE_ID,
      dcrImmutableId: DCR_ID,
    });
    // Forwarding is configured before the first ingest: the backfill is recorded for sending.
    const f = forwarder();
    const runId = store.beginRun(new Date(NOW - 60_000).toISOString(), true);
    store.applyPage({
      runId,
      items: DATASET,
      quarantined: [],
      observedAt: new Date(NOW - 60_000).toISOString(),
      backfill: true,
      cursor: null,
    });
    store.finishRun(runId, {
      finishedAt: new Date(NOW - 30_000).toISOString(),
      ok: true,
      stats: { pages: 1, calls: 1, new: DATASET.length, statusChanged: 0, updated: 0, unchanged: 0, quarantined: 0 },
    });
    const result = await f.forward();
    assert.equal(result.sent, DATASET.length);
    sqliteChat = buildChat(loadConfig(baseEnv), { store, clock, logger, rateLimit: false });
    const la = loadConfig(laEnv);
    laChat = buildChat(la, {
      store,
      clock,
      logger,
      rateLimit: false,
      azure: azure(),
      subscriptions: createSubscriptions({ store: store, clock: clock, adminIds: la.commands.adminIds }),
    });
  });
  after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('forwarded every action once, gzip, within 1 MB per call, with the DCR columns', () => {
    const rows = workspace.table(DCR_TABLE);
    assert.equal(rows.rows.length, DATASET.length);
    assert.ok(workspace.uploads.every((u) => u.gzip && u.bytes <= 1_000_000));
    const ids = new Set(workspace.uploads.flatMap((u) => u.rows.map((r) => r.ActionId)));
    assert.equal(ids.size, DATASET.length);
    assert.equal(store.forwardBacklog(), 0);
  });

  for (const text of COMMANDS) {
    it(`"${text}" gets the same reply from the workspace as from SQLite`, async () => {
      const expected = await sqliteChat.handle(text);
      const got = await laChat.handle(text);
      assert.notEqual(got.kind, 'error', JSON.stringify(got));
      assert.deepEqual(withoutPortalLink(got), expected);
      if ('query' in got && got.kind !== 'table') {
        assert.ok(
          got.query.portalUrl?.startsWith(
            'https://portal.azure.com/#blade/Microsoft_OperationsManagementSuite_Workspace/Logs.ReactView/resourceId/',
          ),
          'Open in Log Analytics',
        );
        assert.ok(got.query.portalUrl?.includes(encodeURIComponent(RESOURCE_ID)));
      }
    });
  }

  it('sends the KQL the card shows, with TimeGenerated bounded by the API timespan', async () => {
    const before = workspace.requests.length;
    const reply = await laChat.handle('timeline 7d');
    const sent = workspace.requests.slice(before).filter((r) => r.api === 'query');
    assert.equal(sent.length, 1);
    const body = sent[0]!.body as { query: string; timespan: string };
    assert.ok('query' in reply);
    assert.equal(body.query, reply.query.kql);
    assert.match(body.timespan, /^2026-11-22T12:00:00\.000Z\/2026-11-30T12:00:00\.000Z$/);
  });

  it('a 429 from the query API is retried (Retry-After) and then answered', async () => {
    workspace.failNext({ api: 'query', status: 429, retryAfterSeconds: 0 });
    const reply = await laChat.handle('pending');
    assert.equal(reply.kind, 'actions');
    assert.equal(workspace.requests.filter((r) => r.api === 'query' && r.status === 429).length, 1);
  });

  it('a partial result is refused with a clear card instead of a silently incomplete answer', async () => {
    workspace.partialNext({ code: 'PartialError', message: 'Query result exceeded the limit of 64 MB' });
    const reply = await laChat.handle('summary 30d');
    assert.equal(reply.kind, 'error');
    assert.ok(
      reply.kind === 'error' && /only part of the result/.test(reply.message) && /64 MB/.test(reply.message),
      JSON.stringify(reply),
    );
  });

  it('a 403 from the query API names the role to grant', async () => {
    workspace.failNext({
      api: 'query',
      status: 403,
      body: {
        error: {
          code: 'InsufficientAccessError',
          message: 'The provided credentials have insufficient access to perform the requested operation',
        },
      },
    });
    const reply = await laChat.handle('summary 30d');
    assert.ok(reply.kind === 'error' && /Log Analytics Reader/.test(reply.message), JSON.stringify(reply));
  });

  it('kql <query>: an admin gets the first rows as a table; others and an empty admin list are refused', async () => {
    const user = { id: '29:admin', aadObjectId: ADMIN };
    const reply = await laChat.handle(
      `kql ${DCR_TABLE} | summarize n = count() by ActionType | sort by n desc, ActionType asc`,
      user,
      undefined,
    );
    assert.equal(reply.kind, 'table', JSON.stringify(reply));
    assert.ok(reply.kind === 'table' && reply.columns.join(',') === 'ActionType,n' && reply.rows.length > 0);
    const other = await laChat.handle(`kql ${DCR_TABLE} | take 1`, {
      id: '29:other',
      aadObjectId: 'bbbbbbbb-0000-0000-0000-000000000000',
    });
    assert.ok(other.kind === 'error' && /administrators/.test(other.message));
    const open = loadConfig({ ...laEnv, ADMIN_AAD_OBJECT_IDS: undefined });
    const openChat = buildChat(open, {
      store,
      clock,
      logger,
      rateLimit: false,
      azure: azure(),
      subscriptions: createSubscriptions({ store: store, clock: clock, adminIds: open.commands.adminIds }),
    });
    const refused = await openChat.handle(`kql ${DCR_TABLE} | take 1`, { id: '29:admin', aadObjectId: ADMIN });
    assert.ok(refused.kind === 'error', 'without an admin list nobody runs ad hoc KQL from Teams');
    const sqliteOnly = await sqliteChat.handle(`kql ${DCR_TABLE} | take 1`);
    assert.ok(sqliteOnly.kind === 'error' && /QUERY_BACKEND=log-analytics/.test(sqliteOnly.message));
  });

  describe('forwarding failures', () => {
    const version = (n: number, status: string, minute: number) =>
      makeAction({
        id: guid(500_000 + n),
        status,
        creationDateTimeUtc: '2026-11-29T11:00:00Z',
        lastUpdateDateTimeUtc: `2026-11-29T11:${String(minute).padStart(2, '0')}:00.1234567Z`,
      });
    const ingest = (items: ReturnType<typeof version>[]): void => {
      const runId = store.beginRun(new Date(clock.now()).toISOString(), false);
      store.applyPage({
        runId,
        items,
        quarantined: [],
        observedAt: new Date(clock.now()).toISOString(),
        backfill: false,
        cursor: null,
      });
      store.finishRun(runId, {
        finishedAt: new Date(clock.now()).toISOString(),
        ok: true,
        stats: { pages: 1, calls: 1, new: 0, statusChanged: 0, updated: 0, unchanged: 0, quarantined: 0 },
      });
    };
    const rowsOf = (id: string): unknown[] => workspace.table(DCR_TABLE).rows.filter((r) => r.includes(id));

    it('a large backlog goes in several gzip calls of at most 1 MB each, every version exactly once', async () => {
      const uploadsBefore = workspace.uploads.length;
      const many = Array.from({ length: 2500 }, (_, i) =>
        makeAction({
          id: guid(700_000 + i),
          requestorComment: `bulk ${i} ${'x'.repeat(1000)}`,
          lastUpdateDateTimeUtc: '2026-11-29T11:30:00.5Z',
        }),
      );
      ingest(many);
      const r = await forwarder().forward();
      assert.equal(r.sent, 2500);
      const uploads = workspace.uploads.slice(uploadsBefore);
      assert.ok(uploads.length >= 3, `${uploads.length} calls`);
      for (const u of uploads) {
        assert.ok(u.gzip, 'gzip');
        assert.ok(Buffer.byteLength(JSON.stringify(u.rows)) <= 1_000_000, 'at most 1 MB of JSON per call');
      }
      const sent = uploads.flatMap((u) => u.rows.map((row) => row.ActionId));
      assert.equal(new Set(sent).size, 2500);
      assert.equal(sent.length, 2500);
    });

    it('a 429 from the ingestion API is retried by the SDK; the version is sent once', async () => {
      ingest([version(1, 'Pending', 1)]);
      workspace.failNext({ api: 'ingest', status: 429, retryAfterSeconds: 0 });
      const r = await forwarder().forward();
      assert.equal(r.sent, 1);
      assert.equal(rowsOf(guid(500_001)).length, 1);
    });

    it('403 names the Monitoring Metrics Publisher role; the version waits and is sent after the fix', async () => {
      ingest([version(2, 'Pending', 2)]);
      workspace.failNext({ api: 'ingest', status: 403 });
      await assert.rejects(
        forwarder().forward(),
        (e: Error & { fix?: string }) => /Monitoring Metrics Publisher/.test(e.fix ?? '') && e.message.includes(DCR_ID),
      );
      assert.equal(store.forwardBacklog(), 1);
      assert.equal(rowsOf(guid(500_002)).length, 0);
      await forwarder().forward();
      assert.equal(rowsOf(guid(500_002)).length, 1);
    });

    it('an outage longer than the SDK retries loses and repeats nothing: every version arrives exactly once after recovery', async () => {
      ingest([version(3, 'Pending', 3), version(4, 'Pending', 3)]);
      // The SDK makes 4 attempts (3 retries); the outage outlasts them.
      workspace.failNext({ api: 'ingest', status: 503, retryAfterSeconds: 0, times: 4 });
      await assert.rejects(
        forwarder().forward(),
        (e: Error & { code?: string }) => e.code === 'LOG_ANALYTICS_UNAVAILABLE',
      );
      assert.equal(workspace.requests.filter((r) => r.api === 'ingest' && r.status === 503).length, 4);
      ingest([version(3, 'InProgress', 4), version(3, 'Succeeded', 5), version(4, 'Succeeded', 6)]);
      ingest([version(4, 'Succeeded', 6)]); // an overlap re-read: unchanged, not sent again
      const r = await forwarder().forward();
      assert.equal(r.sent, 5);
      const table = (): ReturnType<FakeWorkspace['table']> => workspace.table(DCR_TABLE);
      const statusAt = (): number => table().columns.findIndex((c) => c.name === 'Status');
      const statuses = (id: string): unknown[] =>
        table()
          .rows.filter((row) => row.includes(id))
          .map((row) => row[statusAt()]);
      assert.deepEqual(statuses(guid(500_003)), ['Pending', 'InProgress', 'Succeeded']);
      assert.deepEqual(statuses(guid(500_004)), ['Pending', 'Succeeded']);
      const reply = await laChat.handle(`action ${guid(500_003)}`);
      assert.ok(
        reply.kind === 'action' &&
          reply.action?.status === 'Succeeded' &&
          reply.action.lastUpdateDateTimeUtc === '2026-11-29T11:05:00.1234567Z',
        'latest version, 100 ns precision',
      );
      assert.deepEqual(reply.kind === 'action' ? reply.history.map((h) => h.status) : [], [
        'Pending',
        'InProgress',
        'Succeeded',
      ]);
    });
  });
});
