import assert from 'node:assert/strict';
import {
  compareTimestamps,
  millisToTimestamp,
  normalizeTimestamp,
  subtractMillis,
  toWireTimestamp,
} from '../../src/core/timestamps.js';
import { formatDuration, parseDuration } from '../../src/core/duration.js';

describe('core/timestamps', () => {
  it('normalises 1 to 7 fractional digits to exactly 7', () => {
    assert.equal(normalizeTimestamp('2025-03-25T10:36:47.2968211Z'), '2025-03-25T10:36:47.2968211Z');
    assert.equal(normalizeTimestamp('2025-04-03T10:20:00.154974Z'), '2025-04-03T10:20:00.1549740Z');
    assert.equal(normalizeTimestamp('2025-04-03T10:20:00.1Z'), '2025-04-03T10:20:00.1000000Z');
    assert.equal(normalizeTimestamp('2025-04-03T10:20:00Z'), '2025-04-03T10:20:00.0000000Z');
  });

  it('rejects text that is not a UTC timestamp', () => {
    for (const bad of [
      '',
      'yesterday',
      '2025-04-03 10:20:00Z',
      '2025-04-03T10:20:00.12345678Z',
      '2025-13-03T10:20:00Z',
      '2025-04-03T10:20:00+02:00',
      '2025-04-03T10:20:00',
    ]) {
      assert.equal(normalizeTimestamp(bad), undefined, bad);
    }
  });

  it('compares as instants at 100 ns precision, whatever the digit counts', () => {
    // As text "…00.1Z" sorts after "…00.15Z" ('Z' > '5'); as instants .1 < .15.
    assert.ok('2025-04-03T10:20:00.1Z' > '2025-04-03T10:20:00.15Z');
    assert.equal(compareTimestamps('2025-04-03T10:20:00.1Z', '2025-04-03T10:20:00.15Z'), -1);
    assert.equal(compareTimestamps('2025-04-03T10:20:00.155Z', '2025-04-03T10:20:00.154974Z'), 1);
    assert.equal(compareTimestamps('2025-03-26T07:25:33.9337696Z', '2025-03-26T07:25:33.9337697Z'), -1);
    assert.equal(compareTimestamps('2025-03-26T07:25:33.5Z', '2025-03-26T07:25:33.5000000Z'), 0);
  });

  it('formats, trims and subtracts', () => {
    assert.equal(millisToTimestamp(Date.parse('2026-01-02T03:04:05.678Z'), 42), '2026-01-02T03:04:05.6780042Z');
    assert.equal(toWireTimestamp('2026-01-02T03:04:05.6780000Z'), '2026-01-02T03:04:05.678Z');
    assert.equal(toWireTimestamp('2026-01-02T03:04:05.0000000Z'), '2026-01-02T03:04:05.0Z');
    assert.equal(subtractMillis('2026-01-02T00:00:00.0000001Z', 300_000), '2026-01-01T23:55:00.0000001Z');
  });

  it('parses durations with units only', () => {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('7d'), 604_800_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('30'), undefined);
    assert.equal(parseDuration('soon'), undefined);
    assert.equal(formatDuration(3_900_000), '1h 5m');
  });
});
