/**
 * α trajectory heatmaps as a standalone SVG: one small heatmap per edge (x = epoch, y = op,
 * colour = softmax(α) weight, white 0 → dark blue 1), NB201's 6 edges or DARTS's 14 normal and
 * 14 reduction edges, with the derived genotype and collapse counts per epoch underneath.
 */
import { writeFileSync } from 'node:fs';
import type { EpochRecord } from './trainer.js';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function colour(v: number): string {
  const t = Math.max(0, Math.min(1, v));
  const r = Math.round(255 - t * (255 - 8));
  const g = Math.round(255 - t * (255 - 48));
  const b = Math.round(255 - t * (255 - 107));
  return `rgb(${r},${g},${b})`;
}

export function alphaHeatmapSvg(history: EpochRecord[], ops: readonly string[], title: string, edgeNames: string[][]): string {
  const E = history.length;
  const cell = Math.max(4, Math.min(16, Math.floor(240 / Math.max(1, E))));
  const rowH = 12;
  const labelW = 90;
  const panelW = labelW + E * cell + 20;
  const panelH = ops.length * rowH + 30;
  const tensors = history[0]?.alpha.length ?? 0;
  const cols = 4;
  const parts: string[] = [];
  let y0 = 30;
  for (let t = 0; t < tensors; t++) {
    const edges = history[0]!.alpha[t]!.length;
    parts.push(`<text x="10" y="${y0}" font-size="14" font-weight="bold">${esc(tensors > 1 ? (t === 0 ? 'normal cell' : 'reduction cell') : 'cell')}</text>`);
    y0 += 10;
    for (let e = 0; e < edges; e++) {
      const px = 10 + (e % cols) * panelW;
      const py = y0 + Math.floor(e / cols) * panelH;
      parts.push(`<text x="${px + labelW}" y="${py + 12}" font-size="11">${esc(edgeNames[t]?.[e] ?? `edge ${e}`)}</text>`);
      ops.forEach((op, o) => {
        const ry = py + 18 + o * rowH;
        parts.push(`<text x="${px + labelW - 4}" y="${ry + 9}" font-size="9" text-anchor="end">${esc(op)}</text>`);
        history.forEach((h, k) => {
          const v = h.alpha[t]![e]![o]!;
          parts.push(
            `<rect x="${px + labelW + k * cell}" y="${ry}" width="${cell}" height="${rowH - 1}" fill="${colour((v * ops.length) / 2)}"><title>epoch ${h.epoch} ${esc(op)}: ${v.toFixed(4)}</title></rect>`,
          );
        });
      });
    }
    y0 += Math.ceil(edges / cols) * panelH + 10;
  }
  parts.push(`<text x="10" y="${y0 + 10}" font-size="12" font-weight="bold">derived per epoch (skip / parameter-free ops; NB201 CIFAR-10 test acc)</text>`);
  history.forEach((h, k) => {
    const acc = h.bench?.['cifar10_test_acc'];
    parts.push(
      `<text x="10" y="${y0 + 26 + k * 13}" font-size="10" font-family="monospace">${h.epoch}: ${esc(h.genotype)}  [skip ${h.skipCount}, free ${h.paramFreeCount}${acc !== undefined ? `, ${acc.toFixed(2)}%` : ''}]</text>`,
    );
  });
  const H = y0 + 40 + E * 13;
  const W = Math.max(cols * panelW + 20, 900);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="18" font-size="15">${esc(title)} — softmax(α) per edge over epochs (colour saturates at 2/#ops)</text>
${parts.join('\n')}
</svg>
`;
}

export function writeAlphaPlot(file: string, history: EpochRecord[], ops: readonly string[], title: string, edgeNames: string[][]): void {
  writeFileSync(file, alphaHeatmapSvg(history, ops, title, edgeNames));
}
