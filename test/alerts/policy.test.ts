import assert from 'node:assert/strict';
import { alertsFor, auditFlags, localTime, type AlertPolicy } from '../../src/alerts/policy.js';
import { parseBusinessHours, type BusinessHours } from '../../src/core/business-hours.js';
import { makeAction, guid } from '../fakes/actions.js';

const hours = parseBusinessHours('Mon-Fri 08:00-18:00', 'Europe/Amsterdam') as BusinessHours;
const policy: AlertPolicy = {
  types: new Set(['Isolate', 'Unisolate', 'RunAntiVirusScan']),
  massAction: { count: 5, windowMinutes: 10 },
  knownRequestors: new Set(['alex.wilber@contoso.com']),
  businessHours: hours,
};

describe('alerts/policy', () => {
  it('alerts for the configured types, and for Offboard always', () => {
    assert.ok(alertsFor(makeAction({ id: guid(1), type: 'Isolate' }), policy));
    assert.ok(!alertsFor(makeAction({ id: guid(2), type: 'CollectInvestigationPackage' }), policy));
    assert.ok(alertsFor(makeAction({ id: guid(3), type: 'Offboard' }), { ...policy, types: new Set() }));
  });

  it('flags mass actions, unknown requestors, off-hours and offboarding', () => {
    // Tuesday 2026-11-24 10:00 Amsterdam (09:00Z): inside business hours.
    const inside = makeAction({
      id: guid(1),
      requestor: 'Alex.Wilber@contoso.com',
      creationDateTimeUtc: '2026-11-24T09:00:00.1234567Z',
    });
    assert.deepEqual(auditFlags(inside, policy, 1), []);
    assert.deepEqual(auditFlags(inside, policy, 5), [{ kind: 'massAction', count: 5, windowMinutes: 10 }]);
    // Saturday 2026-11-28 23:30 Amsterdam (22:30Z), by an app GUID not on the list, offboarding.
    const odd = makeAction({
      id: guid(2),
      type: 'Offboard',
      requestor: '2f48b784-5da5-4e61-9957-012d2630f1e4',
      creationDateTimeUtc: '2026-11-28T22:30:00Z',
    });
    assert.deepEqual(auditFlags(odd, policy, 1), [
      { kind: 'unknownRequestor' },
      { kind: 'outsideBusinessHours', localTime: 'Sat 23:30', timeZone: 'Europe/Amsterdam' },
      { kind: 'offboard' },
    ]);
    // No list and no hours configured: no such flags.
    assert.deepEqual(auditFlags(odd, { ...policy, knownRequestors: null, businessHours: null }, 1), [
      { kind: 'offboard' },
    ]);
  });

  it('business hours follow daylight saving time', () => {
    // 06:30Z is 08:30 in summer (CEST, UTC+2) and 07:30 in winter (CET, UTC+1).
    assert.equal(localTime(Date.parse('2026-07-01T06:30:00Z'), 'Europe/Amsterdam').text, 'Wed 08:30');
    assert.equal(localTime(Date.parse('2026-01-07T06:30:00Z'), 'Europe/Amsterdam').text, 'Wed 07:30');
    const winter = makeAction({
      id: guid(3),
      requestor: 'alex.wilber@contoso.com',
      creationDateTimeUtc: '2026-01-07T06:30:00Z',
    });
    assert.equal(auditFlags(winter, policy, 1)[0]?.kind, 'outsideBusinessHours');
  });

  it('parses business hours and explains bad ones', () => {
    const h = parseBusinessHours('Sat-Mon 22:00-23:59', 'UTC');
    assert.ok(typeof h !== 'string' && [...h.days].sort().join() === '1,6,7');
    assert.match(parseBusinessHours('weekdays 9-5', 'UTC') as string, /not like/);
    assert.match(parseBusinessHours('Mon-Fri 18:00-08:00', 'UTC') as string, /within one day/);
    assert.match(parseBusinessHours('Mon-Fry 08:00-18:00', 'UTC') as string, /not a weekday/);
  });
});
