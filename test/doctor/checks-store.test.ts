import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { checkStore } from '../../src/doctor/checks-store.js';
import type { DoctorContext } from '../../src/doctor/context.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { FakeClock } from '../fakes/fake-clock.js';

/** 2025-06-01T12:00:00.000Z, milliseconds since the epoch. */
const NOW_MS = Date.parse('2025-06-01T12:00:00.000Z');

/** A context as the configuration check leaves it, with the store at `path`. */
function contextWith(path: string): DoctorContext {
  return { config: loadConfig({ STORE_PATH: path }) };
}

describe('doctor: the store check alone', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dab-doctor-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is skipped without a configuration in the context', () => {
    const r = checkStore({}, { clock: new FakeClock(NOW_MS), deep: false });
    assert.deepEqual(r, { status: 'skip', detail: 'the configuration is invalid' });
  });

  it('says how long ago the last ingest succeeded, by the given clock', () => {
    const path = join(dir, 'audit.db');
    const store = openSqliteStore({ path });
    store.db.prepare('UPDATE ingest_state SET last_success_at = ? WHERE id = 1').run('2025-06-01T09:00:00.000Z');
    store.close();
    const r = checkStore(contextWith(path), { clock: new FakeClock(NOW_MS), deep: true });
    assert.equal(r.status, 'ok', r.detail);
    assert.match(r.detail, /audit\.db: schema version \d+, 0 actions, /);
    assert.match(r.detail, /, last successful ingest 2025-06-01T09:00:00\.000Z \(3 h ago\)$/);
  });

  it('a run that failed after the last success is a warning naming the error', () => {
    const path = join(dir, 'audit.db');
    const store = openSqliteStore({ path });
    store.db
      .prepare("UPDATE ingest_state SET last_success_at = ?, last_error_at = ?, last_error = 'HTTP 503' WHERE id = 1")
      .run('2025-05-30T12:00:00.000Z', '2025-06-01T11:59:50.000Z');
    store.close();
    const r = checkStore(contextWith(path), { clock: new FakeClock(NOW_MS), deep: false });
    assert.equal(r.status, 'warn', r.detail);
    assert.match(r.detail, /last successful ingest 2025-05-30T12:00:00\.000Z \(2 days ago\); /);
    assert.match(r.detail, /; the last run failed 2025-06-01T11:59:50\.000Z \(just now\): HTTP 503$/);
    assert.match(r.fix ?? '', /ingest --once/);
  });
});
