import { html, svg, type TemplateResult } from 'lit';
import { clock } from '../format.js';
import type { Throughput } from '../types.js';

const WIDTH = 720;
const HEIGHT = 200;
const PAD = { left: 44, right: 8, top: 8, bottom: 24 };

/**
 * Throughput over time as plain SVG (a stacked bar per bucket: registered, failed): a few dozen bars
 * need no chart library. The numbers are also in the accessible label.
 */
export function throughputChart(t: Throughput, from: string, to: string): TemplateResult {
  const start = Date.parse(from);
  const width = t.bucketSeconds * 1000;
  const slots = Math.max(1, Math.ceil((Date.parse(to) - start) / width));
  const max = Math.max(1, ...t.buckets.map((b) => b.registered + b.failed));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const barW = plotW / slots;
  const y = (n: number) => PAD.top + plotH - (n / max) * plotH;
  const total = t.buckets.reduce((sum, b) => sum + b.registered + b.failed, 0);
  const peak = t.buckets.reduce((best, b) => Math.max(best, b.registered + b.failed), 0);
  const label = `Devices ended per ${t.bucketSeconds} s: ${total} in ${t.buckets.length} buckets, peak ${peak}`;
  const bars = t.buckets.map((b) => {
    const x = PAD.left + Math.floor((Date.parse(b.at) - start) / width) * barW;
    const w = Math.max(1, barW - 1);
    return svg`<g>
      <title>${clock(b.at)}: ${b.registered} registered, ${b.failed} failed</title>
      <rect x=${x} y=${y(b.registered)} width=${w} height=${y(0) - y(b.registered)} fill="#1f6f3f"></rect>
      <rect x=${x} y=${y(b.registered + b.failed)} width=${w} height=${y(0) - y(b.failed)} fill="#a00000"></rect>
    </g>`;
  });
  return html`<figure>
    <svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label=${label}>
      <line x1=${PAD.left} y1=${y(0)} x2=${WIDTH - PAD.right} y2=${y(0)} stroke="#333"></line>
      <line x1=${PAD.left} y1=${PAD.top} x2=${PAD.left} y2=${y(0)} stroke="#333"></line>
      <text x=${PAD.left - 6} y=${PAD.top + 10} text-anchor="end" font-size="12">${max}</text>
      <text x=${PAD.left - 6} y=${y(0)} text-anchor="end" font-size="12">0</text>
      <text x=${PAD.left} y=${HEIGHT - 6} font-size="12">${clock(from)}</text>
      <text x=${WIDTH - PAD.right} y=${HEIGHT - 6} text-anchor="end" font-size="12">${clock(to)}</text>
      ${bars}
    </svg>
    <figcaption>
      Units per ${t.bucketSeconds} s:
      <span style="color:#1f6f3f">■</span> registered <span style="color:#a00000">■</span> failed
    </figcaption>
  </figure>`;
}

/** About sixty buckets over the batch's life so far, at least a second each. */
export function bucketSecondsFor(from: string, to: string): number {
  return Math.max(1, Math.ceil((Date.parse(to) - Date.parse(from)) / 1000 / 60));
}
