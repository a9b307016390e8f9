import assert from 'node:assert/strict';
import type { Chat } from '../../src/commands/chat.js';
import { loadConfig, type Env } from '../../src/config/config.js';
import type { ActionRow, IsolationRow } from '../../src/core/query.js';
import type { Reply } from '../../src/core/replies.js';
import type { MachineAction } from '../../src/core/types.js';
import { buildChat } from '../../src/app/index.js';
import { DCR_TABLE, LEGACY_TABLE } from '../../src/queries/schema.js';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite-store.js';
import { guid, makeAction } from '../fakes/actions.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { createFakeWorkspace, testCredential as credential, type FakeWorkspace } from '../fakes/fake-workspace.js';
import { DATASET, DATASET_COMMANDS as COMMANDS, NOW, SOAR_APP } from '../bot/dataset.js';
import { WORKSPACES, type Workspace } from '../queries/kql-tables.js';
import {
  adaptPages,
  copiedStatuses,
  hasGuidRequestors,
  legacyHistory,
  legacyRecords,
  legacyRequestor,
  legacyRunTimes,
  legacyTableOf,
  parseSchema,
} from '../queries/legacy-table.js';

/**
 * `LOG_ANALYTICS_SCHEMA=legacy` end to end, with the real `LogsQueryClient` (its pipeline, retries
 * and the bot's datetime policy) and a fake workspace behind its `httpClient` whose
 * `MDATPAdminAuditLog_CL` is filled the way the recipe's Logic App fills it (test/queries/legacy-table.ts:
 * a copy of every action every 8 hours through the HTTP Data Collector API). The actions are the
 * bot's dataset (test/bot/dataset.ts), in every legacy table variant of test/queries/kql-tables.ts.
 * Every chat command must answer what SQLite answers over the same actions, except for the two
 * differences the legacy table genuinely cannot avoid, spelled out in `expectedFor`.
 *
 * The store is fed as the bot would have polled the actions: a first run read earlier versions
 * of three of them, the second run the final versions (the dataset, plus one action an app
 * requested with its id in upper case, so that the GUID case difference shows):
 * - action 11 (StopAndQuarantineFile, TimeOut) was Pending, then InProgress, for five minutes
 *   between two Logic App runs: no copy carries those statuses;
 * - action 1 (Isolate, Succeeded) was Pending for five minutes between two runs: same;
 * - the extra action (Isolate by the SOAR app) was Pending across the 08:02 run: the copies of that
 *   run carry Pending, so the legacy history shows it, at its exact time.
 */

const WORKSPACE_ID = '44444444-4444-4444-4444-444444444444';

/** An Isolate requested by the SOAR app, its id in upper case (the Data Collector stores it in requestor_g). */
const UPPER_APP_ACTION = makeAction({
  id: guid(0xabc_def),
  type: 'Isolate',
  scope: 'Full',
  status: 'Succeeded',
  machineId: 'a000000000000000000000000000000000000006',
  computerDnsName: 'ws-077.contoso.com',
  requestor: SOAR_APP.toUpperCase(),
  requestorComment: 'Ransomware playbook',
  requestSource: 'PublicApi',
  creationDateTimeUtc: '2026-11-26T07:00:00.5Z',
  lastUpdateDateTimeUtc: '2026-11-26T09:00:00.25Z',
});

/** The pages the bot read, in order (see above); the last one holds every action's final version. */
function versionPages(): MachineAction[][] {
  const one = DATASET[0]!;
  const eleven = DATASET[10]!;
  const plus = (at: string, ms: number) => new Date(Date.parse(at) + ms).toISOString();
  return [
    [
      { ...one, status: 'Pending', lastUpdateDateTimeUtc: one.creationDateTimeUtc },
      { ...eleven, status: 'Pending', lastUpdateDateTimeUtc: eleven.creationDateTimeUtc },
      { ...eleven, status: 'InProgress', lastUpdateDateTimeUtc: plus(eleven.creationDateTimeUtc, 60_000) },
      { ...UPPER_APP_ACTION, status: 'Pending', lastUpdateDateTimeUtc: UPPER_APP_ACTION.creationDateTimeUtc },
    ],
    [...DATASET, UPPER_APP_ACTION],
  ];
}

