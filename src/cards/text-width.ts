/**
 * How wide text is drawn, estimated without a browser: per-character advance widths of Arial
 * (Helvetica metrics; Liberation Sans, the pictures' font, has the same), in thousandths of an em.
 * Segoe UI, what Teams draws cards with, is no wider on average (narrower capitals, similar lower
 * case and digits), so widths estimated here are safe for Teams too. Used to give table columns
 * the room their words need (views-table.ts).
 */

/** Advance widths of the printable ASCII characters (space to `~`), regular weight. */
const REGULAR =
  '278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 556 556 556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 556 833 722 778 667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 556 500 556 556 278 556 556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 500 500 500 334 260 334 584';
/** The same, bold. */
const BOLD =
  '278 333 474 556 556 889 722 238 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 556 556 556 333 333 584 584 584 611 975 722 722 722 722 667 611 778 722 278 556 722 611 833 722 778 667 778 722 667 611 722 667 944 667 667 611 333 278 333 584 556 333 556 611 556 611 556 333 611 611 278 278 556 278 889 611 611 611 611 389 556 333 611 556 778 556 556 500 389 280 389 584';

const parse = (table: string): number[] => table.split(' ').map(Number);
const WIDTHS = { regular: parse(REGULAR), bold: parse(BOLD) };

/** Anything outside printable ASCII (accents, CJK, symbols): a full em, wider than most. */
const OTHER = 1000;
/** Characters outside the Basic Multilingual Plane (emoji): a little wider still. */
const ASTRAL = 1250;

/** Width of `text` on one line, in CSS px, at `fontSize` px. */
export function textWidth(text: string, fontSize: number, bold = false): number {
  const table = bold ? WIDTHS.bold : WIDTHS.regular;
  let units = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    units += code >= 0x20 && code <= 0x7e ? (table[code - 0x20] ?? OTHER) : code > 0xffff ? ASTRAL : OTHER;
  }
  return (units * fontSize) / 1000;
}
