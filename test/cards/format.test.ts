import assert from 'node:assert/strict';
import {
  createTimeFormatter,
  formatAge,
  formatAgo,
  formatElapsed,
  formatHResult,
  parseInstant,
  portalMachineUrl,
  requestorLabel,
  shortDay,
  statusColor,
  typeWithScope,
} from '../../src/cards/format.js';
import { KNOWN_APP_GUID, KNOWN_APP_NAME, SAMPLE_REQUESTOR_NAMES, UNKNOWN_APP_GUID } from './samples.js';

describe('cards/format', () => {
  it('maps statuses to colours', () => {
    assert.deepEqual(
      ['Succeeded', 'Failed', 'TimeOut', 'Cancelled', 'Pending', 'InProgress', 'SomethingNew'].map(statusColor),
      ['Good', 'Attention', 'Attention', 'Warning', 'Accent', 'Accent', 'Default'],
    );
  });

  it('formats durations to the second, dropping zero parts at the end', () => {
    assert.deepEqual(
      [
        0,
        999,
        1000,
        42_000,
        60_000,
        252_000,
        3_599_999,
        3_600_000,
        7_500_000,
        47 * 3_600_000 + 59 * 60_000,
        48 * 3_600_000,
        3 * 86_400_000 + 4 * 3_600_000 + 59_000,
        -5000,
      ].map(formatElapsed),
      [
        'less than 1 s',
        'less than 1 s',
        '1 s',
        '42 s',
        '1 min',
        '4 min 12 s',
        '59 min 59 s',
        '1 h',
        '2 h 5 min',
        '47 h 59 min',
        '2 d',
        '3 d 4 h',
        'less than 1 s',
      ],
    );
  });

  describe('times', () => {
    it('formats MDE timestamps (1 to 7 fractional digits) in UTC by default', () => {
      const t = createTimeFormatter();
      assert.equal(t.timeZone, 'UTC');
      assert.equal(t.zoneNote, 'Times in UTC');
      assert.equal(t.format('2025-03-25T10:36:47.2968211Z'), '2025-03-25 10:36 UTC');
      assert.equal(t.format('2025-04-03T10:20:00.154974Z', 'seconds'), '2025-04-03 10:20:00 UTC');
      assert.equal(t.format('2025-04-03T23:59:59.9999999Z', 'seconds'), '2025-04-03 23:59:59 UTC');
    });

    it('formats in a named zone with its offset at that instant', () => {
      const paris = createTimeFormatter('Europe/Paris');
      assert.equal(paris.zoneNote, 'Times in Europe/Paris');
      assert.equal(paris.format('2026-01-10T12:00:00Z'), '2026-01-10 13:00 UTC+1');
      assert.equal(paris.format('2026-07-10T12:00:00Z'), '2026-07-10 14:00 UTC+2');
      assert.equal(createTimeFormatter('Asia/Kolkata').format('2026-07-10T12:00:00Z'), '2026-07-10 17:30 UTC+5:30');
      assert.equal(createTimeFormatter('Europe/London').format('2026-01-10T12:00:00Z'), '2026-01-10 12:00 UTC');
      assert.equal(createTimeFormatter('America/New_York').format('2026-01-10T02:00:00Z'), '2026-01-09 21:00 UTC-5');
    });

    it('falls back to UTC for an invalid zone and returns unparsable text as it is', () => {
      const t = createTimeFormatter('Not/AZone');
      assert.equal(t.timeZone, 'UTC');
      assert.equal(t.format('yesterday'), 'yesterday');
      assert.equal(parseInstant('2026-13-01T00:00:00Z'), undefined);
    });

    it('gives ages in minutes, hours, then days', () => {
      const now = '2026-11-29T13:00:00Z';
      assert.equal(formatAge('2026-11-29T12:59:30Z', now), 'just now');
      assert.equal(formatAge('2026-11-29T12:55:00Z', now), '5 min');
      assert.equal(formatAge('2026-11-29T10:00:00.1234567Z', now), '2 h');
      assert.equal(formatAge('2026-11-27T14:00:00Z', now), '47 h');
      assert.equal(formatAge('2026-11-20T13:00:00Z', now), '9 d');
      assert.equal(formatAge('2026-11-29T14:00:00Z', now), 'just now');
      assert.equal(formatAgo('2026-11-29T10:00:00Z', now), '3 h ago');
      assert.equal(formatAgo('garbage', now), 'unknown');
    });

    it('shortens UTC day keys', () => {
      assert.equal(shortDay('2026-11-03'), '3 Nov');
      assert.equal(shortDay('not a day'), 'not a day');
    });
  });

  describe('requestors', () => {
    it('names known apps, whatever the GUID case', () => {
      assert.deepEqual(requestorLabel(KNOWN_APP_GUID.toUpperCase(), SAMPLE_REQUESTOR_NAMES), {
        short: KNOWN_APP_NAME,
        long: `${KNOWN_APP_NAME} (app ${KNOWN_APP_GUID})`,
        isApp: true,
      });
    });

    it('shows unknown apps as "app <guid>"', () => {
      assert.equal(requestorLabel(UNKNOWN_APP_GUID, SAMPLE_REQUESTOR_NAMES).short, `app ${UNKNOWN_APP_GUID}`);
    });

    it('shows UPNs as they are', () => {
      assert.deepEqual(requestorLabel('Alex.Wilber@contoso.com', SAMPLE_REQUESTOR_NAMES), {
        short: 'Alex.Wilber@contoso.com',
        long: 'Alex.Wilber@contoso.com',
        isApp: false,
      });
    });
  });

  it('shows HRESULTs as unsigned hex, with known names', () => {
    assert.equal(formatHResult(0), 'none');
    assert.equal(formatHResult(-2145844840), '0x80190198 (HTTP_E_STATUS_REQUEST_TIMEOUT)');
    assert.equal(formatHResult(-2147467260), '0x80004004 (E_ABORT)');
    assert.equal(formatHResult(-2147024891), '0x80070005 (E_ACCESSDENIED)');
    assert.equal(formatHResult(-1), '0xFFFFFFFF');
    assert.equal(formatHResult(5), '0x00000005');
  });

  it('links devices to the Defender portal, encoding what would break a Markdown link', () => {
    assert.equal(
      portalMachineUrl('f46b9bb259ed4a7fb9981b73510e3cc7aa81ec1f'),
      'https://security.microsoft.com/machines/v2/f46b9bb259ed4a7fb9981b73510e3cc7aa81ec1f',
    );
    assert.equal(portalMachineUrl('a) [b]/c'), 'https://security.microsoft.com/machines/v2/a%29%20%5Bb%5D%2Fc');
  });

  it('writes type and scope', () => {
    assert.equal(typeWithScope('Isolate', 'Full'), 'Isolate (Full)');
    assert.equal(typeWithScope('Offboard', null), 'Offboard');
  });
});