/**
 * The Logic App's runs: every 8 hours at 00:02, 08:02 and 16:02 UTC from before the oldest action
 * (370 days ago) until NOW, plus one run started by hand at 11:59 today, so that the two actions
 * created within the last half hour (the Pending package collection and the InProgress scan) are
 * in the table. Without it they would arrive with the next scheduled run: the recipe's up-to-8-hour
 * delay, which is not what these tests compare.
 */
const LEGACY_RUNS = legacyRunTimes({ first: '2025-11-20T00:02:00Z', until: NOW, extra: ['2026-11-29T11:59:00Z'] });

/** Legacy specifics: the action whose intermediate statuses no copy carries, and the one whose Pending a copy caught. */
const LEGACY_COMMANDS = [
  `action ${DATASET[0]!.id}`,
  `action ${UPPER_APP_ACTION.id}`,
  `action ${UPPER_APP_ACTION.id.toUpperCase()}`,
];

const LEGACY_VARIANTS = WORKSPACES.filter((ws) => ws.schema === 'legacy');

function variant(label: string): Workspace {
  const ws = LEGACY_VARIANTS.find((w) => w.label === label);
  if (ws === undefined) throw new Error(`no workspace variant "${label}" in kql-tables.ts`);
  return ws;
}

interface Setup {
  store: SqliteAuditStore;
  workspace: FakeWorkspace;
  sqliteChat: Chat;
  laChat: Chat;
  /** The actions the variant received, final versions. */
  actions: MachineAction[];
  /** The Logic App's copies (records as posted). */
  records: Record<string, unknown>[];
  /** Per action id, the statuses some copy carried. */
  copied: Map<string, Set<string>>;
  guidRequestors: boolean;
}

function setUp(ws: Workspace, clock: FakeClock, logger: ReturnType<typeof createCaptureLogger>): Setup {
  const declared = ws.tables[0]!;
  assert.equal(declared.name, LEGACY_TABLE);
  const columns = parseSchema(declared.schema);
  const pages = adaptPages(versionPages(), columns);
  const store = openSqliteStore({ path: ':memory:' });
  pages.forEach((items, i) => {
    const observedAt = new Date(NOW - (pages.length - i) * 60_000).toISOString();
    const runId = store.beginRun(observedAt, i === 0);
    store.applyPage({ runId, items, quarantined: [], observedAt, backfill: i === 0, cursor: null });
    store.finishRun(runId, {
      finishedAt: observedAt,
      ok: true,
      stats: { pages: 1, calls: 1, new: items.length, statusChanged: 0, updated: 0, unchanged: 0, quarantined: 0 },
    });
  });
  const records = legacyRecords(pages.flat(), LEGACY_RUNS);
  const workspace = createFakeWorkspace({
    now: () => new Date(clock.now()),
    workspaceId: WORKSPACE_ID,
    tables: { [LEGACY_TABLE]: legacyTableOf(columns, records) },
  });
  // The same schema for SQLite, so that "Show query" shows the same (legacy) KQL in both replies.
  const baseEnv: Env = {
    REQUESTOR_NAMES: `${SOAR_APP}=SOAR playbooks`,
    COMMAND_RATE_LIMIT: '1000',
    LOG_ANALYTICS_SCHEMA: 'legacy',
  };
  const laEnv: Env = {
    ...baseEnv,
    QUERY_BACKEND: 'log-analytics',
    LOG_ANALYTICS_WORKSPACE_ID: WORKSPACE_ID,
    LOG_ANALYTICS_ENDPOINT: 'https://la.example.invalid/v1',
  };
  const sqliteChat = buildChat(loadConfig(baseEnv), { store, clock, logger, rateLimit: false });
  const laChat = buildChat(loadConfig(laEnv), {
    store,
    clock,
    logger,
    rateLimit: false,
    azure: { credential, httpClient: workspace.httpClient },
  });
  return {
    store,
    workspace,
    sqliteChat,
    laChat,
    actions: pages.at(-1)!,
    records,
    copied: copiedStatuses(records),
    guidRequestors: hasGuidRequestors(columns),
  };
}

