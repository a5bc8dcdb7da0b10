// The local chart renderer produces a valid PNG: signature, IHDR, CRCs, an IDAT that inflates to the raster.
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  crc32,
  encodePng,
  PNG_SIGNATURE,
  renderMetricChartPng,
} from '../../../lambdas/adapters/local/chart/index.ts';
import { rolledBackNotification } from '../../integration/notify/fixtures.ts';

function chartOf(n = rolledBackNotification()) {
  if (!n.chart) throw new Error('fixture has a chart');
  return { chart: n.chart, window: n.window };
}

function chunks(png: Buffer): Array<{ type: string; data: Buffer; crcOk: boolean }> {
  const out = [];
  let o = 8;
  while (o < png.length) {
    const length = png.readUInt32BE(o);
    const type = png.toString('ascii', o + 4, o + 8);
    const data = png.subarray(o + 8, o + 8 + length);
    const crcOk = png.readUInt32BE(o + 8 + length) === crc32(png.subarray(o + 4, o + 8 + length));
    out.push({ type, data, crcOk });
    o += 12 + length;
  }
  return out;
}

describe('PNG chart', () => {
  it('computes the standard CRC-32 check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('renders a valid PNG of the requested size', () => {
    // Prepare
    const input = chartOf();
    // Act
    const png = renderMetricChartPng({ ...input, width: 400, height: 200 });
    // Assess
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const list = chunks(png);
    expect(list.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(list.every((c) => c.crcOk)).toBe(true);
    const ihdr = list[0]?.data as Buffer;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]]).toEqual([400, 200, 8, 2]);
    const raw = inflateSync(list[1]?.data as Buffer);
    expect(raw.length).toBe((400 * 3 + 1) * 200);
  });

  it('draws the window shaded, the threshold and the series', () => {
    const png = renderMetricChartPng({ ...chartOf(), width: 400, height: 200 });
    const raw = inflateSync(chunks(png)[1]?.data as Buffer);
    const colours = new Set<string>();
    for (let y = 0; y < 200; y++) {
      for (let x = 0; x < 400; x++) {
        const i = y * 1201 + 1 + x * 3;
        colours.add(`${raw[i]},${raw[i + 1]},${raw[i + 2]}`);
      }
    }
    expect(colours).toContain('255,236,200'); // window
    expect(colours).toContain('230,120,0'); // threshold
    expect(colours).toContain('214,39,40'); // canary
    expect(colours).toContain('31,119,180'); // baseline
  });

  it('encodes a raster pixel for pixel', () => {
    const pixels = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]);
    const png = encodePng({ width: 2, height: 2, pixels });
    const raw = inflateSync(chunks(png)[1]?.data as Buffer);
    expect([...raw]).toEqual([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 9, 9, 9]);
  });
});
