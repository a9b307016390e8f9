import assert from 'node:assert/strict';
import { createChat, MAX_TEXT_LENGTH, normalizeText } from '../../src/commands/chat.js';
import { createRateLimiter } from '../../src/commands/rate-limit.js';
import { parsePeriod } from '../../src/commands/period.js';
import { closest } from '../../src/commands/closest.js';
import { fillDays } from '../../src/commands/table.js';
import { toCsv, toJson, toText } from '../../src/commands/format.js';
import type { ActionRow, QuerySpec } from '../../src/core/query.js';
import type { Reply } from '../../src/core/replies.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeQueryBackend } from '../fakes/fake-query-backend.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';

const NOW = Date.parse('2026-11-29T12:00:00.000Z');

function setup(options: { rateLimit?: boolean } = {}) {
  const clock = new FakeClock(NOW);
  const backend = new FakeQueryBackend();
  const logger = createCaptureLogger();
  const chat = createChat({
    backend,
    kqlOf: (spec: QuerySpec) => `KQL(${spec.shape})`,
    clock,
    logger,
    status: () => ({ facts: [{ label: 'Last successful run', value: 'now' }], problem: null }),
    requestorNames: new Map([['2f48b784-5da5-4e61-9957-012d2630f1e4', 'SOAR playbooks']]),
    ...(options.rateLimit ? { rateLimiter: createRateLimiter({ limit: 3, windowMs: 60_000, clock }) } : {}),
    pageSize: 2,
  });
  return { chat, backend, clock, logger };
}

const row = (n: number, machineId = 'm1'): ActionRow => ({
  id: `id-${n}`,
  type: 'Isolate',
  title: null,
  scope: 'Full',
  status: 'Succeeded',
  machineId,
  computerDnsName: 'WS-042.contoso.com',
  requestor: 'alex@contoso.com',
  requestorComment: 'c',
  requestSource: 'Portal',
  creationDateTimeUtc: '2026-11-28T10:00:00.1234567Z',
  lastUpdateDateTimeUtc: '2026-11-28T10:05:00Z',
  cancellationRequestor: null,
  cancellationComment: null,
  cancellationDateTimeUtc: null,
  errorHResult: 0,
  externalId: null,
});

