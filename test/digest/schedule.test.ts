import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/config.js';
import { compileCron } from '../../src/config/cron.js';
import type { CronSchedule } from '../../src/core/cron.js';
import { ConfigError } from '../../src/core/errors.js';
import { localDate } from '../../src/digest/local-time.js';
import {
  createDigestScheduler,
  DIGEST_MAX_WAIT_MS,
  dueOccurrence,
  nextRun,
  type DigestOccurrence,
  type DigestSchedulerOptions,
} from '../../src/digest/schedule.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';
import { FakeClock, flushPromises } from '../fakes/fake-clock.js';

const ZONE = 'Europe/Amsterdam';
const DAILY_8 = '0 8 * * *';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MIN = 60_000;

const at = (iso: string): number => Date.parse(iso);

/** A pattern compiled as the configuration compiles DIGEST_CRON (the zone is already canonical). */
function sched(cron: string, zone: string): CronSchedule {
  const compiled = compileCron(cron, zone);
  if (typeof compiled === 'string') throw new Error(compiled);
  return compiled;
}
const iso = (ms: number): string => new Date(ms).toISOString();

/** A FakeClock that also records every timer delay asked for (milliseconds). */
class RecordingClock extends FakeClock {
  readonly delays: number[] = [];
  override setTimer(fn: () => void, ms: number): () => void {
    this.delays.push(ms);
    return super.setTimer(fn, ms);
  }
}

interface Sent {
  localDate: string;
  scheduled: string;
  /** Clock time of the send. */
  at: string;
}

/**
 * A scheduler wired to an in-memory "store" of the last-sent local date. `fail` decides, per send
 * attempt, whether it throws; `failMark` per markSent call.
 */
function harness(
  clock: FakeClock,
  init: {
    stored?: string | null;
    cron?: string;
    zone?: string;
    fail?: (o: DigestOccurrence, attempt: number) => boolean;
    failMark?: (call: number) => boolean;
    options?: Partial<DigestSchedulerOptions>;
  } = {},
) {
  const state = { stored: init.stored ?? null, sent: [] as Sent[], attempts: 0, markCalls: 0, marks: [] as string[] };
  const logger = createCaptureLogger();
  const scheduler = createDigestScheduler({
    schedule: sched(init.cron ?? DAILY_8, init.zone ?? ZONE),
    clock,
    logger,
    lastSent: () => state.stored,
    markSent: (d) => {
      state.markCalls++;
      if (init.failMark?.(state.markCalls)) throw new Error('store is locked');
      state.marks.push(d);
      state.stored = d;
    },
    send: (o) => {
      state.attempts++;
      if (init.fail?.(o, state.attempts)) return Promise.reject(new Error('Teams said 502'));
      state.sent.push({ localDate: o.localDate, scheduled: iso(o.scheduledMs), at: iso(clock.now()) });
      return Promise.resolve();
    },
    ...init.options,
  });
  return { state, scheduler, logger };
}

/** Advances the clock by whole days, one at a time. */
async function advanceDays(clock: FakeClock, days: number): Promise<void> {
  for (let i = 0; i < days; i++) await clock.advance(DAY);
}

