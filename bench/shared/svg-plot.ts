/** A small line chart as SVG (no dependencies): one panel per call, stacked by `svgDocument`. */

export interface Series {
  name: string;
  points: Array<[number, number]>;
}

export interface Panel {
  title: string;
  yLabel: string;
  series: Series[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2'];
const WIDTH = 900;
const HEIGHT = 260;
const MARGIN = { left: 80, right: 190, top: 30, bottom: 40 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Round tick steps (1, 2, 5 × 10^k) for an axis up to `max`. */
function ticks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  return Array.from({ length: Math.floor(max / step) + 1 }, (_, i) => i * step);
}

function panel(p: Panel, offsetY: number): string {
  const all = p.series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map(([x]) => x));
  const yMax = Math.max(1, ...all.map(([, y]) => y)) * 1.05;
  const w = WIDTH - MARGIN.left - MARGIN.right;
  const h = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + (x / xMax) * w;
  const sy = (y: number) => offsetY + MARGIN.top + h - (y / yMax) * h;
  const out = [
    `<text x="${MARGIN.left}" y="${offsetY + 18}" font-size="14" font-weight="bold">${esc(p.title)}</text>`,
  ];
  for (const t of ticks(yMax)) {
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + w}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/>`,
    );
    out.push(
      `<text x="${MARGIN.left - 6}" y="${sy(t) + 4}" font-size="11" text-anchor="end">${t.toLocaleString('en-US')}</text>`,
    );
  }
  for (const t of ticks(xMax, 10))
    out.push(
      `<text x="${sx(t)}" y="${offsetY + MARGIN.top + h + 16}" font-size="11" text-anchor="middle">${t}</text>`,
    );
  out.push(
    `<text x="${MARGIN.left + w / 2}" y="${offsetY + HEIGHT - 6}" font-size="11" text-anchor="middle">seconds</text>`,
  );
  out.push(
    `<text x="14" y="${offsetY + MARGIN.top + h / 2}" font-size="11" transform="rotate(-90 14 ${offsetY + MARGIN.top + h / 2})" text-anchor="middle">${esc(p.yLabel)}</text>`,
  );
  out.push(
    `<rect x="${MARGIN.left}" y="${offsetY + MARGIN.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
  );
  p.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const path = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${path}"/>`);
    const ly = offsetY + MARGIN.top + 14 + i * 16;
    out.push(
      `<line x1="${WIDTH - MARGIN.right + 10}" x2="${WIDTH - MARGIN.right + 30}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/>`,
    );
    out.push(
      `<text x="${WIDTH - MARGIN.right + 36}" y="${ly}" font-size="11">${esc(s.name)}</text>`,
    );
  });
  return out.join('\n');
}

export function svgDocument(panels: Panel[]): string {
  const body = panels.map((p, i) => panel(p, i * HEIGHT)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT * panels.length}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}
