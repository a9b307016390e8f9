import assert from 'node:assert/strict';
import {
  CARD_MAX_BYTES,
  cardByteLength,
  loadCardTemplates,
  renderReplyCard,
  type AdaptiveCard,
  type CardContext,
  type CardTemplates,
} from '../../src/cards/index.js';
import type { Reply } from '../../src/core/replies.js';
import {
  DEVICE_ROWS,
  HOSTILE_SAMPLES,
  KNOWN_APP_GUID,
  KNOWN_APP_NAME,
  SAMPLE_KQL,
  SAMPLE_NOW,
  SAMPLE_PORTAL_URL,
  SAMPLE_REPLIES,
  SAMPLE_REQUESTOR_NAMES,
  UNKNOWN_APP_GUID,
  WS042_NEW,
  WS042_OLD,
  type SampleName,
} from './samples.js';
import { TABLE_LAYOUT } from '../../src/cards/views-table.js';
import { textWidth } from '../../src/cards/text-width.js';
import { allObjects, assertValidCard, byId, ofType, texts } from './validate.js';

type Json = Record<string, unknown>;

describe('cards/renderReplyCard', () => {
  let templates: CardTemplates;
  before(async () => {
    templates = await loadCardTemplates();
  });

  function ctx(overrides: Partial<CardContext> = {}): CardContext {
    return { templates, now: SAMPLE_NOW, requestorNames: SAMPLE_REQUESTOR_NAMES, ...overrides };
  }
  function render(reply: Reply, overrides: Partial<CardContext> = {}): AdaptiveCard {
    return renderReplyCard(reply, ctx(overrides));
  }
  function allText(card: AdaptiveCard): string {
    return texts(card).join('\n');
  }
  /** The Container of each action row (it holds the status column). */
  function rowContainers(card: AdaptiveCard): Json[] {
    return ofType(card, 'Container').filter(
      (c) => c.separator === true && Array.isArray(c.items) && (c.items as Json[])[0]?.type === 'ColumnSet',
    );
  }

  describe('every sample renders as a valid Teams card', () => {
    for (const name of Object.keys(SAMPLE_REPLIES) as SampleName[]) {
      it(name, () => {
        const reply: Reply = SAMPLE_REPLIES[name];
        for (const timeZone of [undefined, 'Europe/Paris']) {
          const card = render(reply, timeZone === undefined ? {} : { timeZone });
          assertValidCard(card, `${name} (${timeZone ?? 'UTC'})`);
          assert.ok(cardByteLength(card) <= CARD_MAX_BYTES);
          assert.equal(card.version, '1.5');
          assert.deepEqual(card.msteams, { width: 'Full' });
          const [title, subtitle] = card.body;
          assert.equal(title?.type, 'TextBlock');
          assert.equal(title?.weight, 'Bolder');
          assert.equal(subtitle?.isSubtle, true);
          assert.ok(typeof subtitle?.text === 'string' && subtitle.text !== '', 'has a subtitle');
          if (!HOSTILE_SAMPLES.has(name))
            assert.ok(!JSON.stringify(card).includes('${'), 'no unbound template expression left');
        }
      });
    }
  });

  it('is pure: the same input gives the same card, and the reply is not modified', () => {
    const reply = structuredClone(SAMPLE_REPLIES.actions500);
    const a = render(reply);
    const b = render(reply);
    assert.deepEqual(a, b);
    assert.deepEqual(reply, SAMPLE_REPLIES.actions500);
  });

  describe('Show query', () => {
    const resultSamples: SampleName[] = [
      'actionsForDevice',
      'countsByType',
      'summary7d',
      'timeline30d',
      'isolatedNow',
      'actionCancelled',
      'actionNotFound',
      'tableSmall',
    ];
    for (const name of resultSamples) {
      it(`${name}: a toggle reveals a hidden container with the KQL in monospace`, () => {
        const card = render(SAMPLE_REPLIES[name]);
        const toggle = (card.actions ?? []).find((a) => a.type === 'Action.ToggleVisibility');
        assert.ok(toggle, 'has a Show query toggle');
        assert.equal(toggle.title, 'Show query');
        const targets = toggle.targetElements as string[];
        assert.equal(targets.length, 1);
        const container = byId(card, targets[0]!);
        assert.ok(container, 'the target exists');
        assert.equal(container.type, 'Container');
        assert.equal(container.isVisible, false);
        const mono = ofType(container, 'TextBlock').filter((t) => t.fontType === 'Monospace');
        assert.equal(mono.length, 1);
        assert.equal(mono[0]!.wrap, true);
        assert.match(mono[0]!.text as string, /^MDEMachineActions_CL\n\n\| where CreationDateTimeUtc >= ago\(30d\)/);
      });
    }

    it('offers "Open in Log Analytics" inside the hidden container when there is a portal URL', () => {
      const card = render(SAMPLE_REPLIES.actionsForDevice);
      const open = ofType(byId(card, 'query'), 'Action.OpenUrl');
      assert.equal(open.length, 1);
      assert.equal(open[0]!.title, 'Open in Log Analytics');
      assert.equal(open[0]!.url, SAMPLE_PORTAL_URL);
    });

    it('has no Log Analytics link without a portal URL, or with a non-web one', () => {
      assert.equal(ofType(render(SAMPLE_REPLIES.summaryEmpty), 'Action.OpenUrl').length, 0);
      const sneaky = { ...SAMPLE_REPLIES.countsByType, query: { kql: SAMPLE_KQL, portalUrl: 'javascript:alert(1)' } };
      assert.equal(ofType(render(sneaky), 'Action.OpenUrl').length, 0);
    });

    it('status, help and error cards have no query toggle', () => {
      for (const name of ['statusOk', 'helpAsked', 'error'] as const) {
        assert.equal(ofType(render(SAMPLE_REPLIES[name]), 'Action.ToggleVisibility').length, 0, name);
      }
    });
  });

  describe('action list', () => {
    it('shows time with zone, type and scope, coloured status, device link, requestor, comment', () => {
      const card = render(SAMPLE_REPLIES.actionsForDevice);
      const rows = rowContainers(card);
      assert.equal(rows.length, DEVICE_ROWS.length);
      const second = texts(rows[1]).join('\n');
      assert.match(
        second,
        /\*\*Isolate \(Full\)\*\* · \[ws-042\.contoso\.com\]\(https:\/\/security\.microsoft\.com\/machines\/v2\/f46b9bb259ed4a7fb9981b73510e3cc7aa81ec1f\)/,
      );
      assert.match(
        second,
        /2026-11-29 10:00 UTC · by Sentinel isolation playbook · id 5382f7ea-7557-4ab7-9782-00000000000a/,
      );
      assert.match(second, /Automated containment: incident 8841 \(high severity\)/);
      assert.match(allText(card), /Times in UTC · newest first/);
    });

    it('colours statuses: Succeeded good, Failed and TimeOut attention, Cancelled warning, Pending and InProgress accent', () => {
      const card = render(SAMPLE_REPLIES.actionsForDevice);
      const colours = Object.fromEntries(
        rowContainers(card).map((row) => {
          const status = ofType(row, 'Column')[1]!;
          const block = (status.items as Json[])[0]!;
          return [block.text as string, block.color];
        }),
      );
      assert.deepEqual(colours, {
        Pending: 'Accent',
        Succeeded: 'Good',
        Failed: 'Attention',
        TimeOut: 'Attention',
        Cancelled: 'Warning',
        InProgress: 'Accent',
      });
    });

    it('names known apps, shows unknown app GUIDs as "app <guid>" and UPNs as they are', () => {
      const text = allText(render(SAMPLE_REPLIES.actionsForDevice));
      assert.match(text, new RegExp(`by ${KNOWN_APP_NAME} ·`));
      assert.ok(!text.includes(`by ${KNOWN_APP_GUID}`));
      assert.match(text, new RegExp(`by app ${UNKNOWN_APP_GUID} ·`));
      assert.match(text, /by Megan\.Bowen@contoso\.com ·/);
    });

    it('links a device without a name by its machine id', () => {
      const text = allText(render(SAMPLE_REPLIES.actionsForDevice));
      assert.match(
        text,
        /\[de693d7fbdabcdefabcdefcfc9cf40b5bf2da1d8\]\(https:\/\/security\.microsoft\.com\/machines\/v2\/de693d7fbdabcdefabcdefcfc9cf40b5bf2da1d8\)/,
      );
    });

    it('shows times in the requested zone and says which', () => {
      const text = allText(render(SAMPLE_REPLIES.actionsForDevice, { timeZone: 'Europe/Paris' }));
      assert.match(text, /Times in Europe\/Paris/);
      assert.match(text, /2026-11-29 11:00 UTC\+1 · by Sentinel/);
    });

    it('falls back to UTC, and says so, for an unknown zone', () => {
      const text = allText(render(SAMPLE_REPLIES.actionsForDevice, { timeZone: 'Mars/Olympus_Mons' }));
      assert.match(text, /Times in UTC/);
      assert.match(text, /2026-11-29 10:00 UTC · by Sentinel/);
    });

    it('has a More button that submits the next-page command', () => {
      const card = render(SAMPLE_REPLIES.actionsForDevice);
      const more = (card.actions ?? []).filter((a) => a.type === 'Action.Submit');
      assert.equal(more.length, 1);
      assert.equal(more[0]!.title, 'More');
      assert.deepEqual(more[0]!.data, { command: 'actions for device ws-042 last 30 days page 2' });
    });

    it('has no More button without a next page', () => {
      assert.equal(ofType(render(SAMPLE_REPLIES.actionsSharedName), 'Action.Submit').length, 0);
    });

    it('says "showing N of M" when the rows are a page of more', () => {
      assert.match(allText(render(SAMPLE_REPLIES.actionsForDevice)), /Showing 6 of 42 actions/);
      assert.match(allText(render(SAMPLE_REPLIES.actionsLastPage)), /Showing 2 of 42 actions \(41–42\)/);
      assert.ok(!/Showing/.test(allText(render(SAMPLE_REPLIES.actionsSharedName))));
    });

    it('says so when nothing matches', () => {
      const card = render(SAMPLE_REPLIES.actionsEmpty);
      assert.match(allText(card), /No actions match\./);
      assert.equal(rowContainers(card).length, 0);
    });

    it('with a shared name, says so and groups rows under a header per machine', () => {
      const card = render(SAMPLE_REPLIES.actionsSharedName);
      const text = allText(card);
      assert.match(text, /WS-042 is the name of 2 machines/);
      const notice = ofType(card, 'TextBlock').find((t) => /is the name of/.test(t.text as string));
      assert.equal(notice?.color, 'Warning');
      const groups = ofType(card, 'Container').filter((c) =>
        (c.items as Json[]).some((i) => typeof i.text === 'string' && i.text.startsWith('Machine [')),
      );
      assert.equal(groups.length, 2);
      const [first, second] = groups.map((g) => texts(g).join('\n'));
      assert.match(first!, new RegExp(`machine id ${WS042_NEW} · 2 actions shown`));
      assert.match(first!, /id 5382f7ea-7557-4ab7-9782-000000000015[\s\S]*id 5382f7ea-7557-4ab7-9782-000000000013/);
      assert.ok(!first!.includes(WS042_OLD));
      assert.match(second!, new RegExp(`machine id ${WS042_OLD} · 2 actions shown`));
      assert.match(second!, /Offboard[\s\S]*Isolate \(Full\)/);
    });
  });

  describe('counts', () => {
    it('is a table of key, count and share, with the total', () => {
      const card = render(SAMPLE_REPLIES.countsByType);
      const [table] = ofType(card, 'Table');
      assert.ok(table);
      const rows = table.rows as Json[];
      assert.equal(rows.length, 1 + 7);
      const cellTexts = (row: Json): string[] =>
        (row.cells as Json[]).map((c) => (c.items as Json[])[0]!.text as string);
      assert.deepEqual(cellTexts(rows[0]!), ['Action type', 'Actions', 'Share']);
      assert.deepEqual(cellTexts(rows[1]!), ['RunAntiVirusScan', '412', '75%']);
      assert.deepEqual(cellTexts(rows[7]!), ['LiveResponse', '1', '<1%']);
      assert.match(allText(card), /Total: 552 actions/);
    });

    it('colours statuses and names requestors', () => {
      const status = ofType(render(SAMPLE_REPLIES.countsByStatus), 'TableCell').map((c) => (c.items as Json[])[0]!);
      assert.equal(status.find((t) => t.text === 'Failed')?.color, 'Attention');
      assert.equal(status.find((t) => t.text === 'Succeeded')?.color, 'Good');
      const text = allText(render(SAMPLE_REPLIES.countsByRequestor));
      assert.match(text, new RegExp(KNOWN_APP_NAME));
      assert.match(text, new RegExp(`app ${UNKNOWN_APP_GUID}`));
    });

    it('cuts 500 keys to fit and says "showing N of M"', () => {
      const card = render(SAMPLE_REPLIES.counts500);
      const rows = (ofType(card, 'Table')[0]!.rows as Json[]).length - 1;
      assert.ok(rows > 20 && rows < 500, `${rows} rows`);
      assert.match(allText(card), new RegExp(`Showing ${rows} of 500 devices`));
      assert.ok(cardByteLength(card) <= CARD_MAX_BYTES);
    });

    it('says so when there is nothing to count', () => {
      const card = render(SAMPLE_REPLIES.countsEmpty);
      assert.equal(ofType(card, 'Table').length, 0);
      assert.match(allText(card), /No actions in this period/);
    });
  });

  describe('table (ad hoc KQL)', () => {
    const cellTexts = (row: Json): string[] => (row.cells as Json[]).map((c) => (c.items as Json[])[0]!.text as string);
    function table(card: AdaptiveCard): Json {
      const [t] = ofType(card, 'Table');
      assert.ok(t, 'has a Table');
      return t;
    }

    it('is a Table with a header row of column names and one row per result row, cells as small text', () => {
      const card = render(SAMPLE_REPLIES.tableSmall);
      const t = table(card);
      assert.equal(t.firstRowAsHeader, true);
      const rows = t.rows as Json[];
      assert.equal(rows.length, 1 + 3);
      assert.deepEqual(cellTexts(rows[0]!), ['ActionType', 'Status', 'Actions', 'Last', 'Devices', 'Cancelled']);
      assert.deepEqual(
        cellTexts(rows[1]!),
        [
          'Isolate',
          'Succeeded',
          '1000',
          '2026-11-29 12:00:00.1234567Z',
          '\\["ws-100.contoso.com", "srv-0.contoso.com"\\]',
          '',
        ],
        'date and time, and the elements of dynamic values, are spaced so that they wrap there; JSON brackets are escaped: no Markdown link',
      );
      assert.deepEqual(
        [cellTexts(rows[2]!).at(-1), cellTexts(rows[3]!).at(-1)],
        ['false', 'true'],
        'boolean text stays text',
      );
      for (const block of ofType(t, 'TextBlock')) assert.equal(block.size, 'Small');
      assert.equal((t.columns as Json[]).length, 6, 'all six columns fit a 600 px card');
      for (const c of t.columns as Json[])
        assert.ok(Number.isInteger(c.width) && (c.width as number) >= 1, JSON.stringify(c));
      assert.equal(card.body[1]?.text, '3 rows');
      assert.match(allText(card), /Read-only ad hoc query/);
      assert.ok(!allText(card).includes('More rows exist'));
      assert.ok(!allText(card).includes('Showing'));
    });

    it('gives every column the room its longest word needs at 600 px, and the rest of the width to long values', () => {
      const reply = SAMPLE_REPLIES.tableSmall;
      const widths = (table(render(reply)).columns as Json[]).map((c) => c.width as number);
      assert.ok(widths.reduce((a, b) => a + b, 0) <= TABLE_LAYOUT.width, widths.join(' + '));
      const shownText = (text: string): string => text.replace(/^(\d{4}-\d{2}-\d{2})T/, '$1 ').replace(/","/g, '", "');
      reply.columns.forEach((name, i) => {
        const words = [name, ...reply.rows.map((r) => shownText(r[i] ?? ''))].flatMap((v) => v.split(' '));
        const need =
          Math.max(...words.map((w) => textWidth(w, TABLE_LAYOUT.fontSize, w === name))) + TABLE_LAYOUT.cellOverhead;
        assert.ok(widths[i]! >= need, `${name}: ${widths[i]} px < ${need.toFixed(1)} px`);
      });
      const [type, status, actions, last, devices] = widths as [number, number, number, number, number];
      assert.ok(devices > last && last > type && type > status && status > actions, widths.join(', '));
    });

    it('leaves out the columns that do not fit the width of the card, and says so', () => {
      const card = render(SAMPLE_REPLIES.tableTruncated);
      const t = table(card);
      assert.deepEqual(
        cellTexts((t.rows as Json[])[0]!),
        ['ActionType', 'Status', 'Actions', 'Last', 'Devices'],
        'CollectInvestigationPackage takes the room of "Cancelled"',
      );
      assert.match(allText(card), /Showing the first 5 of 6 columns \(the others do not fit the width of the card\)\./);
      assert.match(allText(card), /--format csv/);
    });

    it('shows at most 10 columns however narrow, and says so', () => {
      const columns = Array.from({ length: 16 }, (_, i) => `c${i}`);
      const reply: Reply = {
        kind: 'table',
        title: 'KQL query',
        subtitle: '1 row',
        columns,
        rows: [columns.map((_c, i) => String(i))],
        truncated: false,
        query: { kql: 'T | take 1' },
      };
      const card = render(reply);
      assert.equal((table(card).columns as Json[]).length, 10);
      assert.match(allText(card), /Showing the first 10 of 16 columns\./);
    });

    it('spaces only real JSON and whole ISO datetimes; other text is shown as it is', () => {
      const reply: Reply = {
        kind: 'table',
        title: 'KQL query',
        subtitle: '1 row',
        columns: ['Json', 'NotJson', 'Braces', 'Time', 'Text'],
        rows: [
          [
            '{"a":"x,y:z","b":[1,2],"c":{"d":null}}',
            '[not json,really]',
            '{{DATE(2026-11-29T10:00:00Z, SHORT)}}',
            '2026-11-29T10:00:00Z',
            'at 2026-11-29T10:00:00Z',
          ],
        ],
        truncated: false,
        query: { kql: 'T | take 1' },
      };
      assert.deepEqual(cellTexts((table(render(reply)).rows as Json[])[1]!), [
        '{"a": "x,y:z", "b": \\[1, 2\\], "c": {"d": null}}',
        '\\[not json,really\\]',
        '{\\{DATE(2026-11-29T10:00:00Z, SHORT)}}',
        '2026-11-29 10:00:00Z',
        'at 2026-11-29T10:00:00Z',
      ]);
    });

    it('says when more rows exist than were fetched', () => {
      const card = render(SAMPLE_REPLIES.tableTruncated);
      assert.equal((table(card).rows as Json[]).length, 1 + 20);
      const warning = ofType(card, 'TextBlock').find((b) => (b.text as string).startsWith('More rows exist'));
      assert.equal(
        warning?.text,
        'More rows exist: only the first 20 rows were fetched. Narrow the query (where, summarize, take) to see the rest.',
      );
      assert.equal(warning?.color, 'Warning');
    });

    it('says so when the query returned no rows', () => {
      const card = render(SAMPLE_REPLIES.tableEmpty);
      assert.equal(ofType(card, 'Table').length, 0);
      assert.match(allText(card), /The query returned no rows\./);
    });

    it('100 wide rows: fewer rows, the columns that fit the width, clipped cells, within 28 KB, and says so', () => {
      const reply = SAMPLE_REPLIES.tableWide;
      const card = render(reply);
      assertValidCard(card);
      assert.ok(cardByteLength(card) <= CARD_MAX_BYTES, `${cardByteLength(card)} bytes`);
      const rows = (table(card).rows as Json[]).slice(1);
      assert.ok(rows.length >= 5 && rows.length < 100, `${rows.length} rows`);
      const shown = (table(card).columns as Json[]).length;
      assert.equal(shown, 3, 'three 25-character column names fit side by side');
      for (const row of rows)
        for (const text of cellTexts(row)) assert.ok(text.length <= 121, `${text.length} characters`);
      assert.deepEqual(
        rows.map((r) => cellTexts(r)[0]!.slice(0, 12)),
        reply.rows.slice(0, rows.length).map((r) => r[0]!.slice(0, 12)),
        'the first rows, in order',
      );
      const all = allText(card);
      assert.match(
        all,
        new RegExp(
          `Showing ${rows.length} of 100 rows \\(the rest did not fit in the card\\) and the first 3 of 16 columns \\(the others do not fit the width of the card\\)\\.`,
        ),
      );
      assert.match(all, /Long values end with "…"/);
      assert.match(all, /--format csv/);
      assert.match(all, /More rows exist: only the first 100 rows were fetched/);
    });

    it('keeps every row that fits a smaller budget, and names no cut when nothing was cut', () => {
      assert.ok(!allText(render(SAMPLE_REPLIES.tableSmall)).includes('Showing'));
      const card = render(SAMPLE_REPLIES.tableTruncated, { maxBytes: 6000 });
      assert.ok(cardByteLength(card) <= 6000);
      const shown = (table(card).rows as Json[]).length - 1;
      assert.ok(shown >= 1 && shown < 20, `${shown} rows`);
      assert.match(allText(card), new RegExp(`Showing ${shown} of 20 rows`));
    });
  });

  describe('summary', () => {
    it('has tiles and a table by type and by status', () => {
      const card = render(SAMPLE_REPLIES.summary7d);
      const tiles = ofType(card, 'Column').map((c) => (c.items as Json[]).map((i) => i.text).join(' '));
      assert.deepEqual(tiles.slice(0, 5), [
        '552 Actions',
        '488 Succeeded',
        '39 Failed or timed out',
        '11 Cancelled',
        '14 Pending or in progress',
      ]);
      const tables = ofType(card, 'Table');
      assert.equal(tables.length, 2);
      assert.equal((tables[0]!.rows as Json[]).length, 1 + 7);
      assert.equal((tables[1]!.rows as Json[]).length, 1 + 6);
      assert.match(allText(card), /By type[\s\S]*By status/);
    });
  });

  describe('timeline', () => {
    /** The rows of a Table as cell texts (header row first). */
    function tableRows(t: Json): string[][] {
      return (t.rows as Json[]).map((r) => (r.cells as Json[]).map((c) => texts(c).join(' ')));
    }

    it('is a vertical bar chart with axis titles', () => {
      const card = render(SAMPLE_REPLIES.timeline7d);
      const [chart] = ofType(card, 'Chart.VerticalBar');
      assert.ok(chart);
      assert.equal(chart.xAxisTitle, 'Day (UTC)');
      assert.equal(chart.yAxisTitle, 'Actions');
      assert.deepEqual(
        (chart.data as Json[]).map((d) => d.x),
        ['23 Nov', '24 Nov', '25 Nov', '26 Nov', '27 Nov', '28 Nov', '29 Nov'],
      );
      assert.deepEqual(
        (chart.data as Json[]).map((d) => d.y),
        SAMPLE_REPLIES.timeline7d.days.map((d) => d.count),
      );
    });

    it('without charts: a table of the days, one row per week (Monday first), zero days subtle, with week totals', () => {
      const reply = SAMPLE_REPLIES.timeline30d;
      const [chart] = ofType(render(reply), 'Chart.VerticalBar');
      const fallback = chart!.fallback as Json;
      assert.equal(fallback.type, 'Container');
      assert.equal((fallback.items as Json[])[0]!.text, 'Actions per day (UTC)');
      const tables = ofType(fallback, 'Table');
      assert.equal(tables.length, 1);
      const [header, ...weeks] = tableRows(tables[0]!);
      assert.deepEqual(header, ['Week of', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun', 'Total']);
      // 2026-10-31 is a Saturday: the first week starts on Monday 26 Oct, blank before the range.
      assert.deepEqual(
        weeks.map((w) => w[0]),
        ['26 Oct', '2 Nov', '9 Nov', '16 Nov', '23 Nov'],
      );
      assert.deepEqual(weeks[0]!.slice(1, 6), ['', '', '', '', '']);
      const byDay = new Map<string, string>();
      weeks.forEach((w, i) =>
        w
          .slice(1, 8)
          .forEach((text, d) =>
            byDay.set(new Date(Date.UTC(2026, 9, 26 + i * 7 + d)).toISOString().slice(0, 10), text),
          ),
      );
      for (const d of reply.days) assert.equal(byDay.get(d.key), String(d.count), d.key);
      assert.equal(
        weeks.reduce((s, w) => s + Number(w[8]!.replace(/,/g, '')), 0),
        reply.total,
        'week totals add up',
      );
      const dayCells = ofType(tables[0], 'TableRow')
        .slice(1)
        .flatMap((r) => (r.cells as Json[]).slice(1, 8).map((c) => (c.items as Json[])[0]!));
      assert.ok(dayCells.length > 0);
      for (const cell of dayCells) assert.equal(cell.isSubtle, cell.text === '0', JSON.stringify(cell));
      assert.ok(cardByteLength(render(reply)) < 12_000);
    });

    it('sums long ranges into buckets and says so; without charts, the periods in two columns', () => {
      const reply = SAMPLE_REPLIES.timeline180d;
      const card = render(reply);
      const [chart] = ofType(card, 'Chart.VerticalBar');
      const data = chart!.data as Json[];
      assert.equal(data.length, Math.ceil(180 / 7));
      assert.equal(
        data.reduce((s, d) => s + (d.y as number), 0),
        reply.total,
      );
      assert.equal(chart!.title, 'Actions per 7 days (UTC)');
      assert.match(allText(card), /summed per 7 days/);
      const [header, ...rows] = tableRows(ofType(chart!.fallback, 'Table')[0]!);
      assert.deepEqual(header, ['Days (UTC)', 'Actions', '', 'Days (UTC)', 'Actions']);
      assert.equal(rows.length, 13);
      const periods = [...rows.map((r) => [r[0]!, r[1]!]), ...rows.map((r) => [r[3]!, r[4]!])].filter(
        ([label]) => label !== '',
      );
      assert.deepEqual(
        periods.map(([, n]) => Number(n)),
        data.map((d) => d.y),
        'left column first, then the right one, oldest first',
      );
      assert.deepEqual(periods[0], ['3 Jun – 9 Jun', String(data[0]!.y)]);
      assert.equal(periods.at(-1)![0], '25 Nov – 29 Nov');
    });

    it('lists days far apart one by one, not as years of empty weeks', () => {
      const days = [
        { key: '2020-01-01', count: 2 },
        { key: '2026-01-01', count: 3 },
      ];
      const reply: Reply = {
        kind: 'timeline',
        title: 'Actions per day',
        subtitle: 'sparse',
        days,
        total: 5,
        query: { kql: 'T' },
      };
      const [chart] = ofType(render(reply), 'Chart.VerticalBar');
      assert.deepEqual(tableRows(ofType(chart!.fallback, 'Table')[0]!).slice(1), [
        ['1 Jan 2020', '2', '', '1 Jan 2026', '3'],
      ]);
    });

    it('labels periods with years when the range spans years', () => {
      const [chart] = ofType(render(SAMPLE_REPLIES.timeline400d), 'Chart.VerticalBar');
      const labels = tableRows(ofType(chart!.fallback, 'Table')[0]!)
        .slice(1)
        .flatMap((r) => [r[0]!, r[3]!]);
      assert.ok(labels.includes('26 Oct – 1 Nov 2025'), labels.join(' | '));
      assert.ok(labels.includes('28 Dec 2025 – 3 Jan 2026'), labels.join(' | '));
    });

    it('shows no chart for an empty range', () => {
      const card = render(SAMPLE_REPLIES.timelineEmpty);
      assert.equal(ofType(card, 'Chart.VerticalBar').length, 0);
      assert.match(allText(card), /No days in this period/);
    });
  });

  describe('isolated devices', () => {
    it('shows device link, since when and how long, by whom, why, status and scope', () => {
      const card = render(SAMPLE_REPLIES.isolatedNow);
      const rows = rowContainers(card).map((r) => texts(r).join('\n'));
      assert.equal(rows.length, 3);
      assert.match(
        rows[0]!,
        /\*\*\[ws-042\.contoso\.com\]\(https:\/\/security\.microsoft\.com\/machines\/v2\/f46b9bb259ed4a7fb9981b73510e3cc7aa81ec1f\)\*\* · Isolated \(Full\)/,
      );
      assert.match(rows[0]!, /Since 2026-11-29 10:00 UTC · 2 h ago/);
      assert.match(rows[0]!, new RegExp(`By ${KNOWN_APP_NAME} · action`));
      assert.match(rows[0]!, /Automated containment: incident 8841/);
      assert.match(rows[0]!, /Succeeded/);
      // The confirmed isolation first, then the requested ones (Pending, InProgress), under their own heading.
      assert.match(
        rows[1]!,
        /Isolation requested \(Selective\), not yet confirmed[\s\S]*Pending[\s\S]*Since 2026-11-29 12:58 UTC · 1 min ago[\s\S]*By app e062d1f9/,
      );
      assert.match(
        rows[2]!,
        /Isolation requested \(Full\), not yet confirmed[\s\S]*InProgress[\s\S]*Since 2026-11-24 06:15 UTC · 5 d ago/,
      );
      const headings = ofType(card, 'TextBlock')
        .filter((t) => t.weight === 'Bolder')
        .map((t) => t.text);
      assert.ok(
        headings.includes('Isolated') && headings.includes('Isolation requested, not yet confirmed'),
        JSON.stringify(headings),
      );
      assert.ok(headings.indexOf('Isolated') < headings.indexOf('Isolation requested, not yet confirmed'));
    });

    it('a page with more after it: says how many are left and offers More with the next page command', () => {
      const card = render({ ...SAMPLE_REPLIES.isolatedNow, total: 31, offset: 0, moreCommand: 'isolated page 2' });
      assert.match(allText(card), /Showing 3 of 31 devices · 28 more devices: press More/);
      const more = ((card.actions ?? []) as Json[]).find((a) => a.title === 'More');
      assert.deepEqual(more?.data, { command: 'isolated page 2' });
      const last = render({ ...SAMPLE_REPLIES.isolatedNow, total: 28, offset: 25 });
      assert.ok(!((last.actions ?? []) as Json[]).some((a) => a.title === 'More'));
    });

    it('says when no device is isolated', () => {
      const card = render(SAMPLE_REPLIES.isolatedNone);
      const block = ofType(card, 'TextBlock').find(
        (t) => t.text === 'No device is isolated, and no isolation is waiting.',
      );
      assert.equal(block?.color, 'Good');
    });

    it('cuts 500 devices to fit and says "showing N of M"', () => {
      const card = render(SAMPLE_REPLIES.isolated500);
      const shown = rowContainers(card).length;
      assert.ok(shown > 10 && shown < 500, `${shown} rows`);
      assert.match(
        allText(card),
        new RegExp(
          `Showing ${shown} of 500 devices · ${500 - shown} more devices; ${500 - shown} of this page did not fit \\(export them all with the CLI's --format csv\\)`,
        ),
      );
    });
  });

  describe('action detail', () => {
    function facts(card: AdaptiveCard): Record<string, string> {
      return Object.fromEntries(
        (ofType(card, 'FactSet')[0]!.facts as Json[]).map((f) => [f.title as string, f.value as string]),
      );
    }

    it('lists every field, cancellation included, with the HRESULT in hex', () => {
      const card = render(SAMPLE_REPLIES.actionCancelled);
      const f = facts(card);
      assert.equal(f['Action id'], '5382f7ea-7557-4ab7-9782-000000000007');
      assert.equal(f.Type, 'Isolate');
      assert.equal(f.Scope, 'Selective');
      assert.equal(f.Status, 'Cancelled');
      assert.equal(f['Requested by'], 'Megan.Bowen@contoso.com');
      assert.equal(f['Request source'], 'Portal');
      assert.equal(f.Created, '2026-11-20 16:30:00 UTC (8 d ago)');
      assert.equal(f['Cancelled by'], `app ${UNKNOWN_APP_GUID} (not in the app name list)`);
      assert.equal(f['Cancellation comment'], 'Machine action was canceled by automation');
      assert.equal(f['Cancelled at'], '2026-11-21 07:25:33 UTC');
      assert.equal(f.Error, '0x80004004 (E_ABORT)');
      assert.equal(f['External id'], '—');
      const status = ofType(card, 'TextBlock').find((t) => t.text === 'Cancelled' && t.size === 'Large');
      assert.equal(status?.color, 'Warning');
    });

    it('shows the status history with times', () => {
      const card = render(SAMPLE_REPLIES.actionCancelled);
      const history = ofType(card, 'ColumnSet')
        .slice(1)
        .map((c) => texts(c).join(' '));
      assert.deepEqual(history, [
        '2026-11-20 16:30:00 UTC Pending',
        '2026-11-20 16:31:12 UTC InProgress',
        '2026-11-21 07:25:33 UTC Cancelled',
      ]);
    });

    it('shows a timeout HRESULT and omits cancellation fields of an action that was not cancelled', () => {
      const f = facts(render(SAMPLE_REPLIES.actionTimeOut));
      assert.equal(f.Error, '0x80190198 (HTTP_E_STATUS_REQUEST_TIMEOUT)');
      assert.ok(!('Cancelled by' in f));
    });

    it('names a known app with its GUID and links a device without name by machine id', () => {
      const card = render(SAMPLE_REPLIES.actionNoName);
      const f = facts(card);
      assert.equal(f['Requested by'], `${KNOWN_APP_NAME} (app ${KNOWN_APP_GUID})`);
      assert.equal(f.Device, '(no name yet)');
      assert.equal(f.Error, 'none');
      assert.match(
        allText(card),
        /on \[de693d7fbdabcdefabcdefcfc9cf40b5bf2da1d8\]\(https:\/\/security\.microsoft\.com\/machines\/v2\/de693d7fbdabcdefabcdefcfc9cf40b5bf2da1d8\)/,
      );
      assert.match(allText(card), /No status changes recorded yet/);
    });

    it('has a "not found" variant', () => {
      const card = render(SAMPLE_REPLIES.actionNotFound);
      assert.equal(ofType(card, 'FactSet').length, 0);
      assert.match(allText(card), /No machine action has this id/);
      assert.ok(byId(card, 'query'));
    });
  });

  describe('status', () => {
    it('highlights a problem in attention colour', () => {
      const card = render(SAMPLE_REPLIES.statusProblem);
      const problem = ofType(card, 'TextBlock').find((t) => (t.text as string).includes('Last ingest failed'));
      assert.equal(problem?.color, 'Attention');
      assert.equal((ofType(card, 'FactSet')[0]!.facts as Json[]).length, 7);
    });

    it('says all is well without a problem', () => {
      const card = render(SAMPLE_REPLIES.statusOk);
      assert.equal(ofType(card, 'TextBlock').find((t) => t.text === '✅ No problem found.')?.color, 'Good');
    });
  });

  describe('help', () => {
    it('emphasises the message and suggestion and offers to run it', () => {
      const card = render(SAMPLE_REPLIES.helpUnknown);
      const blocks = ofType(card, 'TextBlock');
      const message = blocks.find((t) => (t.text as string).startsWith('I did not understand'));
      assert.equal(message?.weight, 'Bolder');
      assert.equal(message?.text, 'I did not understand "isolatd \\[now\\](http://evil.example)"');
      const suggestion = blocks.find((t) => (t.text as string).startsWith('Did you mean'));
      assert.equal(suggestion?.text, 'Did you mean **isolated**?');
      const run = (card.actions ?? [])[0];
      assert.equal(run?.type, 'Action.Submit');
      assert.deepEqual(run?.data, { command: 'isolated' });
    });

    it('lists every command with usage and example', () => {
      const card = render(SAMPLE_REPLIES.helpAsked);
      const text = allText(card);
      for (const c of SAMPLE_REPLIES.helpAsked.commands) {
        assert.ok(text.includes(`**${c.name}** · ${c.description}`), c.name);
      }
      assert.ok(text.includes('actions \\[for device <name> | by <requestor>\\] \\[<period>\\]'));
      assert.ok(text.includes('Example: summary 7d'));
      const usage = ofType(card, 'TextBlock').filter((t) => t.fontType === 'Monospace');
      assert.equal(usage.length, SAMPLE_REPLIES.helpAsked.commands.length);
      assert.deepEqual(card.actions, []);
    });
  });

  describe('error', () => {
    it('is in attention colour', () => {
      const card = render(SAMPLE_REPLIES.error);
      assert.equal(card.body[0]?.color, 'Attention');
      const message = ofType(card, 'TextBlock').find((t) =>
        (t.text as string).startsWith('The store could not be read'),
      );
      assert.equal(message?.color, 'Attention');
      assert.match(String(message?.text), /run `defender-audit-bot doctor`/);
      assert.equal(card.body[1]?.text, 'The command could not be completed');
    });

    it('says what kind of error it is', () => {
      assert.equal(render(SAMPLE_REPLIES.errorUsage).body[1]?.text, 'Check the command; "help" lists them all');
      assert.equal(
        render(SAMPLE_REPLIES.errorLimited).body[1]?.text,
        'Too many requests right now; try again in a minute',
      );
      assert.equal(
        render({ kind: 'error', title: 'x', message: 'y' }).body[1]?.text,
        'The command could not be completed',
      );
    });
  });

  it('keeps every object of the card JSON-serialisable plain data', () => {
    for (const reply of Object.values(SAMPLE_REPLIES) as Reply[]) {
      const card = render(reply);
      assert.deepEqual(JSON.parse(JSON.stringify(card)), card);
      assert.ok(allObjects(card).every((o) => Object.getPrototypeOf(o) === Object.prototype));
    }
  });
});