describe('digest/schedule: the scheduler', () => {
  it('The digest at 08:00 Europe/Amsterdam fires once a day across a daylight-saving change (fake clock), and a missed one is caught up once.', async () => {
    const clock = new FakeClock(at('2027-03-26T00:00:00Z'));
    // One "store" shared by the bot's runs.
    const store: { lastSent: string | null } = { lastSent: '2027-03-25' };
    const sent: Sent[] = [];
    const run = async () => {
      const scheduler = createDigestScheduler({
        schedule: sched(DAILY_8, ZONE),
        clock,
        logger: createCaptureLogger(),
        lastSent: () => store.lastSent,
        markSent: (d) => {
          store.lastSent = d;
        },
        send: (o) => {
          sent.push({ localDate: o.localDate, scheduled: iso(o.scheduledMs), at: iso(clock.now()) });
          return Promise.resolve();
        },
      });
      scheduler.start();
      await flushPromises();
      return scheduler;
    };

    let bot = await run();
    // Up through Friday 26 and Saturday 27 (CET), until 07:00 CEST on Sunday 28, the day of the change.
    await clock.advance(at('2027-03-28T05:00:00Z') - clock.now());
    await bot.stop();
    // Down over 08:00 CEST (06:00Z); back at 11:00 CEST (09:00Z): caught up at once.
    await clock.advance(4 * HOUR);
    bot = await run();
    // Restarted once more the same day: nothing more.
    await clock.advance(2 * HOUR);
    await bot.stop();
    bot = await run();
    await advanceDays(clock, 2);
    await bot.stop();

    assert.deepEqual(sent, [
      { localDate: '2027-03-26', scheduled: '2027-03-26T07:00:00.000Z', at: '2027-03-26T07:00:00.000Z' },
      { localDate: '2027-03-27', scheduled: '2027-03-27T07:00:00.000Z', at: '2027-03-27T07:00:00.000Z' },
      { localDate: '2027-03-28', scheduled: '2027-03-28T06:00:00.000Z', at: '2027-03-28T09:00:00.000Z' },
      { localDate: '2027-03-29', scheduled: '2027-03-29T06:00:00.000Z', at: '2027-03-29T06:00:00.000Z' },
      { localDate: '2027-03-30', scheduled: '2027-03-30T06:00:00.000Z', at: '2027-03-30T06:00:00.000Z' },
    ]);
    assert.equal(store.lastSent, '2027-03-30');
  });

  it('sends at 08:00 Europe/Amsterdam once a day across the spring change (07:00Z, then 06:00Z)', async () => {
    const clock = new FakeClock(at('2027-03-26T00:00:00Z'));
    const { state, scheduler } = harness(clock, { stored: '2027-03-25' });
    scheduler.start();
    await flushPromises();
    await advanceDays(clock, 5);
    await scheduler.stop();
    const expected = [
      ['2027-03-26', '2027-03-26T07:00:00.000Z'],
      ['2027-03-27', '2027-03-27T07:00:00.000Z'],
      ['2027-03-28', '2027-03-28T06:00:00.000Z'],
      ['2027-03-29', '2027-03-29T06:00:00.000Z'],
      ['2027-03-30', '2027-03-30T06:00:00.000Z'],
    ];
    assert.deepEqual(
      state.sent.map((s) => [s.localDate, s.scheduled]),
      expected,
    );
    assert.deepEqual(
      state.sent.map((s) => s.at),
      expected.map((e) => e[1]),
    );
    assert.deepEqual(
      state.marks,
      expected.map((e) => e[0]),
    );
    assert.equal(state.attempts, 5);
  });

  it('sends at 08:00 Europe/Amsterdam once a day across the autumn change (06:00Z, then 07:00Z)', async () => {
    const clock = new FakeClock(at('2027-10-29T00:00:00Z'));
    const { state, scheduler } = harness(clock);
    scheduler.start();
    await flushPromises();
    await advanceDays(clock, 4);
    await scheduler.stop();
    assert.deepEqual(
      state.sent.map((s) => [s.localDate, s.at]),
      [
        ['2027-10-29', '2027-10-29T06:00:00.000Z'],
        ['2027-10-30', '2027-10-30T06:00:00.000Z'],
        ['2027-10-31', '2027-10-31T07:00:00.000Z'],
        ['2027-11-01', '2027-11-01T07:00:00.000Z'],
      ],
    );
  });

  it('catches up a digest missed while down once, on restart the same day, and never again that day', async () => {
    // Down over 08:00 on 2027-03-28 (06:00Z, summer time); back at 11:00 local (09:00Z).
    const clock = new FakeClock(at('2027-03-28T09:00:00Z'));
    const first = harness(clock, { stored: '2027-03-27' });
    first.scheduler.start();
    await flushPromises();
    assert.deepEqual(first.state.sent, [
      { localDate: '2027-03-28', scheduled: '2027-03-28T06:00:00.000Z', at: '2027-03-28T09:00:00.000Z' },
    ]);
    await clock.advance(12 * HOUR);
    assert.equal(first.state.sent.length, 1);
    await first.scheduler.stop();

    // Restarted again later the same day (23:30 local): the stored date says it went out.
    await clock.advance(30 * MIN);
    const second = harness(clock, { stored: first.state.stored });
    second.scheduler.start();
    await flushPromises();
    await clock.advance(5 * MIN);
    assert.equal(second.state.sent.length, 0);
    // The next day's goes out at its time (08:00 local, 06:00Z).
    await clock.advance(9 * HOUR);
    assert.deepEqual(
      second.state.sent.map((s) => [s.localDate, s.at]),
      [['2027-03-29', '2027-03-29T06:00:00.000Z']],
    );
    await second.scheduler.stop();
  });

  it('does not send yesterday’s missed digest on a restart the next day; today’s goes at 08:00', async () => {
    // Last sent 2027-03-26; down all of 2027-03-27; back at 07:00 local on 2027-03-28 (05:00Z).
    const clock = new FakeClock(at('2027-03-28T05:00:00Z'));
    const { state, scheduler } = harness(clock, { stored: '2027-03-26' });
    scheduler.start();
    await flushPromises();
    assert.deepEqual(state.sent, []);
    await clock.advance(2 * HOUR);
    await scheduler.stop();
    assert.deepEqual(state.sent, [
      { localDate: '2027-03-28', scheduled: '2027-03-28T06:00:00.000Z', at: '2027-03-28T06:00:00.000Z' },
    ]);
  });

  it('sends today’s once, not yesterday’s, on a restart after today’s 08:00', async () => {
    const clock = new FakeClock(at('2027-03-28T09:00:00Z'));
    const { state, scheduler } = harness(clock, { stored: '2027-03-26' });
    scheduler.start();
    await flushPromises();
    await clock.advance(14 * HOUR);
    await scheduler.stop();
    assert.deepEqual(state.sent, [
      { localDate: '2027-03-28', scheduled: '2027-03-28T06:00:00.000Z', at: '2027-03-28T09:00:00.000Z' },
    ]);
    assert.deepEqual(state.marks, ['2027-03-28']);
  });

  it('retries a failed send every 5 minutes, then records it once', async () => {
    const clock = new FakeClock(at('2027-03-26T06:00:00Z'));
    const { state, scheduler, logger } = harness(clock, { fail: (_o, attempt) => attempt <= 2 });
    scheduler.start();
    await flushPromises();
    await clock.advance(2 * HOUR);
    await scheduler.stop();
    assert.equal(state.attempts, 3);
    assert.deepEqual(
      state.sent.map((s) => s.at),
      ['2027-03-26T07:10:00.000Z'],
    );
    assert.deepEqual(state.marks, ['2027-03-26']);
    const errors = logger.lines.filter((l) => l.level === 'error');
    assert.equal(errors.length, 2);
    assert.ok(
      errors.every((l) => l.msg === 'could not send the digest; retrying' && l.fields.localDate === '2027-03-26'),
    );
    assert.equal(scheduler.status().failures, 2);
    assert.match(scheduler.status().lastError ?? '', /502/);
  });

  it('gives up a day’s digest when the local day ends, and sends the next day’s', async () => {
    const clock = new FakeClock(at('2027-03-26T06:00:00Z'));
    const { state, scheduler, logger } = harness(clock, { fail: (o) => o.localDate === '2027-03-26' });
    scheduler.start();
    await flushPromises();
    await clock.advance(25 * HOUR + 5 * MIN);
    await scheduler.stop();
    // Every 5 minutes from 08:00 to 23:55 local (07:00Z to 22:55Z): 16 hours × 12.
    assert.equal(state.attempts, 16 * 12 + 1);
    assert.deepEqual(
      state.sent.map((s) => [s.localDate, s.at]),
      [['2027-03-27', '2027-03-27T07:00:00.000Z']],
    );
    assert.deepEqual(state.marks, ['2027-03-27']);
    const gaveUp = logger.lines.filter((l) => l.level === 'warn' && l.msg.startsWith('gave up'));
    assert.deepEqual(
      gaveUp.map((l) => l.fields.localDate),
      ['2027-03-26'],
    );
  });

  it('never sends twice in one process when recording fails, and records at a later check', async () => {
    const clock = new FakeClock(at('2027-03-26T06:59:00Z'));
    const { state, scheduler } = harness(clock, { stored: '2027-03-25', failMark: (call) => call === 1 });
    scheduler.start();
    await flushPromises();
    await clock.advance(3 * HOUR);
    await scheduler.stop();
    assert.equal(state.sent.length, 1);
    assert.equal(state.markCalls, 2);
    assert.equal(state.stored, '2027-03-26');
    assert.equal(scheduler.status().sentLocalDate, '2027-03-26');
  });

  it('never runs two checks at once', async () => {
    const clock = new FakeClock(at('2027-03-26T09:00:00Z'));
    let release: () => void = () => undefined;
    let sends = 0;
    const stored: { date: string | null } = { date: null };
    const scheduler = createDigestScheduler({
      schedule: sched(DAILY_8, ZONE),
      clock,
      logger: createCaptureLogger(),
      lastSent: () => stored.date,
      markSent: (d) => {
        stored.date = d;
      },
      send: () => {
        sends++;
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    });
    scheduler.start();
    await flushPromises();
    const a = scheduler.checkNow();
    const b = scheduler.checkNow();
    await flushPromises();
    assert.equal(sends, 1);
    assert.equal(clock.pending(), 0, 'no timer while a check runs');
    release();
    await Promise.all([a, b]);
    await scheduler.checkNow();
    assert.equal(sends, 1);
    assert.equal(stored.date, '2027-03-26');
    assert.equal(clock.pending(), 1);
    await scheduler.stop();
  });

  it('stops: no timer left and nothing sent afterwards', async () => {
    const clock = new FakeClock(at('2027-03-26T00:00:00Z'));
    const { state, scheduler } = harness(clock);
    scheduler.start();
    await flushPromises();
    assert.equal(clock.pending(), 1);
    assert.ok(scheduler.status().nextCheckAt !== null);
    await scheduler.stop();
    assert.equal(clock.pending(), 0);
    assert.equal(scheduler.status().nextCheckAt, null);
    await advanceDays(clock, 3);
    assert.deepEqual(state.sent, []);
  });

  it('caps every timer below the Node limit and at maxWaitMs, and still fires a yearly digest on time', async () => {
    const clock = new RecordingClock(at('2027-03-26T00:00:00Z'));
    const { state, scheduler } = harness(clock, { cron: '0 8 1 1 *', options: { maxWaitMs: Number.MAX_SAFE_INTEGER } });
    scheduler.start();
    await flushPromises();
    await clock.advance(at('2028-01-02T00:00:00Z') - clock.now());
    await scheduler.stop();
    assert.deepEqual(
      state.sent.map((s) => s.at),
      ['2028-01-01T07:00:00.000Z'],
    );
    assert.ok(clock.delays.length > 1);
    assert.ok(clock.delays.every((d) => d <= 2 ** 31 - 1));

    const hourly = new RecordingClock(at('2027-03-26T00:00:00Z'));
    const capped = harness(hourly, { cron: '0 8 1 1 *' });
    capped.scheduler.start();
    await flushPromises();
    await hourly.advance(3 * HOUR);
    await capped.scheduler.stop();
    assert.deepEqual(hourly.delays, [DIGEST_MAX_WAIT_MS, DIGEST_MAX_WAIT_MS, DIGEST_MAX_WAIT_MS, DIGEST_MAX_WAIT_MS]);
  });

  it('sends once a day for times the DST changes skip (02:30 in spring) or repeat (02:30 in autumn)', async () => {
    const spring = new FakeClock(at('2027-03-27T00:00:00Z'));
    const s = harness(spring, { cron: '30 2 * * *' });
    s.scheduler.start();
    await flushPromises();
    await advanceDays(spring, 3);
    await s.scheduler.stop();
    assert.deepEqual(
      s.state.sent.map((x) => [x.localDate, x.at]),
      [
        ['2027-03-27', '2027-03-27T01:30:00.000Z'],
        // 02:30 does not exist on 2027-03-28: the first valid time after the gap, 03:00 CEST.
        ['2027-03-28', '2027-03-28T01:00:00.000Z'],
        ['2027-03-29', '2027-03-29T00:30:00.000Z'],
      ],
    );

    const autumn = new FakeClock(at('2027-10-30T00:00:00Z'));
    const a = harness(autumn, { cron: '30 2 * * *' });
    a.scheduler.start();
    await flushPromises();
    await advanceDays(autumn, 3);
    await a.scheduler.stop();
    assert.deepEqual(
      a.state.sent.map((x) => [x.localDate, x.at]),
      [
        ['2027-10-30', '2027-10-30T00:30:00.000Z'],
        // 02:30 happens twice on 2027-10-31 (00:30Z in CEST, 01:30Z in CET): sent at the first.
        ['2027-10-31', '2027-10-31T00:30:00.000Z'],
        ['2027-11-01', '2027-11-01T01:30:00.000Z'],
      ],
    );
  });

  it('sends one digest a day even when the pattern fires more often', async () => {
    const clock = new FakeClock(at('2027-03-26T00:00:00Z'));
    const { state, scheduler } = harness(clock, { cron: '*/15 * * * *', zone: 'UTC' });
    scheduler.start();
    await flushPromises();
    await advanceDays(clock, 2);
    await scheduler.stop();
    assert.deepEqual(
      state.sent.map((s) => [s.localDate, s.at]),
      [
        ['2027-03-26', '2027-03-26T00:00:00.000Z'],
        ['2027-03-27', '2027-03-27T00:00:00.000Z'],
        ['2027-03-28', '2027-03-28T00:00:00.000Z'],
      ],
    );
  });

  it('refuses a schedule that never occurs again at creation', () => {
    const clock = new FakeClock(at('2027-03-26T00:00:00Z'));
    assert.throws(
      () => harness(clock, { cron: '0 0 8 * * * 2020' }),
      /DIGEST_CRON "0 0 8 \* \* \* 2020" has no occurrence/,
    );
  });
});

describe('digest/schedule: nextRun and dueOccurrence', () => {
  it('nextRun is strictly after, in the zone’s wall-clock time', () => {
    assert.equal(iso(nextRun(sched(DAILY_8, ZONE), at('2027-03-27T06:59:59.999Z'))), '2027-03-27T07:00:00.000Z');
    assert.equal(iso(nextRun(sched(DAILY_8, ZONE), at('2027-03-27T07:00:00.000Z'))), '2027-03-28T06:00:00.000Z');
    assert.equal(iso(nextRun(sched(DAILY_8, 'UTC'), at('2027-03-27T08:00:00.000Z'))), '2027-03-28T08:00:00.000Z');
    assert.equal(
      iso(nextRun(sched(DAILY_8, 'America/New_York'), at('2027-03-27T07:00:00.000Z'))),
      '2027-03-27T12:00:00.000Z',
    );
  });

  it('is due from the occurrence until the local day ends, unless sent', () => {
    const due = (isoNow: string, last: string | null) => dueOccurrence(sched(DAILY_8, ZONE), at(isoNow), last);
    assert.equal(due('2027-03-28T05:59:59.999Z', '2027-03-27'), null);
    assert.deepEqual(due('2027-03-28T06:00:00.000Z', '2027-03-27'), {
      localDate: '2027-03-28',
      scheduledMs: at('2027-03-28T06:00:00Z'),
    });
    assert.deepEqual(due('2027-03-28T21:59:59.999Z', null), {
      localDate: '2027-03-28',
      scheduledMs: at('2027-03-28T06:00:00Z'),
    });
    // 00:00 local on the 29th: the 28th's is not due any more, and the 29th's not yet.
    assert.equal(due('2027-03-28T22:00:00.000Z', '2027-03-27'), null);
    assert.equal(due('2027-03-28T12:00:00.000Z', '2027-03-28'), null);
    // A recorded date after today (clock set back) blocks too.
    assert.equal(due('2027-03-28T12:00:00.000Z', '2027-03-30'), null);
  });

  it('skips days the pattern excludes (weekdays only)', () => {
    // 2027-03-27 is a Saturday; Friday's occurrence is not carried over.
    assert.equal(dueOccurrence(sched('0 8 * * 1-5', ZONE), at('2027-03-27T12:00:00Z'), null), null);
    assert.deepEqual(
      dueOccurrence(sched('0 8 * * 1-5', ZONE), at('2027-03-29T12:00:00Z'), null)?.localDate,
      '2027-03-29',
    );
  });

  it('agrees with walking nextRun forward, around both 2027 changes of three zones', () => {
    // The days of the 2027 changes; Lord Howe moves its clocks by 30 minutes.
    const changes: Record<string, readonly string[]> = {
      [ZONE]: ['2027-03-28', '2027-10-31'],
      'America/New_York': ['2027-03-14', '2027-11-07'],
      'Australia/Lord_Howe': ['2027-04-04', '2027-10-03'],
    };
    const patterns = [DAILY_8, '30 2 * * *', '0 */2 * * *'];
    let checks = 0;
    for (const [zone, days] of Object.entries(changes)) {
      for (const cron of patterns) {
        for (const day of days) {
          // Three days either side, every 97 minutes and a bit (so the minutes vary).
          for (let t = at(`${day}T00:00:00Z`) - 3 * DAY; t < at(`${day}T00:00:00Z`) + 3 * DAY; t += 97 * MIN + 1_234) {
            let last: number | null = null;
            for (let x = nextRun(sched(cron, zone), t - 27 * HOUR); x <= t; x = nextRun(sched(cron, zone), x)) last = x;
            const expected = last !== null && localDate(last, zone) === localDate(t, zone) ? last : null;
            assert.equal(
              dueOccurrence(sched(cron, zone), t, null)?.scheduledMs ?? null,
              expected,
              `${cron} ${zone} ${iso(t)}`,
            );
            checks++;
          }
        }
      }
    }
    assert.ok(checks > 1_500);
  });

  it('DIGEST_CRON and DIGEST_TIMEZONE are compiled once, by the configuration, which names them in its errors', () => {
    const configError = (re: RegExp) => (e: unknown) =>
      e instanceof ConfigError && e.code === 'CONFIG_INVALID' && re.test(e.message);
    assert.throws(
      () => loadConfig({ DIGEST_CRON: '0 25 * * *' }),
      configError(/DIGEST_CRON: "0 25 \* \* \*" is not a valid cron pattern/),
    );
    assert.throws(
      () => loadConfig({ DIGEST_CRON: 'every morning' }),
      configError(/DIGEST_CRON: must be a cron pattern of 5 fields/),
    );
    assert.throws(
      () => loadConfig({ DIGEST_CRON: '0 0 30 2 *' }),
      configError(/DIGEST_CRON: "0 0 30 2 \*" never occurs/),
    );
    assert.throws(() => loadConfig({ DIGEST_TIMEZONE: 'Europe/Atlantis' }), configError(/DIGEST_TIMEZONE/));
    assert.throws(() => loadConfig({ DIGEST_TIMEZONE: '+01:00' }), configError(/DIGEST_TIMEZONE/));
    const config = loadConfig({ DIGEST_CRON: '@daily', DIGEST_TIMEZONE: 'europe/amsterdam' });
    assert.equal(config.digest.timeZone, ZONE);
    assert.equal(config.digest.schedule.timeZone, ZONE);
    assert.equal(iso(nextRun(config.digest.schedule, at('2027-03-27T12:00:00Z'))), '2027-03-27T23:00:00.000Z');
  });
});