describe('commands/chat', () => {
  it('strips mentions, ignores case and white space', () => {
    assert.equal(normalizeText('<at>Defender Audit</at>  Actions   FOR device ws-042 '), 'Actions FOR device ws-042');
    const { chat } = setup();
    const p = chat.parse('<at>Defender Audit</at> ACTIONS FOR DEVICE WS-042 7d');
    assert.equal(p.command?.name, 'actions for device');
    assert.equal(p.queries[0]?.spec.device, 'WS-042');
    assert.deepEqual(p.queries[0]?.spec.range?.source, { kind: 'ago', days: 7 });
  });

  it('plans every command with the right specs', () => {
    const { chat } = setup();
    const specs = (text: string) => chat.parse(text).queries.map((q) => q.spec);
    assert.deepEqual(
      specs('device srv-sql-01.contoso.com').map((s) => [s.shape, s.device, s.range?.label]),
      [
        ['list', 'srv-sql-01.contoso.com', 'last 30 days'],
        ['countByMachine', 'srv-sql-01.contoso.com', 'last 30 days'],
      ],
    );
    assert.equal(specs('actions by Alex.Wilber@contoso.com 90d')[0]?.requestor, 'Alex.Wilber@contoso.com');
    assert.equal(
      specs('actions by soar playbooks')[0]?.requestor,
      '2f48b784-5da5-4e61-9957-012d2630f1e4',
      'a configured app name resolves to its GUID',
    );
    assert.deepEqual(
      specs('summary 24h').map((s) => s.shape),
      ['countByType', 'countByStatus'],
    );
    assert.equal(specs('summary 24h')[0]?.range?.label, 'last 24 hours');
    assert.equal(specs('requestors 360d')[0]?.shape, 'countByRequestor');
    assert.equal(specs('devices')[0]?.shape, 'countByDevice');
    assert.equal(specs('timeline since 2026-01-01')[0]?.range?.from, '2026-01-01T00:00:00.000Z');
    assert.deepEqual(specs('isolated'), [
      { shape: 'isolation', limit: 25 },
      { shape: 'isolation', statuses: ['Pending', 'InProgress'], limit: 0 },
    ]);
    assert.deepEqual(specs('isolated page 3')[0], { shape: 'isolation', limit: 75 });
    assert.deepEqual(specs('failed 7d')[0]?.statuses, ['Failed', 'TimeOut']);
    assert.deepEqual(specs('pending')[0]?.statuses, ['Pending', 'InProgress']);
    assert.equal(specs('pending')[0]?.range, undefined, 'pending looks at any age');
    assert.deepEqual(specs('action 2a800b14-1234-5678-abe4-abcdef42d881')[0], {
      shape: 'one',
      actionId: '2a800b14-1234-5678-abe4-abcdef42d881',
    });
    assert.equal(specs('failed 7d page 3')[0]?.offset, 4);
  });

  it('answers unknown input with help and the closest command', async () => {
    const { chat } = setup();
    const r = await chat.handle('sumary 7d');
    assert.equal(r.kind, 'help');
    assert.ok(r.kind === 'help' && r.suggestion === 'summary' && /did not understand/.test(r.message ?? ''));
    assert.equal(closest('isolate', ['isolated', 'status']), 'isolated');
    assert.equal(closest('what is the weather', ['isolated', 'status', 'summary']), null);
    const help = await chat.handle('help');
    assert.ok(help.kind === 'help' && help.commands.length >= 11 && help.message === null);
  });

  it('refuses text over 500 characters without running anything', async () => {
    const { chat, backend } = setup();
    const r = await chat.handle(`device ${'a'.repeat(MAX_TEXT_LENGTH)}`);
    assert.equal(r.kind, 'error');
    assert.equal(backend.specs.length, 0);
  });

  it('rejects bad periods with a clear message', async () => {
    const { chat } = setup();
    const future = await chat.handle('timeline since 2027-01-01');
    assert.ok(future.kind === 'error' && /future/.test(future.message));
    const notADate = await chat.handle('summary since 2026-02-30');
    assert.ok(notADate.kind === 'error' && /not a date/.test(notADate.message));
    assert.ok(!parsePeriod('12w', NOW).ok);
  });

  it('takes any whole number of hours or days up to the documented maximum, and says what a period is otherwise', async () => {
    const { chat } = setup();
    const specs = (text: string) => chat.parse(text).queries.map((q) => q.spec);
    const range = (t: string) => {
      const r = parsePeriod(t, NOW);
      assert.ok(r.ok, t);
      return r.range;
    };
    assert.equal(range('180d').from, new Date(NOW - 180 * 86_400_000).toISOString());
    assert.equal(range('36h').from, new Date(NOW - 36 * 3_600_000).toISOString());
    assert.deepEqual(range('36h').source, { kind: 'ago', days: 1.5, hours: 36 });
    assert.equal(range('24h').label, 'last 24 hours');
    assert.deepEqual(range('48h').source, { kind: 'ago', days: 2 });
    assert.equal(range('1d').label, 'last 1 day');
    assert.equal(range('3650d').from, new Date(NOW - 3650 * 86_400_000).toISOString());
    for (const bad of ['0d', '0h', '3651d', '8761h']) {
      const r = parsePeriod(bad, NOW);
      assert.ok(!r.ok && /outside the periods/.test(r.message) && /at most 8760h or 3650d/.test(r.message), bad);
    }
    assert.equal(specs('devices 180d')[0]?.range?.from, new Date(NOW - 180 * 86_400_000).toISOString());
    for (const text of ['summary 99x', 'devices 180x', 'failed 12w', 'timeline 7days']) {
      const r = await chat.handle(text);
      assert.ok(r.kind === 'error' && r.title === 'Not a period', `${text}: ${JSON.stringify(r)}`);
      assert.match(r.message, /is not a period\. Periods: a whole number of hours or days such as 24h, 7d, 30d/);
      assert.match(r.message, /Usage: \w+ \[period\]/);
    }
    const tooFar = await chat.handle('summary 4000d');
    assert.ok(tooFar.kind === 'error' && /outside the periods I answer/.test(tooFar.message));
  });

  it('isolated: pages of 25 with More and what is left; requested isolations counted apart', async () => {
    const { chat, backend } = setup();
    const all = Array.from({ length: 31 }, (_, i) => ({
      machineId: `m${i}`,
      computerDnsName: `ws-${i}.contoso.com`,
      actionId: `a${i}`,
      status: i % 10 === 0 ? 'Pending' : 'Succeeded',
      scope: 'Full',
      requestor: 'x@contoso.com',
      requestorComment: null,
      since: new Date(NOW - i * 60_000).toISOString(),
    }));
    backend.answer = (spec) => {
      const rows = spec.statuses ? all.filter((r) => spec.statuses!.includes(r.status)) : all;
      return { shape: 'isolation', rows: rows.slice(0, spec.limit), total: rows.length };
    };
    const first = await chat.handle('isolated');
    assert.ok(first.kind === 'isolated');
    assert.equal(first.rows.length, 25);
    assert.equal(first.moreCommand, 'isolated page 2');
    assert.equal(first.unconfirmed, 4);
    assert.match(first.subtitle, /^31 devices: 27 isolated · 4 requested, not yet confirmed · 1–25$/);
    const none = setup();
    none.backend.answer = (spec) => {
      const rows = spec.statuses ? [] : all.slice(0, 2).map((r) => ({ ...r, status: 'Succeeded' }));
      return { shape: 'isolation', rows: rows.slice(0, spec.limit), total: rows.length };
    };
    const two = await none.chat.handle('isolated');
    assert.ok(
      two.kind === 'isolated' && two.subtitle === '2 devices isolated',
      two.kind === 'isolated' ? two.subtitle : two.kind,
    );
    const second = await chat.handle('isolated page 2');
    assert.ok(second.kind === 'isolated');
    assert.deepEqual(
      second.rows.map((r) => r.machineId),
      ['m25', 'm26', 'm27', 'm28', 'm29', 'm30'],
    );
    assert.equal(second.offset, 25);
    assert.equal(second.moreCommand, undefined, 'the last page offers no More');
  });

  it('requestors and devices: pages of 25 keys with More and how many keys in all', async () => {
    const { chat, backend } = setup();
    const keys = Array.from({ length: 30 }, (_, i) => ({
      key: `user${String(i).padStart(2, '0')}@contoso.com`,
      count: 100 - i,
    }));
    backend.answer = (spec) => ({
      shape: 'countByRequestor',
      rows: keys.slice(0, spec.top),
      total: 2565,
      keys: keys.length,
    });
    const first = await chat.handle('requestors 30d');
    assert.ok(first.kind === 'counts');
    assert.equal(first.rows.length, 25);
    assert.equal(first.moreCommand, 'requestors 30d page 2');
    assert.match(first.subtitle, /30 requestors · 1–25$/);
    const second = await chat.handle('requestors 30d page 2');
    assert.ok(second.kind === 'counts');
    assert.deepEqual(
      second.rows.map((r) => r.key),
      keys.slice(25).map((k) => k.key),
    );
    assert.equal(second.moreCommand, undefined);
    assert.deepEqual(backend.specs.at(-1), { shape: 'countByRequestor', range: backend.specs.at(-1)?.range, top: 50 });
  });

  it('the help shows placeholders that survive any client: capitals, no angle brackets (read as HTML by Teams clients)', async () => {
    const { chat } = setup();
    const help = await chat.handle('help');
    assert.ok(help.kind === 'help');
    for (const c of help.commands) assert.doesNotMatch(c.usage, /[<>]/, c.usage);
    assert.ok(help.commands.some((c) => c.usage === 'actions for device NAME [period]'));
  });

  it('hostile text is only ever a value in a spec', () => {
    const { chat } = setup();
    const evil = 'ws-042\'; drop table actions; --"|take 1';
    const p = chat.parse(`device ${evil}`);
    assert.equal(p.queries[0]?.spec.device, evil);
  });

  it('pages lists with a "more" command and says when a name is shared by machines', async () => {
    const { chat, backend } = setup();
    backend.answer = (spec) =>
      spec.shape === 'list'
        ? { shape: 'list', rows: [row(1, 'm1'), row(2, 'm2')], total: 5 }
        : {
            shape: 'countByMachine',
            rows: [
              { key: 'm1', count: 3 },
              { key: 'm2', count: 2 },
            ],
            total: 5,
          };
    const r = await chat.handle('actions for device ws-042');
    assert.equal(r.kind, 'actions');
    if (r.kind !== 'actions') return;
    assert.equal(r.moreCommand, 'actions for device ws-042 page 2');
    assert.deepEqual(r.sharedNames, [{ name: 'ws-042', machineIds: ['m1', 'm2'] }]);
    assert.equal(r.query.kql, 'KQL(list)');
    assert.match(r.subtitle, /5 actions · 1–2/);
    const last = await chat.handle('actions for device ws-042 page 3');
    assert.ok(last.kind === 'actions' && last.offset === 4);
  });

  it('status comes from the injected report; query failures become an error reply', async () => {
    const { chat, backend, logger } = setup();
    const s = await chat.handle('status');
    assert.ok(s.kind === 'status' && s.facts[0]?.label === 'Last successful run');
    backend.fail = new Error('database is locked');
    const e = await chat.handle('summary');
    assert.ok(e.kind === 'error' && /database is locked/.test(e.message));
    assert.ok(logger.lines.some((l) => l.level === 'error' && l.msg === 'command failed'));
  });

  it('limits each user to a number of commands per minute', async () => {
    const { chat, clock } = setup({ rateLimit: true });
    const user = { id: 'aad-1' };
    for (let i = 0; i < 3; i++) assert.notEqual((await chat.handle('help', user)).kind, 'error');
    assert.equal((await chat.handle('help', user)).kind, 'error');
    assert.notEqual((await chat.handle('help', { id: 'aad-2' })).kind, 'error', 'other users are not affected');
    await clock.advance(61_000);
    assert.notEqual((await chat.handle('help', user)).kind, 'error');
  });

  it('fills days without actions in a timeline', () => {
    const days = fillDays([{ key: '2026-11-28', count: 4 }], '2026-11-26T12:00:00.000Z', NOW);
    assert.deepEqual(days, [
      { key: '2026-11-26', count: 0 },
      { key: '2026-11-27', count: 0 },
      { key: '2026-11-28', count: 4 },
      { key: '2026-11-29', count: 0 },
    ]);
  });
});

