import assert from 'node:assert/strict';
import { AppError } from '../../src/core/errors.js';
import {
  decodeJwtPayload,
  doctorExitCode,
  formatDoctor,
  missingRoles,
  runDoctor,
  summarizeDoctor,
  tokenRoles,
  type DoctorCheck,
} from '../../src/doctor/index.js';

const jwt = (payload: unknown): string =>
  [{ alg: 'RS256', typ: 'JWT' }, payload]
    .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
    .join('.') + '.c2lnbmF0dXJl';

describe('doctor: runDoctor', () => {
  it('runs every check in order and keeps their outcomes', async () => {
    const order: string[] = [];
    const check = (name: string, status: 'ok' | 'warn' | 'skip'): DoctorCheck => ({
      name,
      run: () => {
        order.push(name);
        return Promise.resolve({ status, detail: `${name} detail`, ...(status === 'warn' ? { fix: 'do this' } : {}) });
      },
    });
    const results = await runDoctor([check('a', 'ok'), check('b', 'warn'), check('c', 'skip')]);
    assert.deepEqual(order, ['a', 'b', 'c']);
    assert.deepEqual(results, [
      { name: 'a', status: 'ok', detail: 'a detail' },
      { name: 'b', status: 'warn', detail: 'b detail', fix: 'do this' },
      { name: 'c', status: 'skip', detail: 'c detail' },
    ]);
    assert.equal(doctorExitCode(results), 0, 'warnings and skips do not fail');
  });

  it('isolates each check: a rejection, a synchronous throw or a timeout is a failure of that check only', async () => {
    const results = await runDoctor(
      [
        {
          name: 'rejects',
          run: () =>
            Promise.reject(new AppError('MDE_NETWORK', 'Cannot reach the API.', { fix: 'Check the network.' })),
        },
        {
          name: 'throws',
          run: () => {
            throw new Error('boom');
          },
        },
        { name: 'hangs', run: () => new Promise(() => {}) },
        { name: 'after', run: () => Promise.resolve({ status: 'ok', detail: 'still ran' }) },
      ],
      { timeoutMs: 50 },
    );
    assert.deepEqual(
      results.map((r) => [r.name, r.status, r.detail]),
      [
        ['rejects', 'fail', 'Cannot reach the API. Fix: Check the network.'],
        ['throws', 'fail', 'boom'],
        ['hangs', 'fail', 'did not finish within 50 ms'],
        ['after', 'ok', 'still ran'],
      ],
    );
    assert.equal(doctorExitCode(results), 1);
  });
});

describe('doctor: formatDoctor', () => {
  it('prints one line per check with a symbol, the detail and, for problems, the fix', () => {
    const text = formatDoctor([
      { name: 'configuration', status: 'ok', detail: 'fine', fix: 'not shown for ok' },
      { name: 'MDE permissions', status: 'fail', detail: 'missing Machine.Read.All', fix: 'grant it' },
      { name: 'Teams bot', status: 'warn', detail: 'BOT_ID is not set', fix: 'set BOT_ID' },
      { name: 'store', status: 'warn', detail: 'no fix given' },
      { name: 'Log Analytics queries', status: 'skip', detail: 'not configured' },
    ]);
    assert.equal(
      text,
      [
        '✔ configuration: fine',
        '✖ MDE permissions: missing Machine.Read.All — Fix: Grant it',
        '! Teams bot: BOT_ID is not set — Fix: Set BOT_ID',
        '! store: no fix given',
        '- Log Analytics queries (skipped: not configured)',
      ].join('\n'),
    );
  });

  it('keeps multi-line details on one line', () => {
    const text = formatDoctor([
      { name: 'x', status: 'fail', detail: 'Invalid configuration:\n  - A: bad\n  - B: worse', fix: 'one\ntwo' },
    ]);
    assert.equal(text, '✖ x: Invalid configuration: - A: bad - B: worse — Fix: One two');
    assert.equal(text.split('\n').length, 1);
  });

  it('summarizes the counts', () => {
    assert.equal(
      summarizeDoctor([
        { name: 'a', status: 'ok', detail: '' },
        { name: 'b', status: 'warn', detail: '' },
        { name: 'c', status: 'fail', detail: '' },
        { name: 'd', status: 'skip', detail: '' },
        { name: 'e', status: 'skip', detail: '' },
      ]),
      '1 ok, 1 warning, 1 failed, 2 skipped',
    );
  });
});

describe('doctor: JWT payload and roles', () => {
  it('decodes the payload of a JWT without verifying it', () => {
    const payload = {
      aud: 'https://api.securitycenter.microsoft.com',
      roles: ['Machine.Read.All'],
      exp: 1_900_000_000,
      name: 'Ünïcödé',
    };
    assert.deepEqual(decodeJwtPayload(jwt(payload)), payload);
  });

  it('rejects what is not a JWT with a JSON object payload', () => {
    assert.throws(() => decodeJwtPayload('opaque-token'), /not a JWT \(expected 3 dot-separated parts, got 1\)/);
    assert.throws(() => decodeJwtPayload('a..c'), /not a JWT/);
    assert.throws(() => decodeJwtPayload('a.b$c.d'), /not base64url/);
    assert.throws(() => decodeJwtPayload(`a.${Buffer.from('not json').toString('base64url')}.c`), /not JSON/);
    assert.throws(() => decodeJwtPayload(`a.${Buffer.from('[1,2]').toString('base64url')}.c`), /not a JSON object/);
    assert.throws(() => decodeJwtPayload(`a.${Buffer.from('null').toString('base64url')}.c`), /not a JSON object/);
  });

  it('reads the roles claim as strings, [] when absent', () => {
    assert.deepEqual(tokenRoles({ roles: ['Machine.Read.All', 7, null, 'Machine.Isolate'] }), [
      'Machine.Read.All',
      'Machine.Isolate',
    ]);
    assert.deepEqual(tokenRoles({ scp: 'Machine.Read' }), []);
    assert.deepEqual(tokenRoles({ roles: 'Machine.Read.All' }), []);
  });

  it('missingRoles: Machine.Read.All is required by default; Machine.ReadWrite.All includes it (mde-api.md §2)', () => {
    assert.deepEqual(missingRoles([]), ['Machine.Read.All']);
    assert.deepEqual(missingRoles(['Machine.Isolate', 'Machine.Scan']), ['Machine.Read.All']);
    assert.deepEqual(missingRoles(['Machine.Read.All']), []);
    assert.deepEqual(missingRoles(['machine.read.all']), [], 'case-insensitive');
    assert.deepEqual(missingRoles(['Machine.ReadWrite.All']), []);
    assert.deepEqual(missingRoles(['Machine.Read.All'], ['Machine.Read.All', 'Machine.Isolate']), ['Machine.Isolate']);
    assert.deepEqual(missingRoles(['Machine.Read.All'], []), []);
  });
});
