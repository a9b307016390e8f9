/**
 * Draws the Teams app icons (appPackage/color.png 192×192, appPackage/outline.png 32×32) as PNG
 * files: a shield with a check mark. Run with `npx tsx scripts/make-icons.ts`; the output is
 * committed, so this only needs to run again when the design changes.
 */
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

type Rgba = [number, number, number, number];

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

function png(size: number, pixel: (x: number, y: number) => Rgba): Buffer {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      // 4×4 supersampling for smooth edges.
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < 4; sy++) {
        for (let sx = 0; sx < 4; sx++) {
          const p = pixel((x + (sx + 0.5) / 4) / size, (y + (sy + 0.5) / 4) / size);
          for (let i = 0; i < 4; i++) acc[i]! += (p[i] as number) / 16;
        }
      }
      raw.set(
        acc.map((v) => Math.round(v)),
        y * (size * 4 + 1) + 1 + x * 4,
      );
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Inside a shield: flat top, straight sides, then a curve to a point at the bottom (unit square). */
function inShield(x: number, y: number, inset: number): boolean {
  const top = 0.14 + inset;
  const bottom = 0.9 - inset;
  const half = 0.34 - inset;
  if (y < top || y > bottom) return false;
  const dx = Math.abs(x - 0.5);
  if (y < 0.5) return dx <= half;
  const t = (y - 0.5) / (bottom - 0.5);
  return dx <= half * Math.sqrt(Math.max(0, 1 - t * t));
}

/** Near the check mark polyline (0.36,0.50) → (0.46,0.62) → (0.66,0.38). */
function onCheck(x: number, y: number, width: number): boolean {
  const seg = (ax: number, ay: number, bx: number, by: number): number => {
    const t = Math.max(
      0,
      Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)),
    );
    return Math.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay)));
  };
  return Math.min(seg(0.36, 0.5, 0.46, 0.62), seg(0.46, 0.62, 0.66, 0.38)) <= width;
}

const blue: Rgba = [15, 108, 189, 255];
const white: Rgba = [255, 255, 255, 255];
const clear: Rgba = [0, 0, 0, 0];

const color = png(192, (x, y) =>
  onCheck(x, y, 0.045) && inShield(x, y, 0) ? white : inShield(x, y, 0) ? blue : [255, 255, 255, 255],
);
// Outline icon: white on transparent, per Teams guidelines.
const outline = png(32, (x, y) =>
  (inShield(x, y, 0) && !inShield(x, y, 0.07)) || (onCheck(x, y, 0.05) && inShield(x, y, 0)) ? white : clear,
);
writeFileSync('appPackage/color.png', color);
writeFileSync('appPackage/outline.png', outline);
process.stdout.write(
  `wrote appPackage/color.png (${color.length} bytes) and appPackage/outline.png (${outline.length} bytes)\n`,
);
