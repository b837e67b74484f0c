// Generated test images for the batch tests and benchmark: 28×28 grey PNGs
// (MNIST's size and format), written by a tiny PNG encoder so that nothing is
// committed. "normal" images are rings, "abnormal" ones crossed strokes, each
// with its own position, size, thickness and noise from a seeded generator,
// so scores spread out and the live ROC has something to show.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(td));
  return Buffer.concat([len, td, crc]);
}

// png encodes a w×h 8-bit grey image.
export function png(pixels, w, h) {
  const raw = Buffer.alloc((w + 1) * h);
  for (let y = 0; y < h; y++) pixels.copy(raw, y * (w + 1) + 1, y * w, (y + 1) * w);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 0; // 8-bit grey
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

// mulberry32: a small seeded generator.
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// digit draws image i of a class.
export function digit(i, abnormal) {
  const r = rng(i * 2 + (abnormal ? 1 : 0) + 1);
  const S = 28, px = Buffer.alloc(S * S);
  const cx = 10 + 8 * r(), cy = 10 + 8 * r(), rad = 5 + 4 * r(), th = 1.2 + 1.5 * r();
  const a = r() * Math.PI;
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      let d;
      if (!abnormal) d = Math.abs(Math.hypot(x - cx, y - cy) - rad);
      else {
        const u = (x - cx) * Math.cos(a) + (y - cy) * Math.sin(a), v = -(x - cx) * Math.sin(a) + (y - cy) * Math.cos(a);
        d = Math.min(Math.abs(u) + Math.max(0, Math.abs(v) - rad), Math.abs(v) + Math.max(0, Math.abs(u) - rad));
      }
      const ink = Math.max(0, Math.min(1, th - d + 0.5));
      px[y * S + x] = Math.max(0, Math.min(255, Math.round(255 * ink + 20 * (r() - 0.5))));
    }
  }
  return png(px, S, S);
}

// writeLabelled writes n images under dir/0.normal and dir/1.abnormal (about
// half each) unless they are there already, and returns their paths.
export function writeLabelled(dir, n) {
  const files = [];
  for (const sub of ["0.normal", "1.abnormal"]) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  for (let i = 0; i < n; i++) {
    const abnormal = i % 2 === 1;
    const f = path.join(dir, abnormal ? "1.abnormal" : "0.normal", `img-${String(i).padStart(5, "0")}.png`);
    if (!fs.existsSync(f)) fs.writeFileSync(f, digit(i, abnormal));
    files.push(f);
  }
  return files;
}
