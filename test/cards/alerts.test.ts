import assert from 'node:assert/strict';
import type { AlertCardModel } from '../../src/core/alerts.js';
import {
  CARD_MAX_BYTES,
  CARD_TARGET_BYTES,
  cardByteLength,
  flagSentence,
  loadCardTemplates,
  renderAlertCard,
  renderBackfillCard,
  renderDigestCard,
  renderStormCard,
  renderSubscriptionsCard,
  type AdaptiveCard,
  type CardContext,
  type CardTemplates,
} from '../../src/cards/index.js';
import {
  ALERT_ACTION,
  ALERT_KQL,
  ALERT_SAMPLES,
  ALL_FLAGS,
  alertModel,
  BACKFILL_SAMPLES,
  COUNT_TYPE_ROWS,
  DEVICE_COMMAND,
  DIGEST_SAMPLES,
  KNOWN_APP_NAME,
  SAMPLE_NOW,
  SAMPLE_REQUESTOR_NAMES,
  STORM_SAMPLES,
  stormModel,
  SUBSCRIPTION_SAMPLES,
  UNKNOWN_APP_GUID,
  type AlertSampleName,
} from './samples.js';
import { assertValidCard, byId, ofType, texts } from './validate.js';

type Json = Record<string, unknown>;

/** Samples with hostile text on purpose (they may contain `${` in data). */
const HOSTILE = new Set([
  'alert.hostile',
  'alert.hostileCompact',
  'storm.hostile',
  'digest.hostile',
  'subscriptions.hostile',
]);