/**
 * SQLite's reply with the only differences the legacy table genuinely cannot avoid spelled out
 * (test/queries/legacy-table.ts), wherever the reply carries the affected values:
 * - requestors (action rows, isolation rows; in lists, isolations, an action, the digest): a
 *   guid-typed `requestor_g` holds app ids in lower case;
 * - an action's status history: only the statuses some copy carried, at their exact times.
 * Everything else (titles, subtitles, totals, counts, paging, the KQL shown) must be equal.
 */
function expectedFor(s: Setup, sqlite: Reply): Reply {
  const row = <T extends ActionRow | IsolationRow>(r: T): T => ({
    ...r,
    requestor: legacyRequestor(r.requestor, s.guidRequestors),
  });
  switch (sqlite.kind) {
    case 'actions':
      return { ...sqlite, rows: sqlite.rows.map(row) };
    case 'isolated':
      return { ...sqlite, rows: sqlite.rows.map(row) };
    case 'action':
      return sqlite.action === null
        ? sqlite
        : {
            ...sqlite,
            action: row(sqlite.action),
            history: legacyHistory(sqlite.history, s.copied.get(sqlite.action.id)),
          };
    case 'digest':
      return {
        ...sqlite,
        model: {
          ...sqlite.model,
          isolated: sqlite.model.isolated.map(row),
          oldestPending: sqlite.model.oldestPending.map(row),
        },
      };
    default:
      return sqlite;
  }
}

/** The KQL texts the workspace received since request `from`, all answered 200. */
function queriesSince(workspace: FakeWorkspace, from: number): string[] {
  const sent = workspace.requests.slice(from);
  assert.ok(
    sent.every((r) => r.api === 'query' && r.status === 200),
    JSON.stringify(sent.map((r) => [r.api, r.status])),
  );
  return sent.map((r) => (r.body as { query: string }).query);
}