describe('commands/format', () => {
  const reply: Reply = {
    kind: 'actions',
    title: 'T',
    subtitle: 's',
    rows: [row(1)],
    total: 1,
    offset: 0,
    query: { kql: 'Q' },
  };

  it('JSON rows use the MDE API field names', () => {
    const parsed = JSON.parse(toJson(reply)) as Record<string, unknown>[];
    assert.deepEqual(Object.keys(parsed[0]!).slice(0, 3), ['id', 'type', 'title']);
    assert.equal(parsed[0]!.computerDnsName, 'WS-042.contoso.com');
  });

  it('CSV quotes, escapes and defuses formulas', () => {
    const csv = toCsv({ ...reply, rows: [{ ...row(1), requestorComment: '=HYPERLINK("http://x")\nline "two"' }] });
    const [header, line] = csv.split('\r\n');
    assert.match(header!, /^id,type,title,scope,status/);
    assert.ok(line!.includes(`"'=HYPERLINK(""http://x"")\nline ""two"""`));
  });

  it('text shows app requestors with their configured name', () => {
    const text = toText(
      { ...reply, rows: [{ ...row(1), requestor: '2f48b784-5da5-4e61-9957-012d2630f1e4' }] },
      new Map([['2f48b784-5da5-4e61-9957-012d2630f1e4', 'SOAR']]),
    );
    assert.match(text, /SOAR \(app 2f48b784/);
    assert.match(text, /Query \(KQL\):\nQ/);
  });
});
