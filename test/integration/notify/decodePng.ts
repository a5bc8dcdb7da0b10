// Decodes a PNG (with @napi-rs/canvas) so tests check its pixels, not only its bytes.
import { createCanvas, loadImage } from '@napi-rs/canvas';

export interface DecodedPng {
  readonly width: number;
  readonly height: number;
  /** RGBA of one pixel. */
  pixel(x: number, y: number): number[];
}

export async function decodePng(png: Uint8Array): Promise<DecodedPng> {
  const image = await loadImage(Buffer.from(png));
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  const { data } = ctx.getImageData(0, 0, image.width, image.height);
  return {
    width: image.width,
    height: image.height,
    pixel: (x, y) => Array.from(data.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 4)),
  };
}

/** Pixels in the box [x0, x1) x [y0, y1) darker than the white background (text, lines). */
export function inkedPixels(img: DecodedPng, x0: number, y0: number, x1: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++)
      if (
        img
          .pixel(x, y)
          .slice(0, 3)
          .some((c) => c < 200)
      )
        n++;
  }
  return n;
}