describe('Log Analytics end to end, legacy schema: the Logic App table MDATPAdminAuditLog_CL through LogsQueryClient', function () {
  this.timeout(120_000);
  const clock = new FakeClock(NOW);
  const logger = createCaptureLogger();

  for (const ws of LEGACY_VARIANTS) {
    describe(ws.label, () => {
      let s: Setup;
      before(() => {
        s = setUp(ws, clock, logger);
      });
      after(() => s.store.close());

      it('the table holds the Logic App copies: many per action, only the variant columns', () => {
        const table = s.workspace.table(LEGACY_TABLE);
        const declared = parseSchema(ws.tables[0]!.schema);
        assert.deepEqual(table.columns, declared);
        assert.equal(table.rows.length, s.records.length);
        const ids = new Set(s.records.map((r) => String(r.id_g)));
        assert.equal(ids.size, s.actions.length, 'every action the variant received has copies');
        assert.ok(
          table.rows.length > 20 * s.actions.length,
          `${table.rows.length} copies of ${s.actions.length} actions`,
        );
        assert.equal(s.workspace.table(DCR_TABLE).rows.length, 0, 'nothing in the DCR table');
      });

      for (const text of [...COMMANDS, ...LEGACY_COMMANDS]) {
        it(`"${text}" gets SQLite's reply, but for what the legacy table cannot tell`, async () => {
          const expected = expectedFor(s, await s.sqliteChat.handle(text));
          const before = s.workspace.requests.length;
          const got = await s.laChat.handle(text);
          assert.notEqual(got.kind, 'error', JSON.stringify(got));
          assert.deepEqual(got, expected);
          const sent = queriesSince(s.workspace, before);
          assert.ok(sent.length > 0, 'answered by the workspace');
          for (const q of sent) {
            assert.ok(q.includes(LEGACY_TABLE), q);
            assert.ok(!q.includes(DCR_TABLE), q);
            assert.ok(q.includes('column_ifexists('), q);
          }
          // "Show query" shows the main queries (summary: two, with a comment each), not the companion total or history query.
          if ('query' in got) assert.ok(got.query.kql.includes(sent[0]!), 'the card shows the KQL that ran');
        });
      }

      it('the repeated copies do not inflate counts: totals are actions, not rows', async () => {
        const summary = await s.laChat.handle('summary 360d');
        const sqlite = await s.sqliteChat.handle('summary 360d');
        assert.ok(summary.kind === 'summary' && sqlite.kind === 'summary');
        assert.equal(summary.total, sqlite.total);
        const from = new Date(NOW - 360 * 86_400_000).toISOString();
        const inWindow = s.actions.filter((a) => a.creationDateTimeUtc >= from);
        assert.equal(summary.total, inWindow.length);
        assert.equal(
          summary.byStatus.reduce((sum, r) => sum + r.count, 0),
          inWindow.length,
        );
        const copies = s.records.filter((r) => inWindow.some((a) => a.id === r.id_g)).length;
        assert.ok(copies > 20 * summary.total, `${copies} copies`);
        const listed = await s.laChat.handle('failed 360d');
        const listedSqlite = await s.sqliteChat.handle('failed 360d');
        assert.ok(listed.kind === 'actions' && listedSqlite.kind === 'actions');
        assert.equal(listed.total, listedSqlite.total);
        assert.equal(new Set(listed.rows.map((r) => r.id)).size, listed.rows.length, 'one row per action');
      });
    });
  }

  describe('the spelled-out differences are real (all columns, _g as guid)', () => {
    let s: Setup;
    before(() => {
      s = setUp(variant('legacy (all columns, _g as guid)'), clock, logger);
    });
    after(() => s.store.close());

    it('history: statuses between two runs are missing; a status a run caught keeps its exact time', async () => {
      const sqlite = await s.sqliteChat.handle(`action ${DATASET[10]!.id}`);
      const got = await s.laChat.handle(`action ${DATASET[10]!.id}`);
      assert.ok(sqlite.kind === 'action' && got.kind === 'action');
      assert.deepEqual(
        sqlite.history.map((h) => h.status),
        ['Pending', 'InProgress', 'TimeOut'],
      );
      assert.deepEqual(got.history, [{ status: 'TimeOut', at: sqlite.history[2]!.at }]);
      const caught = await s.laChat.handle(`action ${UPPER_APP_ACTION.id}`);
      assert.ok(caught.kind === 'action');
      assert.deepEqual(caught.history, [
        { status: 'Pending', at: '2026-11-26T07:00:00.5Z' },
        { status: 'Succeeded', at: '2026-11-26T09:00:00.25Z' },
      ]);
    });

    it('GUID case: an app id requested in upper case reads back in lower case, and still matches', async () => {
      for (const text of ['isolated', 'actions by SOAR playbooks', `action ${UPPER_APP_ACTION.id}`]) {
        const sqlite = await s.sqliteChat.handle(text);
        const got = await s.laChat.handle(text);
        assert.notDeepEqual(got, sqlite, text);
        assert.deepEqual(got, expectedFor(s, sqlite), text);
        const requestors = JSON.stringify(got);
        assert.ok(requestors.includes(SOAR_APP) && !requestors.includes(SOAR_APP.toUpperCase()), text);
      }
      const byApp = await s.laChat.handle(`actions by ${SOAR_APP.toUpperCase()} 30d`);
      assert.ok(byApp.kind === 'actions');
      assert.ok(byApp.rows.some((r) => r.id === UPPER_APP_ACTION.id && r.requestor === SOAR_APP));
    });

    it('the _g as string variant keeps the case', async () => {
      const asString = setUp(variant('legacy (_g as string)'), clock, logger);
      try {
        assert.equal(asString.guidRequestors, false);
        const got = await asString.laChat.handle(`action ${UPPER_APP_ACTION.id}`);
        assert.ok(got.kind === 'action' && got.action?.requestor === SOAR_APP.toUpperCase());
      } finally {
        asString.store.close();
      }
    });
  });
});
