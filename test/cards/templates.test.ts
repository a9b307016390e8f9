import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../src/core/errors.js';
import {
  CARD_TEMPLATE_FILES,
  compileCardTemplates,
  defaultCardsDir,
  loadCardTemplates,
  type CardKind,
} from '../../src/cards/index.js';

function readSources(dir: string): Record<CardKind, unknown> {
  return Object.fromEntries(
    Object.entries(CARD_TEMPLATE_FILES).map(([kind, file]) => [
      kind,
      JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown,
    ]),
  ) as Record<CardKind, unknown>;
}

describe('cards/templates', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dab-cards-'));
    for (const file of Object.values(CARD_TEMPLATE_FILES))
      writeFileSync(join(dir, file), readFileSync(join(defaultCardsDir(), file)));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the cards folder holds exactly one template per card kind', () => {
    const files = readdirSync(defaultCardsDir())
      .filter((f) => f.endsWith('.json'))
      .sort();
    assert.deepEqual(files, Object.values(CARD_TEMPLATE_FILES).sort());
  });

  it('every template is an Adaptive Card 1.5 for Teams with the schema, full width and a title', () => {
    for (const [kind, source] of Object.entries(readSources(defaultCardsDir()))) {
      const card = source as Record<string, unknown>;
      assert.equal(card.$schema, 'http://adaptivecards.io/schemas/adaptive-card.json', kind);
      assert.equal(card.type, 'AdaptiveCard', kind);
      assert.equal(card.version, '1.5', kind);
      assert.deepEqual(card.msteams, { width: 'Full' }, kind);
      const [title, subtitle] = card.body as Record<string, unknown>[];
      assert.equal(title?.text, '${title}', kind);
      assert.equal(subtitle?.text, '${subtitle}', kind);
    }
  });

  it('loads from a folder and freezes the sources', async () => {
    const templates = await loadCardTemplates(dir);
    assert.deepEqual(Object.keys(templates).sort(), Object.keys(CARD_TEMPLATE_FILES).sort());
    assert.equal(templates.error.kind, 'error');
    assert.ok(Object.isFrozen(templates.error.source));
    assert.ok(Object.isFrozen((templates.error.source as { body: unknown[] }).body[0]));
  });

  it('expands with $root data, leaving the source untouched', async () => {
    const templates = await loadCardTemplates(dir);
    const before = JSON.stringify(templates.error.source);
    const card = templates.error.expand({ title: 'T', subtitle: 'S', note: '', hasNote: false, message: 'M' }) as {
      body: { text: string }[];
    };
    assert.deepEqual(
      card.body.map((b) => b.text),
      ['T', 'S', undefined],
    );
    assert.equal(JSON.stringify(templates.error.source), before);
  });

  it('names a missing template file and how to fix it', async () => {
    rmSync(join(dir, 'timeline.json'));
    await assert.rejects(loadCardTemplates(dir), (e: unknown) => {
      assert.ok(e instanceof AppError);
      assert.match(e.message, /timeline\.json for "timeline" replies is unusable: cannot read the file/);
      assert.match(e.fix ?? '', /Restore timeline\.json/);
      return true;
    });
  });

  it('loads the alert and digest templates in the same call, and names them in errors', async () => {
    const templates = await loadCardTemplates(dir);
    for (const kind of ['alert', 'alertCompact', 'storm', 'backfill', 'digest', 'subscriptions'] as const)
      assert.equal(templates[kind].kind, kind);
    rmSync(join(dir, 'alert-compact.json'));
    await assert.rejects(
      loadCardTemplates(dir),
      /alert-compact\.json for "alertCompact" cards is unusable: cannot read the file/,
    );
  });

  it('rejects invalid JSON', async () => {
    writeFileSync(join(dir, 'help.json'), '{ "type": "AdaptiveCard", ');
    await assert.rejects(loadCardTemplates(dir), /help\.json for "help" replies is unusable: invalid JSON/);
  });

  it('rejects a template that is not an Adaptive Card 1.5', () => {
    const sources = readSources(dir);
    assert.throws(
      () => compileCardTemplates({ ...sources, status: { ...(sources.status as object), version: '1.6' } }),
      /status\.json for "status" replies is unusable: "version" is "1\.6", Teams needs "1\.5"/,
    );
    assert.throws(() => compileCardTemplates({ ...sources, action: [] }), /action\.json .* not a JSON object/);
    assert.throws(
      () => compileCardTemplates({ ...sources, counts: { type: 'AdaptiveCard', version: '1.5' } }),
      /"body" is not an array/,
    );
  });
});