describe('cards/alert, storm, backfill, digest and subscriptions cards', () => {
  let templates: CardTemplates;
  before(async () => {
    templates = await loadCardTemplates();
  });

  function ctx(overrides: Partial<CardContext> = {}): CardContext {
    return {
      templates,
      now: SAMPLE_NOW,
      requestorNames: SAMPLE_REQUESTOR_NAMES,
      timeZone: 'Europe/Amsterdam',
      ...overrides,
    };
  }
  function alert(model: AlertCardModel, overrides: Partial<CardContext> = {}): AdaptiveCard {
    return renderAlertCard(model, ctx(overrides));
  }
  function allText(card: unknown): string {
    return texts(card).join('\n');
  }
  /** The count tables of a storm card (by type, by requestor): header and name → value. */
  function countTables(card: AdaptiveCard): { header: string[]; rows: Record<string, string> }[] {
    return ofType(card, 'Table').map((t) => {
      const [header, ...rows] = (t.rows as Json[]).map((r) => (r.cells as Json[]).map((c) => texts(c).join(' ')));
      assert.deepEqual(
        t.columns,
        [{ width: 4 }, { width: 1, horizontalCellContentAlignment: 'Right' }],
        'the name column takes most of the width',
      );
      return { header: header!, rows: Object.fromEntries(rows.map(([name, value]) => [name!, value!])) };
    });
  }
  /** Fact title → value of every FactSet in `node`. */
  function facts(node: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    for (const set of ofType(node, 'FactSet'))
      for (const f of set.facts as { title: string; value: string }[]) out[f.title] = f.value;
    return out;
  }
  /** The container that carries the status (its first column is the status word). */
  function statusBanner(card: AdaptiveCard): Json {
    const banner = ofType(card, 'Container').find(
      (c) => typeof c.style === 'string' && (c.items as Json[])[0]?.type === 'ColumnSet',
    );
    assert.ok(banner, 'a status banner');
    return banner;
  }
  function statusWord(node: unknown): Json {
    const word = ofType(ofType(node, 'Column')[0], 'TextBlock')[0];
    assert.ok(word);
    return word;
  }
  function statusDetail(node: unknown): string {
    return ofType(ofType(node, 'Column')[1], 'TextBlock')[0]!.text as string;
  }

  const ALL_SAMPLES: [string, (c: CardContext) => AdaptiveCard][] = [
    ...Object.entries(ALERT_SAMPLES).map(([k, m]): [string, (c: CardContext) => AdaptiveCard] => [
      `alert.${k}`,
      (c) => renderAlertCard(m, c),
    ]),
    ...Object.entries(STORM_SAMPLES).map(([k, m]): [string, (c: CardContext) => AdaptiveCard] => [
      `storm.${k}`,
      (c) => renderStormCard(m, c),
    ]),
    ...Object.entries(BACKFILL_SAMPLES).map(([k, m]): [string, (c: CardContext) => AdaptiveCard] => [
      `backfill.${k}`,
      (c) => renderBackfillCard(m, c),
    ]),
    ...Object.entries(DIGEST_SAMPLES).map(([k, m]): [string, (c: CardContext) => AdaptiveCard] => [
      `digest.${k}`,
      (c) => renderDigestCard(m, c),
    ]),
    ...Object.entries(SUBSCRIPTION_SAMPLES).map(([k, m]): [string, (c: CardContext) => AdaptiveCard] => [
      `subscriptions.${k}`,
      (c) => renderSubscriptionsCard(m, c),
    ]),
  ];

  describe('every sample renders as a valid Teams card within 28 KB', () => {
    for (const [name, render] of ALL_SAMPLES) {
      it(name, () => {
        for (const timeZone of [undefined, 'Europe/Amsterdam', 'Pacific/Chatham']) {
          const card = render(ctx({ timeZone }));
          assertValidCard(card, `${name} (${timeZone ?? 'UTC'})`);
          assert.ok(cardByteLength(card) <= CARD_TARGET_BYTES, `${cardByteLength(card)} bytes`);
          assert.deepEqual(card.msteams, { width: 'Full' });
          const [title, subtitle] = card.body;
          assert.equal(title?.weight, 'Bolder');
          assert.ok(typeof title?.text === 'string' && title.text !== '');
          assert.ok(typeof subtitle?.text === 'string' && subtitle.text !== '');
          if (!HOSTILE.has(name))
            assert.ok(!JSON.stringify(card).includes('${'), 'no unbound template expression left');
          assert.deepEqual(JSON.parse(JSON.stringify(card)), card);
        }
      });
    }
  });

  it('is pure: the same model gives the same card, and the model is not modified', () => {
    const model = structuredClone(STORM_SAMPLES.storm500);
    assert.deepEqual(renderStormCard(model, ctx()), renderStormCard(model, ctx()));
    assert.deepEqual(model, STORM_SAMPLES.storm500);
    const digest = structuredClone(DIGEST_SAMPLES.long);
    assert.deepEqual(renderDigestCard(digest, ctx()), renderDigestCard(digest, ctx()));
    assert.deepEqual(digest, DIGEST_SAMPLES.long);
  });

  describe('alert', () => {
    it('shows type and scope, device link, requestor, comment, request source, created and updated times in the zone it names', () => {
      const card = alert(ALERT_SAMPLES.succeeded);
      assert.equal(card.body[0]?.text, 'Isolate (Full) on ws-042.contoso.com');
      assert.equal(card.body[1]?.text, 'Requested by Lee.Gu@contoso.com · 2026-11-29 22:14 UTC+1');
      const text = allText(card);
      assert.match(text, /Times in Europe\/Amsterdam/);
      assert.match(
        text,
        /Device: \[ws-042\.contoso\.com\]\(https:\/\/security\.microsoft\.com\/machines\/v2\/f46b9bb259ed4a7fb9981b73510e3cc7aa81ec1f\)/,
      );
      const f = facts(card);
      assert.equal(f.Type, 'Isolate');
      assert.equal(f.Scope, 'Full');
      assert.equal(f['Requested by'], 'Lee.Gu@contoso.com');
      assert.equal(f.Comment, 'Beaconing to a known C2 domain, isolating until triage');
      assert.equal(f['Request source'], 'Portal');
      assert.equal(f.Created, '2026-11-29 22:14:05 UTC+1');
      assert.equal(f['Last update'], '2026-11-29 22:18:17 UTC+1');
      assert.equal(f['Action id'], ALERT_ACTION.id);
    });

    it('names app requestors by their friendly name and keeps the GUID in the facts', () => {
      const card = alert(ALERT_SAMPLES.appRequestor);
      assert.match(card.body[1]?.text as string, new RegExp(`^Requested by ${KNOWN_APP_NAME} ·`));
      assert.match(facts(card)['Requested by']!, new RegExp(`^${KNOWN_APP_NAME} \\(app 2f48b784-`));
      assert.match(
        alert(ALERT_SAMPLES.allFlags).body[1]?.text as string,
        new RegExp(`Requested by app ${UNKNOWN_APP_GUID}`),
      );
    });

    it('names a device without a DNS name by its machine id, still linked', () => {
      const card = alert(ALERT_SAMPLES.noDeviceName);
      assert.equal(card.body[0]?.text, 'Isolate (Full) on de693d7fbdabcdefabcdefcfc9cf40b5bf2da1d8');
      assert.match(
        allText(card),
        /Device: \[de693d7fbdabcdefabcdefcfc9cf40b5bf2da1d8\]\(https:\/\/security\.microsoft\.com\/machines\/v2\/de693d7fbdabcdefabcdefcfc9cf40b5bf2da1d8\)/,
      );
    });

    describe('lifecycle: the same action re-rendered as its status changes', () => {
      const cases: {
        name: AlertSampleName;
        status: string;
        color: string;
        style: string;
        detail: string;
        elapsed?: string;
        error?: string;
      }[] = [
        {
          name: 'pending',
          status: 'Pending',
          color: 'Accent',
          style: 'emphasis',
          detail: 'waiting for the device; this card is updated when the status changes',
        },
        {
          name: 'inProgress',
          status: 'InProgress',
          color: 'Accent',
          style: 'emphasis',
          detail: 'running on the device; this card is updated when the status changes',
        },
        {
          name: 'succeeded',
          status: 'Succeeded',
          color: 'Good',
          style: 'good',
          detail: 'completed in 4 min 12 s',
          elapsed: '4 min 12 s',
        },
        {
          name: 'failed',
          status: 'Failed',
          color: 'Attention',
          style: 'attention',
          detail: 'after 2 min 11 s',
          elapsed: '2 min 11 s',
          error: 'Error 0x80004005 (E_FAIL)',
        },
        {
          name: 'timedOut',
          status: 'TimeOut',
          color: 'Attention',
          style: 'attention',
          detail: 'after 3 d',
          elapsed: '3 d',
          error: 'Error 0x80190198 (HTTP_E_STATUS_REQUEST_TIMEOUT)',
        },
        {
          name: 'cancelled',
          status: 'Cancelled',
          color: 'Warning',
          style: 'warning',
          detail: 'after 9 min 55 s',
          elapsed: '9 min 55 s',
        },
      ];
      for (const c of cases) {
        it(`${c.status}: ${c.color} status, ${c.elapsed === undefined ? 'no time to complete' : `completed after ${c.elapsed}`}`, () => {
          const card = alert(ALERT_SAMPLES[c.name]);
          const banner = statusBanner(card);
          assert.equal(banner.style, c.style);
          assert.equal(statusWord(banner).text, c.status);
          assert.equal(statusWord(banner).color, c.color);
          assert.equal(statusDetail(banner), c.detail);
          assert.equal(facts(card)['Time to complete'], c.elapsed);
          const error = ofType(banner, 'TextBlock').find((t) => (t.text as string).startsWith('Error '));
          assert.equal(error?.text, c.error);
          if (c.error !== undefined) assert.equal(error?.color, 'Attention');
        });
      }

      it('Cancelled shows who cancelled, why and when', () => {
        const banner = statusBanner(alert(ALERT_SAMPLES.cancelled));
        assert.deepEqual(facts(banner), {
          'Cancelled by': 'Megan.Bowen@contoso.com',
          'Cancellation comment': 'Wrong device: isolating ws-043 instead',
          'Cancelled at': '2026-11-29 22:24:00 UTC+1',
        });
      });

      it('no cancellation facts while the action runs or after it succeeded', () => {
        for (const name of ['pending', 'succeeded', 'failed'] as const) {
          assert.equal(ofType(statusBanner(alert(ALERT_SAMPLES[name])), 'FactSet').length, 0, name);
          assert.ok(!('Cancelled by' in facts(alert(ALERT_SAMPLES[name]))), name);
        }
      });

      it('keeps the same title, action id, buttons and layout across versions (it replaces the card in place)', () => {
        const shape = (card: AdaptiveCard): unknown => ({
          title: card.body[0]?.text,
          id: facts(card)['Action id'],
          actions: card.actions,
          types: card.body.map((e) => e.type),
        });
        const pending = alert(ALERT_SAMPLES.pending);
        for (const name of ['succeeded', 'failed', 'timedOut', 'cancelled'] as const)
          assert.deepEqual(shape(alert(ALERT_SAMPLES[name])), shape(pending), name);
      });

      it('computes the time to complete from the timestamps of a final action when the model has none', () => {
        const card = alert(ALERT_SAMPLES.succeededNoDuration);
        assert.equal(statusDetail(statusBanner(card)), 'completed in 1 min 2 s');
        assert.equal(facts(card)['Time to complete'], '1 min 2 s');
      });
    });

    describe('audit flags', () => {
      const sentences: [AlertCardModel['flags'][number], string][] = [
        [{ kind: 'massAction', count: 5, windowMinutes: 10 }, '5 actions by this requestor within 10 minutes'],
        [{ kind: 'unknownRequestor' }, 'Requestor not in the known list'],
        [
          { kind: 'outsideBusinessHours', localTime: '22:14', timeZone: 'Europe/Amsterdam' },
          'Requested outside business hours (22:14 Europe/Amsterdam)',
        ],
        [{ kind: 'offboard' }, 'Offboarding removes the device from Defender'],
      ];
      for (const [flag, sentence] of sentences) {
        it(`${flag.kind}: "${sentence}" in attention colour`, () => {
          assert.equal(flagSentence(flag), sentence);
          const card = alert(alertModel({}, { flags: [flag] }));
          const box = ofType(card, 'Container').find(
            (c) => c.style === 'attention' && texts(c).includes('Needs a second look'),
          );
          assert.ok(box, 'an attention container');
          const line = ofType(box, 'TextBlock').find((t) => (t.text as string).endsWith(sentence));
          assert.ok(line, sentence);
          assert.equal(line.color, 'Attention');
        });
      }

      it('lists every flag, in order, under a heading that counts them', () => {
        const card = alert(ALERT_SAMPLES.allFlags);
        const box = ofType(card, 'Container').find((c) => c.style === 'attention');
        assert.deepEqual(texts(box), ['Needs a second look (4 reasons)', ...sentences.map(([, s]) => `⚠️ ${s}`)]);
      });

      it('says "1 action" and "1 minute" in the singular', () => {
        assert.equal(
          flagSentence({ kind: 'massAction', count: 1, windowMinutes: 1 }),
          '1 action by this requestor within 1 minute',
        );
      });

      it('shows no flag box without flags', () => {
        const card = alert(ALERT_SAMPLES.noFlags);
        assert.ok(!allText(card).includes('Needs a second look'));
        assert.equal(ofType(card, 'Container').filter((c) => c.style === 'attention').length, 0);
      });
    });

    describe('buttons', () => {
      it('"All actions for this device" submits the device command; "Show query" reveals the KQL', () => {
        const card = alert(ALERT_SAMPLES.pending);
        const [device, toggle] = card.actions ?? [];
        assert.equal(device?.type, 'Action.Submit');
        assert.equal(device?.title, 'All actions for this device');
        assert.deepEqual(device?.data, { command: DEVICE_COMMAND });
        assert.equal(toggle?.type, 'Action.ToggleVisibility');
        assert.equal(toggle?.title, 'Show query');
        assert.deepEqual(toggle?.targetElements, ['query']);
        const query = byId(card, 'query');
        assert.equal(query?.isVisible, false);
        const mono = ofType(query, 'TextBlock').filter((t) => t.fontType === 'Monospace');
        assert.equal(mono.length, 1);
        assert.equal(mono[0]!.text, ALERT_KQL.split('\n').join('\n\n'));
        assert.equal(ofType(query, 'Action.OpenUrl').length, 0);
      });

      it('has no device button without a device command', () => {
        const card = alert(alertModel({}, { deviceCommand: '  ' }));
        assert.deepEqual(
          (card.actions ?? []).map((a) => a.type),
          ['Action.ToggleVisibility'],
        );
      });
    });

    describe('compact (after a 413)', () => {
      it('is small, valid, and keeps status, flags, device and the device button', () => {
        const card = alert(ALERT_SAMPLES.compact);
        assertValidCard(card);
        assert.ok(cardByteLength(card) < 4096, `${cardByteLength(card)} bytes`);
        const text = allText(card);
        assert.equal(card.body[0]?.text, 'Isolate (Full) on ws-042.contoso.com');
        assert.match(text, /short form: the full card was too large for Teams/);
        for (const flag of ALL_FLAGS) assert.ok(text.includes(flagSentence(flag)), flag.kind);
        assert.equal(ofType(card, 'TextBlock').find((t) => (t.text as string).startsWith('⚠️'))?.color, 'Attention');
        assert.equal(statusWord(card).text, 'Failed');
        assert.equal(statusWord(card).color, 'Attention');
        assert.equal(statusDetail(card), 'after 2 min 11 s');
        assert.match(text, /Device: \[ws-042\.contoso\.com\]\(https:\/\/security\.microsoft\.com\/machines\/v2\//);
        assert.match(text, new RegExp(`Action id ${ALERT_ACTION.id}`));
        assert.equal(ofType(card, 'FactSet').length, 0, 'no facts');
        assert.equal(byId(card, 'query'), undefined, 'no query');
        assert.ok(!text.includes('Beaconing'), 'no comment');
        assert.deepEqual(card.actions, [
          { type: 'Action.Submit', title: 'All actions for this device', data: { command: DEVICE_COMMAND } },
        ]);
      });

      it('stays under 4 KB with 5 KB comments, 300 emoji device names and 500-character flags', () => {
        for (const timeZone of ['UTC', 'America/St_Johns']) {
          const card = alert(ALERT_SAMPLES.hostileCompact, { timeZone });
          assertValidCard(card);
          assert.ok(cardByteLength(card) < 4096, `${cardByteLength(card)} bytes`);
        }
      });

      it('is also what a full card becomes when not even it fits the byte budget', () => {
        const card = alert(ALERT_SAMPLES.longComment, { maxBytes: 3000 });
        assertValidCard(card);
        assert.match(allText(card), /short form/);
        const full = alert(ALERT_SAMPLES.longComment);
        assert.ok(!allText(full).includes('short form'));
        assert.ok(cardByteLength(full) <= CARD_TARGET_BYTES);
      });
    });
  });

  describe('storm', () => {
    it('500 actions: within 28 KB, the newest that fit, "showing N of 500", and a Show all button', () => {
      const model = STORM_SAMPLES.storm500;
      const card = renderStormCard(model, ctx());
      assertValidCard(card);
      const size = cardByteLength(card);
      assert.ok(size <= CARD_TARGET_BYTES && size > CARD_TARGET_BYTES - 2000, `${size} bytes: close to the budget`);
      const ids = texts(card).flatMap((t) => [...t.matchAll(/· id ([0-9a-f-]{36})$/g)].map((m) => m[1]!));
      assert.ok(ids.length >= 20, `${ids.length} rows`);
      assert.deepEqual(
        ids,
        model.actions.slice(0, ids.length).map((r) => r.id),
      );
      assert.match(
        allText(card),
        new RegExp(`Showing ${ids.length} of 500 actions, newest first\\. "Show all" lists every one\\.`),
      );
      assert.equal(card.body[0]?.text, '500 machine actions at once');
      const showAll = (card.actions ?? []).find((a) => a.type === 'Action.Submit');
      assert.equal(showAll?.title, 'Show all');
      assert.deepEqual(showAll?.data, { command: 'actions last 14 days' });
    });

    it('several requestors: "Show all" is a summary, and the card says it counts rather than lists', () => {
      const card = renderStormCard({ ...STORM_SAMPLES.storm500, showAllCommand: 'summary since 2026-11-21' }, ctx());
      assert.match(allText(card), /newest first\. "Show all" counts every one; "action <id>" shows one\./);
      assert.doesNotMatch(allText(card), /lists every one/);
    });

    it('500 actions with 5 KB text in every field, 500 requestors and 500 types still fit', () => {
      const actions = STORM_SAMPLES.storm500.actions.map((r, i) => ({
        ...r,
        type: `Type${i}${'[x]'.repeat(1500)}`,
        requestor: `${i}${'ä'.repeat(5000)}`,
        requestorComment: '*'.repeat(5000),
        computerDnsName: '🚨'.repeat(2500),
      }));
      const card = renderStormCard(stormModel(actions), ctx());
      assertValidCard(card);
      assert.ok(cardByteLength(card) <= CARD_TARGET_BYTES, `${cardByteLength(card)} bytes`);
      assert.match(allText(card), /and 490 more types with 490 actions/);
    });

    it('honours a smaller byte budget', () => {
      const card = renderStormCard(STORM_SAMPLES.storm500, ctx({ maxBytes: 8000 }));
      assertValidCard(card);
      assert.ok(cardByteLength(card) <= 8000);
    });

    it('shows status counts now, and they move when the card is rendered again after the actions completed', () => {
      const tiles = (card: AdaptiveCard): string[] =>
        ofType(
          card.body.find((e) => e.type === 'ColumnSet'),
          'Column',
        ).map((c) => texts(c).join(' '));
      assert.deepEqual(tiles(renderStormCard(STORM_SAMPLES.storm12, ctx())), [
        '12 Actions',
        '5 Succeeded',
        '3 Failed or timed out',
        '1 Cancelled',
        '3 Pending or in progress',
      ]);
      assert.deepEqual(tiles(renderStormCard(STORM_SAMPLES.completed, ctx())), [
        '12 Actions',
        '9 Succeeded',
        '3 Failed or timed out',
        '0 Cancelled',
        '0 Pending or in progress',
      ]);
      assert.match(
        allText(renderStormCard(STORM_SAMPLES.storm12, ctx())),
        /this card is updated as the actions complete/,
      );
    });

    it('groups by type and by requestor (friendly names), with counts and shares', () => {
      const card = renderStormCard(STORM_SAMPLES.storm12, ctx());
      assert.equal(ofType(card, 'FactSet').length, 0, 'no FactSet: its titles are too narrow for long names');
      const [byType, byRequestor] = countTables(card).map((t) => t.rows);
      assert.deepEqual(
        countTables(card).map((t) => t.header),
        [
          ['Action type', 'Actions'],
          ['Requestor', 'Actions'],
        ],
      );
      assert.equal(byType?.Isolate, '3 (25%)');
      assert.equal(byType?.RestrictCodeExecution, '1 (8%)');
      assert.equal(byRequestor?.[KNOWN_APP_NAME], '3 (25%)');
      assert.equal(byRequestor?.[`app ${UNKNOWN_APP_GUID}`], '2 (17%)');
      assert.match(allText(card), /By type[\s\S]*By requestor[\s\S]*Newest actions/);
    });

    it('cuts long groups to 10 and says how many more', () => {
      const card = renderStormCard(STORM_SAMPLES.manyRequestors, ctx());
      const byRequestor = countTables(card)[1]!.rows;
      assert.equal(Object.keys(byRequestor).length, 10);
      assert.match(allText(card), /and 50 more requestors with 50 actions/);
    });

    it('names the period in the zone, and has every action row with coloured status', () => {
      const card = renderStormCard(STORM_SAMPLES.storm12, ctx());
      assert.equal(card.body[1]?.text, 'Created 2026-11-29 06:53 UTC+1 to 2026-11-29 13:40 UTC+1');
      const statuses = ofType(card, 'TextBlock').filter(
        (t) => t.weight === 'Bolder' && typeof t.color === 'string' && t.color !== 'Default',
      );
      assert.ok(statuses.some((s) => s.text === 'Failed' && s.color === 'Attention'));
      assert.ok(statuses.some((s) => s.text === 'Cancelled' && s.color === 'Warning'));
      assert.ok(!/Showing/.test(allText(card)), 'all 12 shown');
    });

    it('has no Show all button without a command', () => {
      assert.equal(ofType(renderStormCard(STORM_SAMPLES.noShowAll, ctx()), 'Action.Submit').length, 0);
    });
  });

  describe('backfill', () => {
    it('says once what the first run read: total, types, days, oldest and newest, counts by type', () => {
      const card = renderBackfillCard(BACKFILL_SAMPLES.firstRun, ctx());
      assert.equal(card.body[0]?.text, 'Audit trail started');
      assert.equal(card.body[1]?.text, 'First run: searched the last 180 days and read 552 machine actions');
      // The tile shows the history found (oldest action 2026-06-02, the card at 2026-11-29), not the window searched.
      assert.match(allText(card), /\b180\nDays of history found/);
      const f = facts(card);
      assert.equal(f['Oldest action'], '2026-06-02 10:12 UTC+2');
      assert.equal(f['Newest action'], '2026-11-29 13:58 UTC+1');
      const rows = ofType(card, 'Table')[0]!.rows as Json[];
      assert.equal(rows.length, 1 + COUNT_TYPE_ROWS.length);
      assert.match(allText(card), /stored quietly, without alerts/);
      assert.deepEqual(card.actions ?? [], []);
    });

    it('an empty history says so', () => {
      const card = renderBackfillCard(BACKFILL_SAMPLES.empty, ctx());
      assert.match(allText(card), /No machine actions in the last 180 days\./);
      assert.equal(ofType(card, 'Table').length, 0);
      assert.equal(facts(card)['Oldest action'], '—');
      assert.match(allText(card), /\b0\nDays of history found/);
    });

    it('400 types fit with "showing N of 400"', () => {
      const card = renderBackfillCard(BACKFILL_SAMPLES.manyTypes, ctx());
      assert.ok(cardByteLength(card) <= CARD_MAX_BYTES);
      const rows = (ofType(card, 'Table')[0]!.rows as Json[]).length - 1;
      assert.match(allText(card), new RegExp(`Showing ${rows} of 400 types`));
    });
  });

  describe('subscriptions', () => {
    it('lists each conversation: name, what it receives, active or stopped with the reason, since when', () => {
      const card = renderSubscriptionsCard(SUBSCRIPTION_SAMPLES.some, ctx());
      assert.equal(card.body[1]?.text, 'Where alerts and digests are posted · 2 of 4 conversations active');
      const rows = ofType(card, 'Container')
        .filter((c) => c.separator === true)
        .map((r) => texts(r));
      assert.equal(rows.length, 4);
      assert.deepEqual(rows[0], [
        '**SecOps › Alerts**',
        'Active',
        'Alerts',
        'Since 2026-11-01 10:30 UTC+1 · conversation 19:8f3e2b7c5a1d4e6f9b0a2c4d6e8f0a1b@thread.tacv2',
      ]);
      assert.deepEqual(rows[2]?.slice(1), [
        'Stopped',
        'Alerts and digest',
        'Since 2026-11-10 17:45 UTC+1 · conversation 19:meeting_ZTZmNjQ0@thread.v2',
        'Posting stopped: MessageWritesBlocked',
      ]);
      assert.equal(rows[3]?.[2], 'Nothing (neither alerts nor digest)');
      const stopped = ofType(card, 'TextBlock').find((t) => t.text === 'Stopped');
      assert.equal(stopped?.color, 'Attention');
      assert.equal(ofType(card, 'TextBlock').find((t) => t.text === 'Active')?.color, 'Good');
    });

    it('says so when there is none, and cuts 500 to what fits', () => {
      assert.match(allText(renderSubscriptionsCard([], ctx())), /No conversation receives alerts or digests yet\./);
      const card = renderSubscriptionsCard(SUBSCRIPTION_SAMPLES.many, ctx());
      assert.ok(cardByteLength(card) <= CARD_MAX_BYTES);
      assert.match(allText(card), /Showing \d+ of 500 conversations/);
    });
  });
});
