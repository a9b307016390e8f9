import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderManifest, validateManifest } from '../../scripts/manifest.js';
import { ROOT } from '../support/child.js';

const vars = {
  APP_VERSION: '1.2.3',
  TEAMS_APP_ID: '6b9c1c4e-3f0a-4d2e-9a43-0b3c5e2f7a10',
  BOT_ID: '2c1f0d3e-5b6a-4c7d-8e9f-0a1b2c3d4e5f',
  APP_NAME_SUFFIX: ' (dev)',
  APP_WEBSITE_URL: 'https://example.com',
  APP_PRIVACY_URL: 'https://example.com/privacy',
  APP_TERMS_URL: 'https://example.com/terms',
};
const template = readFileSync(join(ROOT, 'appPackage', 'manifest.json'), 'utf8');

function pngSize(file: string): { width: number; height: number; colorType: number } {
  const b = readFileSync(join(ROOT, 'appPackage', file));
  assert.equal(b.subarray(1, 4).toString('ascii'), 'PNG');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), colorType: b[25] as number };
}

describe('appPackage', () => {
  it('the manifest validates against the official Teams schema after placeholder substitution', async () => {
    const r = renderManifest(template, vars);
    assert.ok(r.ok);
    assert.deepEqual(await validateManifest(r.manifest), []);
    assert.equal(r.manifest.manifestVersion, '1.19');
    assert.equal(r.manifest.name.short, 'Defender Audit (dev)');
    assert.deepEqual(r.manifest.bots?.[0]?.scopes, ['team', 'personal', 'groupChat']);
  });

  it('the schema check catches real mistakes', async () => {
    const r = renderManifest(template.replace('"groupChat"]', '"groupchat"]'), vars);
    assert.ok(r.ok);
    const errors = await validateManifest(r.manifest);
    assert.ok(errors.length > 0, 'groupchat (lower case) is rejected');
    const bad = renderManifest(template, { ...vars, TEAMS_APP_ID: 'not-a-guid' });
    assert.ok(bad.ok && (await validateManifest(bad.manifest)).length > 0);
  });

  it('names every missing variable', () => {
    const r = renderManifest(template, { APP_VERSION: '1.0.0' });
    assert.ok(!r.ok);
    assert.deepEqual(
      new Set(r.missing),
      new Set(['TEAMS_APP_ID', 'BOT_ID', 'APP_NAME_SUFFIX', 'APP_WEBSITE_URL', 'APP_PRIVACY_URL', 'APP_TERMS_URL']),
    );
  });

  it('a value with quotes cannot break the JSON', () => {
    const r = renderManifest(template, { ...vars, APP_NAME_SUFFIX: '" evil' });
    assert.ok(r.ok && r.manifest.name.short.endsWith('" evil'));
  });

  it('has real icons: color 192×192 and outline 32×32 with transparency', () => {
    assert.deepEqual(pngSize('color.png'), { width: 192, height: 192, colorType: 6 });
    assert.deepEqual(pngSize('outline.png'), { width: 32, height: 32, colorType: 6 });
  });
});
