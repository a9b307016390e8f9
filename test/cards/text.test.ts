import assert from 'node:assert/strict';
import { clip, escapeMarkdown, inert, markdownLink, sanitize } from '../../src/cards/text.js';

describe('cards/text', () => {
  describe('escapeMarkdown', () => {
    it('makes a Markdown link inert', () => {
      assert.equal(escapeMarkdown('[click](http://evil.example)'), '\\[click\\](http://evil.example)');
      assert.equal(escapeMarkdown('![img](http://evil.example/x.png)'), '!\\[img\\](http://evil.example/x.png)');
    });

    it('escapes emphasis and backslashes', () => {
      assert.equal(escapeMarkdown('**bold** *it*'), '\\*\\*bold\\*\\* \\*it\\*');
      assert.equal(escapeMarkdown('_it_ and __b__'), '\\_it\\_ and \\_\\_b\\_\\_');
      assert.equal(escapeMarkdown('C:\\temp\\x'), 'C:\\\\temp\\\\x');
    });

    it('leaves intraword underscores alone (KQL column names)', () => {
      assert.equal(
        escapeMarkdown('MDEMachineActions_CL column_ifexists(requestor_g)'),
        'MDEMachineActions_CL column_ifexists(requestor_g)',
      );
    });

    it('escapes block syntax at the start of a line only', () => {
      assert.equal(
        escapeMarkdown('# h\n> q\n- item\n+ item\n12. item\n3) item\n==='),
        '\\# h\n\\> q\n\\- item\n\\+ item\n12\\. item\n3\\) item\n\\===',
      );
      assert.equal(escapeMarkdown('a - b # c > d 1. e'), 'a - b # c > d 1. e');
      assert.equal(escapeMarkdown('-5 min'), '-5 min');
    });

    it('breaks host date functions {{DATE(…)}}', () => {
      assert.equal(escapeMarkdown('{{DATE(2026-11-29T10:00:00Z, SHORT)}}'), '{\\{DATE(2026-11-29T10:00:00Z, SHORT)}}');
      assert.equal(escapeMarkdown('{{{x'), '{\\{\\{x');
      assert.equal(escapeMarkdown('{ a }'), '{ a }');
    });

    it('keeps KQL operators readable', () => {
      assert.equal(
        escapeMarkdown('| where ComputerDnsName =~ "ws-042" and X >= ago(7d)'),
        '| where ComputerDnsName =~ "ws-042" and X >= ago(7d)',
      );
    });

    it('removes leading whitespace (indented code blocks)', () => {
      assert.equal(escapeMarkdown('    code\n\tx'), 'code\nx');
    });
  });

  describe('sanitize', () => {
    it('drops control and bidi override characters and normalises line ends', () => {
      assert.equal(sanitize('a\u0000b\u0007c\r\nd\re\u2028f'), 'abc\nd\ne\nf');
      assert.equal(sanitize('invoice\u202Egnp.exe\u202C'), 'invoicegnp.exe');
      assert.equal(sanitize('x\u2066y\u2069\uFEFF'), 'xy');
      assert.equal(sanitize('tab\there'), 'tab here');
    });

    it('keeps emoji and accents', () => {
      assert.equal(sanitize('Müller 🚨 👩‍💻'), 'Müller 🚨 👩‍💻');
    });
  });

  describe('clip', () => {
    it('returns short text as it is', () => {
      assert.equal(clip('hello', 5), 'hello');
    });

    it('cuts at a nearby word boundary and adds an ellipsis', () => {
      assert.equal(clip('the quick brown fox jumps', 18), 'the quick brown…');
      assert.equal(clip('abcdefghijklmnopqrstuvwxyz', 10), 'abcdefghi…');
    });

    it('never splits an emoji or a ZWJ sequence', () => {
      const text = `${'a'.repeat(8)}👩‍💻👩‍💻`;
      for (let max = 8; max <= 14; max++) {
        const out = clip(text, max);
        assert.ok(out.length <= max, `${out} within ${max}`);
        const body = out.slice(0, -1);
        assert.ok(/^a{0,8}(👩‍💻)*$/u.test(body), `${JSON.stringify(out)} keeps whole emoji (max ${max})`);
      }
    });

    it('handles very long text quickly', () => {
      const long = 'x'.repeat(1_000_000);
      const start = performance.now();
      assert.equal(clip(long, 100).length, 100);
      assert.ok(performance.now() - start < 200);
    });
  });

  describe('inert', () => {
    it('collapses whitespace in one-line mode', () => {
      assert.equal(inert('  a\n\n b\t c  ', { maxChars: 100, newlines: 'space' }), 'a b c');
    });

    it('keeps lines as Markdown paragraphs in multi-line mode', () => {
      assert.equal(inert('line 1\r\n\r\n\r\n- line 2\n', { maxChars: 100, newlines: 'keep' }), 'line 1\n\n\\- line 2');
    });

    it('clips before escaping, so an escape is never cut in half', () => {
      const out = inert('[[[[[[[[[[', { maxChars: 5, newlines: 'space' });
      assert.equal(out, '\\[\\[\\[\\[…');
    });
  });

  describe('markdownLink', () => {
    it('escapes the label and keeps the URL', () => {
      assert.equal(
        markdownLink('ws-[1](x)', 'https://security.microsoft.com/machines/v2/ab', 50),
        '[ws-\\[1\\](x)](https://security.microsoft.com/machines/v2/ab)',
      );
    });
  });
});
