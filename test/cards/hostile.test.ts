import assert from 'node:assert/strict';
import {
  loadCardTemplates,
  renderAlertCard,
  renderDigestCard,
  renderReplyCard,
  renderStormCard,
  renderSubscriptionsCard,
  type AdaptiveCard,
  type CardContext,
  type CardTemplates,
} from '../../src/cards/index.js';
import type { Reply } from '../../src/core/replies.js';
import {
  ALERT_SAMPLES,
  DIGEST_SAMPLES,
  HOSTILE_COMMENT,
  LONG_COMMENT,
  makeActionRow,
  SAMPLE_NOW,
  SAMPLE_REPLIES,
  SAMPLE_REQUESTOR_NAMES,
  STORM_SAMPLES,
  SUBSCRIPTION_SAMPLES,
} from './samples.js';
import { assertValidCard, ofType, texts } from './validate.js';

/** Markdown links whose `]` is not escaped, with their URLs. */
function liveLinks(text: string): string[] {
  return [...text.matchAll(/(?<!\\)\]\(([^)\s]*)\)/g)].map((m) => m[1] ?? '');
}

describe('cards/hostile text', () => {
  let templates: CardTemplates;
  before(async () => {
    templates = await loadCardTemplates();
  });
  function render(reply: Reply): AdaptiveCard {
    const card = renderReplyCard(reply, { templates, now: SAMPLE_NOW, requestorNames: SAMPLE_REQUESTOR_NAMES });
    assertValidCard(card);
    return card;
  }
  function commentBlock(card: AdaptiveCard, start: string): string {
    const block = ofType(card, 'TextBlock').find((t) => (t.text as string).startsWith(start));
    assert.ok(block, `a TextBlock starting with ${start}`);
    return block.text as string;
  }

  it('a comment cannot create a link, emphasis, a list or a heading', () => {
    const card = render(SAMPLE_REPLIES.actionsHostile);
    const comment = commentBlock(card, 'Isolated per ticket');
    assert.ok(comment.includes('\\[click here\\](http://evil.example/phish)'));
    assert.ok(comment.includes('\\*\\*not bold\\*\\*'));
    assert.ok(comment.includes(' - not a list # not a heading '), 'newlines collapse in a list row');
    assert.ok(!comment.includes('\n'));
  });

  it('every live link on every hostile card points to the Defender portal', () => {
    for (const name of [
      'actionsHostile',
      'actionHostile',
      'actionLongComment',
      'helpUnknown',
      'tableHostile',
    ] as const) {
      const card = render(SAMPLE_REPLIES[name]);
      for (const text of texts(card)) {
        for (const url of liveLinks(text))
          assert.match(url, /^https:\/\/security\.microsoft\.com\/machines\/v2\/[0-9a-f]+$/, `${name}: ${text}`);
      }
    }
  });

  it('template syntax in data is shown as text, never expanded', () => {
    const card = render(SAMPLE_REPLIES.actionsHostile);
    const comment = commentBlock(card, 'Isolated per ticket');
    assert.ok(comment.includes('${title} ${$root.title}'), comment);
    assert.ok(comment.includes('{\\{DATE(2026-11-29T10:00:00Z, SHORT)}}'), 'host date function broken');
    assert.equal(card.body[0]?.text, 'Actions for device "ws-\\[x\\](http://evil.example)" ${title}');
    assert.equal(card.body[1]?.text, 'last 30 days · {\\{DATE(2026-11-29T10:00:00Z)}}');
    const status = ofType(card, 'TextBlock').find((t) => t.text === 'Weird${status}');
    assert.ok(status, 'an unknown status with ${…} is shown as it is');
    assert.equal(status.color, 'Default');
  });

  it('a value that is exactly a template expression stays that text', () => {
    const reply: Reply = {
      ...SAMPLE_REPLIES.actionsForDevice,
      rows: [makeActionRow({ requestorComment: '${title}', computerDnsName: '${subtitle}' })],
    };
    const card = render(reply);
    assert.ok(texts(card).includes('${title}'));
    assert.ok(texts(card).some((t) => t.includes('[${subtitle}](https://security.microsoft.com/machines/v2/')));
  });

  it('a More command with hostile text is submitted exactly as given', () => {
    const card = render(SAMPLE_REPLIES.actionsHostile);
    const more = (card.actions ?? []).find((a) => a.type === 'Action.Submit');
    assert.deepEqual(more?.data, { command: 'actions "${x}" [y](http://evil.example)' });
  });

  it('removes bidi overrides and control characters, keeps emoji', () => {
    const card = render(SAMPLE_REPLIES.actionHostile);
    for (const text of texts(card)) {
      assert.ok(!/[\u202A-\u202E\u2066-\u2069]/.test(text), 'no bidi override');
      assert.ok(
        [...text].every((c) => c === '\n' || c.charCodeAt(0) >= 0x20),
        'no control character',
      );
    }
    const comment = ofType(card, 'FactSet')[0]!.facts as { title: string; value: string }[];
    const value = comment.find((f) => f.title === 'Comment')!.value;
    assert.ok(value.includes('🚨🔒👩‍💻'));
    assert.ok(value.includes(' gnp.exe '), 'the text around removed bidi characters stays');
  });

  it('keeps comment lines as paragraphs on the detail card, escaped line by line', () => {
    const card = render(SAMPLE_REPLIES.actionHostile);
    const value = (ofType(card, 'FactSet')[0]!.facts as { title: string; value: string }[]).find(
      (f) => f.title === 'Comment',
    )!.value;
    assert.ok(value.includes('\n\n\\- not a list\n\n\\# not a heading\n\n'), value);
  });

  it('quotes survive as text', () => {
    const card = render(SAMPLE_REPLIES.actionsHostile);
    assert.ok(commentBlock(card, 'Isolated per ticket').includes('"INC-4711"'));
    assert.ok(JSON.stringify(render(SAMPLE_REPLIES.actionHostile)).includes("'single'"));
  });

  it('5 KB comments are shortened with an ellipsis: short in lists, longer on the detail card', () => {
    assert.ok(LONG_COMMENT.length > 5000);
    const list = render(SAMPLE_REPLIES.actionsHostile);
    const inList = commentBlock(list, 'Contained after lateral movement');
    assert.ok(inList.length <= 220 && inList.endsWith('…'), `${inList.length} characters`);
    const detail = render(SAMPLE_REPLIES.actionLongComment);
    const inDetail = (ofType(detail, 'FactSet')[0]!.facts as { title: string; value: string }[]).find(
      (f) => f.title === 'Comment',
    )!.value;
    assert.ok(
      inDetail.length > 1000 && inDetail.length <= 1600 && inDetail.endsWith('…'),
      `${inDetail.length} characters`,
    );
  });

  it('a blank comment shows no comment line', () => {
    const card = render(SAMPLE_REPLIES.actionsHostile);
    const rows = ofType(card, 'Container').filter((c) => c.separator === true);
    const live = rows.find((r) => texts(r).some((t) => t.startsWith('**LiveResponse**')));
    assert.ok(live);
    assert.equal(texts(live).length, 3, 'heading, status and meta only');
  });

  it('hostile help text and suggestion are escaped; the Run button carries the raw suggestion', () => {
    const reply: Reply = { ...SAMPLE_REPLIES.helpUnknown, suggestion: 'actions [x](http://evil.example) ${title}' };
    const card = render(reply);
    assert.ok(texts(card).includes('Did you mean **actions \\[x\\](http://evil.example) ${title}**?'));
    const run = card.actions?.[0];
    assert.equal(run?.title, 'Run: actions [x](http://evil.example)…', 'button titles are plain text, clipped');
    assert.deepEqual(run?.data, { command: 'actions [x](http://evil.example) ${title}' });
  });

  it('ad hoc KQL cells and column names stay inert text, one line each, clipped', () => {
    const card = render(SAMPLE_REPLIES.tableHostile);
    const [table] = ofType(card, 'Table');
    assert.ok(table);
    const rows = (table.rows as { cells: { items: { text: string }[] }[] }[]).map((r) =>
      r.cells.map((c) => c.items[0]!.text),
    );
    assert.deepEqual(rows[0], ['\\[col\\](http://evil.example)', '${title}', 'Long']);
    const [hostile, subtitle, long] = rows[1]!;
    assert.ok(
      hostile!.startsWith(
        'Isolated per ticket "INC-4711" \\[click here\\](http://evil.example/phish) ${title} ${$root.title} {\\{DATE(',
      ),
      hostile,
    );
    assert.ok(
      hostile!.length <= 130 && hostile!.endsWith('…') && !hostile!.includes('\n'),
      `${hostile!.length} characters`,
    );
    assert.equal(subtitle, '${subtitle}');
    assert.ok(
      long!.startsWith('Contained after lateral movement') && long!.length <= 121 && long!.endsWith('…'),
      `${long!.length} characters`,
    );
    assert.deepEqual(rows[2], ['\\*\\*bold\\*\\* \\_it\\_', '{\\{DATE(2026-11-29T10:00:00Z, SHORT)}}', '\\# heading']);
    for (const text of texts(card)) {
      assert.ok(!/[\u202A-\u202E\u2066-\u2069]/.test(text), 'no bidi override');
      assert.ok(
        [...text].every((c) => c === '\n' || c.charCodeAt(0) >= 0x20),
        'no control character',
      );
    }
    assert.match(texts(card).join('\n'), /Long values end with "…"/);
  });

  it('the hostile comment sample contains what it claims to', () => {
    for (const part of ['[click here](http://', '${title}', '{{DATE(', '\n', '\u202E', '\u0007', '🚨', '"'])
      assert.ok(HOSTILE_COMMENT.includes(part), part);
  });

  describe('alert, storm, digest and subscriptions cards', () => {
    function ctx(): CardContext {
      return { templates, now: SAMPLE_NOW, requestorNames: SAMPLE_REQUESTOR_NAMES, timeZone: 'Europe/Amsterdam' };
    }
    const hostileCards: [string, () => AdaptiveCard][] = [
      ['alert', () => renderAlertCard(ALERT_SAMPLES.hostile, ctx())],
      ['compact alert', () => renderAlertCard({ ...ALERT_SAMPLES.hostile, compact: true }, ctx())],
      ['storm', () => renderStormCard(STORM_SAMPLES.hostile, ctx())],
      ['digest', () => renderDigestCard(DIGEST_SAMPLES.hostile, ctx())],
      ['subscriptions', () => renderSubscriptionsCard(SUBSCRIPTION_SAMPLES.hostile, ctx())],
    ];

    for (const [name, render] of hostileCards) {
      it(`${name}: valid, every live link points to the Defender portal, no bidi or control characters, no live host function`, () => {
        const card = render();
        assertValidCard(card);
        for (const text of texts(card)) {
          for (const url of liveLinks(text))
            assert.match(url, /^https:\/\/security\.microsoft\.com\/machines\/v2\/[0-9a-f]+$/, `${name}: ${text}`);
          assert.ok(!/[\u202A-\u202E\u2066-\u2069]/.test(text), 'no bidi override');
          assert.ok(
            [...text].every((c) => c === '\n' || c.charCodeAt(0) >= 0x20),
            'no control character',
          );
          assert.ok(!text.includes('{{'), `no {{ in ${text}`);
        }
        for (const chart of ofType(card, 'Chart.Donut')) {
          for (const d of chart.data as { legend: string }[])
            assert.ok(!d.legend.includes('{{') && !/(?<!\\)\*\*/.test(d.legend), d.legend);
        }
      });
    }

    it('alert: comment, cancellation comment, requestor and flag text are escaped; template syntax stays text', () => {
      const card = renderAlertCard(ALERT_SAMPLES.hostile, ctx());
      const facts = Object.fromEntries(
        ofType(card, 'FactSet').flatMap((s) =>
          (s.facts as { title: string; value: string }[]).map((f) => [f.title, f.value]),
        ),
      );
      for (const key of ['Comment', 'Cancellation comment']) {
        assert.ok(facts[key]!.includes('\\[click here\\](http://evil.example/phish)'), key);
        assert.ok(facts[key]!.includes('${title} ${$root.title}'), key);
        assert.ok(facts[key]!.includes('\n\n\\- not a list\n\n\\# not a heading\n\n'), key);
      }
      assert.equal(facts['Requested by'], '"Mallory" <mallory@contoso.com> \\[x\\](http://evil.example)');
      assert.equal(facts['Cancelled by'], '\\[boss\\](http://evil.example)');
      assert.equal(facts['Request source'], '${subtitle}');
      assert.equal(facts['External id'], '{\\{DATE(2026-11-29T10:00:00Z, SHORT)}}');
      assert.equal(card.body[0]?.text, 'Isolate (Full) on ws-\\[evil\\](http://evil.example)-${title}');
      assert.ok(
        texts(card).includes('⚠️ Requested outside business hours (22:14 \\[x\\](http://evil.example) ${timeZone})'),
      );
    });

    it('alert and storm buttons submit their commands exactly as given', () => {
      const alert = renderAlertCard(ALERT_SAMPLES.hostile, ctx());
      assert.deepEqual(alert.actions?.find((a) => a.type === 'Action.Submit')?.data, {
        command: 'actions for device "ws-[evil](http://evil.example)-${title}"',
      });
      assert.equal(alert.actions?.find((a) => a.type === 'Action.Submit')?.title, 'All actions for this device');
      const storm = renderStormCard(STORM_SAMPLES.hostile, ctx());
      assert.deepEqual(storm.actions?.find((a) => a.type === 'Action.Submit')?.data, {
        command: 'actions "${x}" [y](http://evil.example)',
      });
    });

    it('digest and subscriptions: names and reasons are escaped', () => {
      const digest = texts(renderDigestCard(DIGEST_SAMPLES.hostile, ctx()));
      assert.ok(digest.includes('\\[x\\](http://evil.example) ${title}'), 'type');
      assert.ok(digest.includes('"Mallory" <mallory@contoso.com> \\[x\\](http://evil.example)'), 'requestor');
      assert.ok(digest.includes('ws-\\[evil\\](http://evil.example)-${title}'), 'device');
      const subs = texts(renderSubscriptionsCard(SUBSCRIPTION_SAMPLES.hostile, ctx()));
      assert.ok(subs.includes('**\\[x\\](http://evil.example) ${title} \\*\\*bold\\*\\***'), 'name');
      assert.ok(
        subs.includes('Posting stopped: {\\{DATE(2026-11-29T10:00:00Z, SHORT)}} \\[y\\](http://evil.example)'),
        'reason',
      );
    });
  });
});
