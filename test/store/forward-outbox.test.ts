import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { guid, makeAction, page } from '../fakes/actions.js';

describe('store/forwarding outbox (Log Analytics)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dab-outbox-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('records nothing while forwarding is off', () => {
    const s = openSqliteStore({ path: join(dir, 'a.db') });
    s.applyPage(page([makeAction({ id: guid(1) })]));
    assert.equal(s.forwardingEnabled(), false);
    assert.equal(s.forwardBacklog(), 0);
    s.close();
  });

  it('enabling seeds the whole history once (backfill included); later versions are recorded, unchanged re-reads are not', () => {
    const s = openSqliteStore({ path: join(dir, 'a.db') });
    s.applyPage(page([makeAction({ id: guid(1) }), makeAction({ id: guid(2) })], { backfill: true }));
    assert.equal(s.enableForwarding('2026-11-29T12:00:00.000Z'), 2);
    assert.equal(s.enableForwarding('2026-11-29T12:01:00.000Z'), 0, 'a second enable seeds nothing');
    const v1 = makeAction({ id: guid(3), status: 'Pending', lastUpdateDateTimeUtc: '2026-11-29T12:00:00Z' });
    const v2 = { ...v1, status: 'Succeeded', lastUpdateDateTimeUtc: '2026-11-29T12:05:00Z' };
    s.applyPage(page([v1]));
    s.applyPage(page([v1])); // the overlap window re-reads it unchanged
    s.applyPage(page([v2]));
    const pending = s.pendingForward(100);
    assert.deepEqual(
      pending.map((p) => [p.action.id, p.action.status]),
      [
        [guid(1), 'Pending'],
        [guid(2), 'Pending'],
        [guid(3), 'Pending'],
        [guid(3), 'Succeeded'],
      ],
    );
    assert.ok(
      pending.every((p, i) => i === 0 || p.seq > pending[i - 1]!.seq),
      'in order',
    );
    s.close();
  });

  it('ack removes what was accepted; the flag and the rest survive a restart', () => {
    const path = join(dir, 'a.db');
    const s = openSqliteStore({ path });
    s.enableForwarding('2026-11-29T12:00:00.000Z');
    s.applyPage(page([1, 2, 3].map((n) => makeAction({ id: guid(n) }))));
    const [first, second] = s.pendingForward(2);
    s.ackForward(second!.seq);
    assert.equal(s.forwardBacklog(), 1);
    assert.ok(first!.seq < second!.seq);
    s.close();
    const again = openSqliteStore({ path });
    assert.equal(again.forwardingEnabled(), true);
    assert.deepEqual(
      again.pendingForward(10).map((p) => p.action.id),
      [guid(3)],
    );
    again.applyPage(page([makeAction({ id: guid(4) })]));
    assert.equal(again.forwardBacklog(), 2, 'a new process keeps recording');
    again.close();
  });

  it('disabling empties the outbox and stops recording; enabling again re-seeds the whole history', () => {
    const s = openSqliteStore({ path: join(dir, 'a.db') });
    s.enableForwarding('2026-11-29T12:00:00.000Z');
    s.applyPage(page([1, 2].map((n) => makeAction({ id: guid(n) }))));
    assert.equal(s.disableForwarding(), 2);
    s.applyPage(page([makeAction({ id: guid(3) })]));
    assert.equal(s.forwardBacklog(), 0);
    assert.equal(s.enableForwarding('2026-11-29T13:00:00.000Z'), 3);
    s.close();
  });
});
