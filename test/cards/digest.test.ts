import assert from 'node:assert/strict';
import type { DigestModel } from '../../src/core/alerts.js';
import {
  CARD_TARGET_BYTES,
  cardByteLength,
  loadCardTemplates,
  renderDigestCard,
  type AdaptiveCard,
  type CardContext,
  type CardTemplates,
} from '../../src/cards/index.js';
import { DIGEST_SAMPLES, KNOWN_APP_NAME, SAMPLE_NOW, SAMPLE_REQUESTOR_NAMES, UNKNOWN_APP_GUID } from './samples.js';
import { allObjects, assertValidCard, ofType, texts } from './validate.js';

type Json = Record<string, unknown>;

describe('cards/renderDigestCard', () => {
  let templates: CardTemplates;
  before(async () => {
    templates = await loadCardTemplates();
  });
  function render(model: DigestModel, overrides: Partial<CardContext> = {}): AdaptiveCard {
    const card = renderDigestCard(model, {
      templates,
      now: SAMPLE_NOW,
      requestorNames: SAMPLE_REQUESTOR_NAMES,
      ...overrides,
    });
    assertValidCard(card);
    return card;
  }
  function allText(card: unknown): string {
    return texts(card).join('\n');
  }
  function tiles(card: AdaptiveCard): { text: string; color: unknown }[] {
    const set = card.body.find((e) => e.type === 'ColumnSet');
    return ofType(set, 'Column').map((c) => ({ text: texts(c).join(' '), color: ofType(c, 'TextBlock')[0]?.color }));
  }
  /** The rows of a Table as cell texts (header row first). */
  function tableRows(t: Json): string[][] {
    return (t.rows as Json[]).map((r) => (r.cells as Json[]).map((c) => texts(c).join(' ')));
  }
  /** The Table that follows the heading `heading`: its header, and its rows as name → value. */
  function tableAfter(
    card: AdaptiveCard,
    heading: string,
  ): { header: string[]; rows: Record<string, string>; table: Json } {
    const at = card.body.findIndex((e) => e.type === 'TextBlock' && e.text === heading);
    assert.ok(at >= 0, `a heading ${heading}`);
    const table = card.body.slice(at).find((e) => e.type === 'Table');
    assert.ok(table, `a table after ${heading}`);
    assert.equal(ofType(card, 'FactSet').length, 0, 'no FactSet: its titles are too narrow for long names');
    const [header, ...rows] = tableRows(table);
    return { header: header!, rows: Object.fromEntries(rows.map(([name, value]) => [name!, value!])), table };
  }
  function factsAfter(card: AdaptiveCard, heading: string): Record<string, string> {
    return tableAfter(card, heading).rows;
  }
  /** Texts of the separated rows that follow the heading (until the next heading). */
  function rowsAfter(card: AdaptiveCard, heading: string): string[][] {
    const at = card.body.findIndex(
      (e) => e.type === 'TextBlock' && typeof e.text === 'string' && e.text.startsWith(heading),
    );
    assert.ok(at >= 0, `a heading ${heading}`);
    const rest = card.body.slice(at + 1);
    const end = rest.findIndex((e) => e.type === 'TextBlock' && e.weight === 'Bolder' && e.spacing === 'Large');
    return rest
      .slice(0, end < 0 ? undefined : end)
      .filter((e) => e.type === 'Container' && e.separator === true)
      .map((c) => texts(c));
  }

  it('is one card for management: title, date and 24-hour window in the digest zone, which it names', () => {
    const card = render(DIGEST_SAMPLES.daily);
    assert.equal(card.body[0]?.text, 'Machine actions: daily digest');
    assert.equal(card.body[1]?.text, '2026-11-29 · last 24 hours: 2026-11-28 14:00 UTC+1 to 2026-11-29 14:00 UTC+1');
    assert.equal(
      card.body[2]?.text,
      'Times in Europe/Amsterdam · chart days in UTC · ages as of 2026-11-29 14:00 UTC+1',
    );
    assert.deepEqual(card.actions ?? [], []);
  });

  it('uses the context zone when the model zone is not a valid IANA zone', () => {
    const card = render({ ...DIGEST_SAMPLES.daily, timeZone: 'Mars/Olympus_Mons' }, { timeZone: 'Asia/Kolkata' });
    assert.match(card.body[2]?.text as string, /^Times in Asia\/Kolkata/);
    assert.match(card.body[1]?.text as string, /2026-11-28 18:30 UTC\+5:30 to/);
  });

  it('has tiles for the last 24 hours: total, failures, timeouts and the trend', () => {
    assert.deepEqual(tiles(render(DIGEST_SAMPLES.daily)), [
      { text: '37 Actions (24 h)', color: 'Default' },
      { text: '2 Failed', color: 'Attention' },
      { text: '1 Timed out', color: 'Attention' },
      { text: '+28% vs 29 in the 24 h before', color: 'Accent' },
    ]);
    assert.deepEqual(
      tiles(render(DIGEST_SAMPLES.quiet)).map((t) => t.color),
      ['Default', 'Good', 'Good', 'Default'],
    );
  });

  it('states the trend against the previous 24 hours in words', () => {
    assert.match(
      allText(render(DIGEST_SAMPLES.daily)),
      /37 actions in the last 24 hours: 8 more than the 29 of the 24 hours before \(up 28%\)\./,
    );
    assert.match(
      allText(render(DIGEST_SAMPLES.fewer)),
      /20 actions in the last 24 hours: 20 fewer than the 40 of the 24 hours before \(down 50%\)\./,
    );
    assert.equal(tiles(render(DIGEST_SAMPLES.fewer))[3]?.text, '−50% vs 40 in the 24 h before');
    assert.equal(tiles(render(DIGEST_SAMPLES.firstDay))[3]?.text, 'new vs 0 in the 24 h before');
    assert.match(
      allText(render(DIGEST_SAMPLES.quiet)),
      /0 actions in the last 24 hours, as many as in the 24 hours before\./,
    );
  });

  it('lists the totals by type for the last 24 hours with shares, in a table whose name column takes most of the width', () => {
    const { header, rows, table } = tableAfter(render(DIGEST_SAMPLES.daily), 'By type (last 24 hours)');
    assert.deepEqual(header, ['Action type', 'Actions']);
    assert.deepEqual(rows, {
      RunAntiVirusScan: '21 (57%)',
      Isolate: '9 (24%)',
      Unisolate: '5 (14%)',
      CollectInvestigationPackage: '2 (5%)',
    });
    assert.deepEqual(table.columns, [{ width: 4 }, { width: 1, horizontalCellContentAlignment: 'Right' }]);
    assert.equal(table.showGridLines, false);
  });

  describe('charts', () => {
    it('every chart element has a fallback', () => {
      for (const model of Object.values(DIGEST_SAMPLES)) {
        const charts = allObjects(render(model)).filter(
          (o) => typeof o.type === 'string' && o.type.startsWith('Chart.'),
        );
        for (const chart of charts)
          assert.ok(
            ['TextBlock', 'Container'].includes((chart.fallback as Json | undefined)?.type as string),
            String(chart.type),
          );
      }
    });

    it('actions per day: a vertical bar chart of the 14 UTC days whose fallback is a table of the weeks', () => {
      const model = DIGEST_SAMPLES.daily;
      const [chart] = ofType(render(model), 'Chart.VerticalBar');
      assert.ok(chart);
      assert.equal(chart.title, 'Actions per day, last 14 days: 16 Nov to 29 Nov (UTC)');
      assert.equal(chart.xAxisTitle, 'Day (UTC)');
      const data = chart.data as { x: string; y: number }[];
      assert.equal(data.length, 14);
      // Day-of-month labels fit under a bar (Teams cut "16 Nov" to "1…"); the title names the dates.
      assert.deepEqual(data[0], { x: '16', y: model.perDay[0]!.count });
      assert.ok(
        data.every((d) => d.x.length <= 2),
        JSON.stringify(data.map((d) => d.x)),
      );
      assert.deepEqual(
        data.map((d) => d.y),
        model.perDay.map((d) => d.count),
      );
      const fallback = chart.fallback as Json;
      assert.equal(fallback.type, 'Container');
      assert.equal((fallback.items as Json[])[0]?.text, 'Actions per day, last 14 days: 16 Nov to 29 Nov (UTC)');
      const [header, ...weeks] = tableRows(ofType(fallback, 'Table')[0]!);
      assert.deepEqual(header, ['Week of', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun', 'Total']);
      // 2026-11-16 is a Monday: two full weeks.
      assert.deepEqual(
        weeks.map((w) => w[0]),
        ['16 Nov', '23 Nov'],
      );
      assert.deepEqual(
        weeks.flatMap((w) => w.slice(1, 8)),
        model.perDay.map((d) => d.count.toLocaleString('en-US')),
      );
      assert.deepEqual(
        weeks.map((w) => Number(w[8])),
        [0, 7].map((i) => model.perDay.slice(i, i + 7).reduce((s, d) => s + d.count, 0)),
      );
    });

    it('share by type: a donut of the largest types plus "Other", whose fallback lists every type with its share', () => {
      const model = DIGEST_SAMPLES.long;
      const [donut] = ofType(render(model), 'Chart.Donut');
      assert.ok(donut);
      const data = donut.data as { legend: string; value: number }[];
      assert.equal(data.length, 7);
      assert.equal(data.at(-1)?.legend, 'Other');
      assert.equal(
        data.reduce((s, d) => s + d.value, 0),
        model.shareByType.reduce((s, r) => s + r.count, 0),
      );
      const fallback = (donut.fallback as Json).text as string;
      for (const r of model.shareByType)
        assert.ok(fallback.includes(`${r.key} ${r.count.toLocaleString('en-US')} (`), r.key);
    });

    it('a donut of few types has them all, and the fallback their shares', () => {
      const [donut] = ofType(render(DIGEST_SAMPLES.daily), 'Chart.Donut');
      assert.deepEqual(
        (donut!.data as { legend: string }[]).map((d) => d.legend),
        [
          'RunAntiVirusScan',
          'Isolate',
          'Unisolate',
          'CollectInvestigationPackage',
          'StopAndQuarantineFile',
          'RestrictCodeExecution',
          'LiveResponse',
        ],
      );
      assert.match(
        (donut!.fallback as Json).text as string,
        /^Share by type: RunAntiVirusScan 412 \(75%\) · Isolate 57 \(10%\)/,
      );
    });

    it('no donut without actions; empty sections say so', () => {
      const card = render(DIGEST_SAMPLES.quiet);
      assert.equal(ofType(card, 'Chart.Donut').length, 0);
      const text = allText(card);
      for (const s of [
        'No actions in the last 24 hours.',
        'No requestors in the last 7 days.',
        'No devices in the last 7 days.',
        'No device is isolated now.',
        'Nothing is pending.',
      ])
        assert.ok(text.includes(s), s);
    });
  });

  it('names top requestors (friendly names for apps) and top devices', () => {
    const card = render(DIGEST_SAMPLES.daily);
    assert.deepEqual(tableAfter(card, 'Top requestors (last 7 days)').header, ['Requestor', 'Actions']);
    assert.deepEqual(tableAfter(card, 'Top devices (last 7 days)').header, ['Device', 'Actions']);
    assert.deepEqual(factsAfter(card, 'Top requestors (last 7 days)'), {
      'Alex.Wilber@contoso.com': '41',
      [KNOWN_APP_NAME]: '30',
      [`app ${UNKNOWN_APP_GUID}`]: '12',
      'Megan.Bowen@contoso.com': '7',
    });
    assert.deepEqual(factsAfter(card, 'Top devices (last 7 days)'), {
      'ws-042.contoso.com': '11',
      'srv-sql-07.contoso.com': '6',
      'ws-117.contoso.com': '4',
    });
  });

  it('devices isolated now, with their age measured to the digest time (not the rendering time)', () => {
    const card = render(DIGEST_SAMPLES.daily, { now: '2030-01-01T00:00:00Z' });
    // One confirmed isolation, then two requested ones (Pending, InProgress), apart.
    const rows = rowsAfter(card, 'Isolated now (1) · requested, not yet confirmed (2)');
    assert.equal(rows.length, 3);
    assert.match(
      rows[0]![0]!,
      /^\*\*\[ws-042\.contoso\.com\]\(https:\/\/security\.microsoft\.com\/machines\/v2\/f46b9bb259ed4a7fb9981b73510e3cc7aa81ec1f\)\*\* · Isolated \(Full\) for 2 h$/,
    );
    assert.equal(rows[0]![1], `Since 2026-11-29 11:00 UTC+1 · by ${KNOWN_APP_NAME} · Succeeded`);
    assert.match(rows[1]![0]!, /Isolation requested \(Selective\), not yet confirmed: requested 1 min ago$/);
    assert.match(rows[2]![0]!, /Isolation requested \(Full\), not yet confirmed: requested 5 d ago$/);
  });

  it('the oldest pending actions, with how long they have waited', () => {
    const rows = rowsAfter(render(DIGEST_SAMPLES.daily), 'Oldest pending actions');
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[0], [
      '**Isolate (Full)** · [de693d7fbdabcdefabcdefcfc9cf40b5bf2da1d8](https://security.microsoft.com/machines/v2/de693d7fbdabcdefabcdefcfc9cf40b5bf2da1d8)',
      'InProgress',
      `Created 2026-11-19 10:00 UTC+1 · waiting 10 d · by ${KNOWN_APP_NAME}`,
    ]);
    assert.match(rows[1]![2]!, /waiting 4 min/);
  });

  it('long lists: within 28 KB, at most 10 rows per list, each saying "showing N of M"', () => {
    const model = DIGEST_SAMPLES.long;
    for (const timeZone of ['UTC', 'Pacific/Chatham']) {
      const card = render({ ...model, timeZone });
      assert.ok(cardByteLength(card) <= CARD_TARGET_BYTES, `${cardByteLength(card)} bytes`);
      const text = allText(card);
      // Every list is cut to the same number of rows: 10 at most, fewer when the byte budget needs it.
      const n = Object.keys(factsAfter(card, 'Top requestors (last 7 days)')).length;
      assert.ok(n >= 8 && n <= 10, `${n} rows`);
      const requested = model.isolated.filter((r) => r.status === 'Pending' || r.status === 'InProgress').length;
      assert.equal(
        rowsAfter(card, `Isolated now (${300 - requested}) · requested, not yet confirmed (${requested})`).length,
        n,
      );
      for (const s of [
        `Showing ${n} of 40 types`,
        `Showing ${n} of 300 requestors · all: "requestors 7d"`,
        `Showing ${n} of 300 devices · all: "devices 7d"`,
        `Showing ${n} of 300 isolated or requested devices · all: "isolated"`,
        `Showing ${n} of 300 pending actions · all: "pending"`,
      ]) {
        assert.ok(text.includes(s), s);
      }
    }
  });

  it('5 KB text in every list item still fits', () => {
    const long = (key: string): string => `${key}${'[x]'.repeat(1700)}`;
    const model = DIGEST_SAMPLES.long;
    const card = render({
      ...model,
      tiles: { ...model.tiles, byType: model.tiles.byType.map((r) => ({ ...r, key: long(r.key) })) },
      shareByType: model.shareByType.map((r) => ({ ...r, key: long(r.key) })),
      topRequestors: model.topRequestors.map((r) => ({ ...r, key: long(r.key) })),
      topDevices: model.topDevices.map((r) => ({ ...r, key: long(r.key) })),
      isolated: model.isolated.map((r) => ({ ...r, computerDnsName: '🚨'.repeat(2500), requestor: long(r.requestor) })),
      oldestPending: model.oldestPending.map((r) => ({ ...r, type: long(r.type), computerDnsName: '🚨'.repeat(2500) })),
    });
    assert.ok(cardByteLength(card) <= CARD_TARGET_BYTES, `${cardByteLength(card)} bytes`);
  });

  it('cuts lists further when the byte budget is small, and still renders', () => {
    const card = render(DIGEST_SAMPLES.long, { maxBytes: 12_000 });
    assert.ok(cardByteLength(card) <= 12_000, `${cardByteLength(card)} bytes`);
    assert.match(allText(card), /Showing \d of 300 isolated or requested devices/);
  });
});
