import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type Io } from '../../src/app/cli/run.js';
import type { MachineAction } from '../../src/core/types.js';
import { generateActions } from '../../src/simulator/generator.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { FakeClock } from '../fakes/fake-clock.js';

/**
 * `ask --format json|csv` is the documented evidence export: it holds every matching row, however
 * many pages the chat answer has, and says which query produced them (without `take`).
 */

const NOW = Date.parse('2026-11-20T12:00:00Z');
const DAY = 86_400_000;

function io(options: { streamed?: boolean } = {}): Io & { text: { out: string; err: string; chunks: number } } {
  const text = { out: '', err: '', chunks: 0 };
  return {
    text,
    out: (t) => (text.out += `${t}\n`),
    err: (t) => (text.err += `${t}\n`),
    tty: false,
    clock: new FakeClock(NOW),
    ...(options.streamed
      ? {
          write: (chunk: string) => {
            text.chunks += 1;
            text.out += chunk;
            return Promise.resolve();
          },
        }
      : {}),
  };
}

describe('cli: ask --format json|csv exports every matching row', function () {
  this.timeout(60_000);
  let dir: string;
  let env: Record<string, string>;
  let actions: MachineAction[];
  const inLast = (a: MachineAction, days: number): boolean => Date.parse(a.creationDateTimeUtc) >= NOW - days * DAY;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dab-export-'));
    env = { STORE_PATH: join(dir, 'audit.db') };
    actions = generateActions(6000, { devices: 300, days: 60, seed: 9, nowMs: NOW });
    const store = openSqliteStore({ path: env.STORE_PATH! });
    const at = new Date(NOW).toISOString();
    const runId = store.beginRun(at, true);
    store.applyPage({ runId, items: actions, quarantined: [], observedAt: at, backfill: true, cursor: null });
    store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('failed 30d: the chat answer is one page, the JSON and CSV exports hold all of them, newest first', async () => {
    const expected = actions.filter((a) => (a.status === 'Failed' || a.status === 'TimeOut') && inLast(a, 30));
    assert.ok(expected.length > 40, `the dataset has ${expected.length} failed actions in 30 days, more than a page`);
    const chat = io();
    assert.equal(await runCli(['ask', 'failed 30d'], env, chat), 0);
    assert.match(chat.text.out, new RegExp(`${expected.length.toLocaleString('en-US')} actions`));

    const json = io();
    assert.equal(await runCli(['ask', 'failed 30d', '--format', 'json'], env, json), 0);
    const rows = JSON.parse(json.text.out) as { id: string; creationDateTimeUtc: string; status: string }[];
    assert.equal(rows.length, expected.length);
    assert.deepEqual(new Set(rows.map((r) => r.id)), new Set(expected.map((a) => a.id)));
    assert.ok(
      rows.every((r, i) => i === 0 || rows[i - 1]!.creationDateTimeUtc >= r.creationDateTimeUtc),
      'newest first',
    );
    assert.match(json.text.err, new RegExp(`^${expected.length} rows: every matching one`));
    const kql = json.text.err.slice(json.text.err.indexOf('\n') + 1);
    assert.match(kql, /MDEMachineActions_CL/);
    assert.doesNotMatch(kql, /\btake\b|\btop\b|_row/, 'the export query is not paged');

    const csv = io();
    assert.equal(await runCli(['ask', 'failed 30d', '--format', 'csv'], env, csv), 0);
    const lines = csv.text.out.trimEnd().split('\r\n');
    assert.equal(lines.length, expected.length + 1, 'a header and one line per action');
    assert.equal(
      lines[0],
      'id,type,title,scope,status,machineId,computerDnsName,requestor,requestorComment,requestSource,creationDateTimeUtc,lastUpdateDateTimeUtc,cancellationRequestor,cancellationComment,cancellationDateTimeUtc,errorHResult,externalId',
    );
  });

  it('a page of the chat answer exports the whole list; isolated and the top-25 counts export everything', async () => {
    const page3 = io();
    assert.equal(await runCli(['ask', 'failed 30d page 3', '--format', 'json'], env, page3), 0);
    const all = io();
    assert.equal(await runCli(['ask', 'failed 30d', '--format', 'json'], env, all), 0);
    assert.equal(page3.text.out, all.text.out);

    const devices = io();
    assert.equal(await runCli(['ask', 'devices 30d', '--format', 'json'], env, devices), 0);
    const keys = JSON.parse(devices.text.out) as { key: string; count: number }[];
    // Actions without a device name count under the empty key, as in the chat answer.
    const expected = new Set(actions.filter((a) => inLast(a, 30)).map((a) => (a.computerDnsName ?? '').toLowerCase()));
    assert.ok(keys.length > 25, `${keys.length} devices, more than the chat's top 25`);
    assert.equal(keys.length, expected.size);
    assert.equal(
      keys.reduce((n, k) => n + k.count, 0),
      actions.filter((a) => inLast(a, 30)).length,
    );

    const isolated = io();
    assert.equal(await runCli(['ask', 'isolated', '--format', 'csv'], env, isolated), 0);
    const chat = io();
    assert.equal(await runCli(['ask', 'isolated'], env, chat), 0);
    const total = Number(/^([\d,]+) devices:/m.exec(chat.text.out)?.[1]?.replace(/,/g, ''));
    assert.ok(total > 25, `more isolated devices than a chat page of 25: ${chat.text.out.slice(0, 200)}`);
    assert.equal(isolated.text.out.trimEnd().split('\r\n').length, total + 1);
  });

  it('streams in chunks through a backpressured writer, and gives the same text as the collected output', async () => {
    const streamed = io({ streamed: true });
    assert.equal(
      await runCli(['ask', 'actions by ' + actions[0]!.requestor + ' 90d', '--format', 'json'], env, streamed),
      0,
    );
    const collected = io();
    assert.equal(
      await runCli(['ask', 'actions by ' + actions[0]!.requestor + ' 90d', '--format', 'json'], env, collected),
      0,
    );
    assert.equal(streamed.text.out.trimEnd(), collected.text.out.trimEnd());
    const rows = JSON.parse(streamed.text.out) as unknown[];
    assert.ok(rows.length > 200, `${rows.length} rows`);
    assert.ok(streamed.text.chunks > 1, 'written in several chunks, not one string');
  });

  it('commands whose chat answer is complete export it as before; an empty export is valid JSON', async () => {
    const summary = io();
    assert.equal(await runCli(['ask', 'summary 30d', '--format', 'json'], env, summary), 0);
    assert.ok('byType' in (JSON.parse(summary.text.out) as object));
    const none = io();
    assert.equal(await runCli(['ask', 'actions for device no-such-device', '--format', 'json'], env, none), 0);
    assert.deepEqual(JSON.parse(none.text.out), []);
    const noneCsv = io();
    assert.equal(await runCli(['ask', 'actions for device no-such-device', '--format', 'csv'], env, noneCsv), 0);
    assert.equal(noneCsv.text.out.trim(), '');
  });
});
