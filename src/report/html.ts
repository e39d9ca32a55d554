/**
 * A self-contained HTML page (inline CSS, inline SVG, no scripts, no external URLs), so a report
 * opens the same from a CI artifact, an object store or a laptop. Reports (evaluation, drift)
 * compose sections of escaped text, tables and SVG charts from `svg.ts`.
 */

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Trusted HTML (already escaped or generated), as opposed to text that must be escaped. */
export interface Html {
  html: string;
}

export function raw(html: string): Html {
  return { html };
}

/** Numbers in tables: integers with separators, others to 4 significant digits. */
export function formatCellNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return String(Number(value.toPrecision(4)));
}

function cell(value: string | number | Html): string {
  if (typeof value === 'object') return value.html;
  if (typeof value === 'number') return formatCellNumber(value);
  return escapeHtml(String(value));
}

export type Cell = string | number | Html;

/** A table; numeric cells align right. `rowClasses` marks rows (e.g. "fail"). */
export function htmlTable(header: Cell[], rows: Cell[][], rowClasses: Array<string | undefined> = []): Html {
  const head = header.map((h) => `<th>${cell(h)}</th>`).join('');
  const body = rows
    .map((row, i) => {
      const cls = rowClasses[i] ? ` class="${escapeHtml(rowClasses[i]!)}"` : '';
      const cells = row
        .map((c) => `<td${typeof c === 'number' ? ' class="num"' : ''}>${cell(c)}</td>`)
        .join('');
      return `<tr${cls}>${cells}</tr>`;
    })
    .join('\n');
  return raw(`<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`);
}

/** A coloured pill: "ok", "fail", "warn" or "info". */
export function badge(text: string, tone: 'ok' | 'fail' | 'warn' | 'info'): Html {
  return raw(`<span class="badge ${tone}">${escapeHtml(text)}</span>`);
}

/** Charts laid out side by side, wrapping on narrow screens. */
export function chartGrid(charts: Array<{ caption?: string; svg: string }>): Html {
  const figures = charts
    .map(
      (c) =>
        `<figure>${c.svg}${c.caption ? `<figcaption>${escapeHtml(c.caption)}</figcaption>` : ''}</figure>`,
    )
    .join('\n');
  return raw(`<div class="grid">\n${figures}\n</div>`);
}

export interface Section {
  title: string;
  /** A short explanation of how to read the section. */
  lead?: string;
  body: Html | Html[];
}

export interface Page {
  title: string;
  subtitle?: Html;
  /** Key facts shown under the title: label -> value. */
  facts?: Array<[string, Cell]>;
  sections: Section[];
  footer?: string;
}

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f3f4f6; color: #111827;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 24px 48px; }
header h1 { margin: 0 0 4px; font-size: 26px; }
header .subtitle { color: #374151; margin: 0 0 14px; }
dl.facts { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 0 0 8px; }
dl.facts div { min-width: 120px; }
dl.facts dt { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #6b7280; }
dl.facts dd { margin: 0; font-weight: 600; word-break: break-all; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 10px; padding: 18px 22px;
  margin: 18px 0; }
section h2 { margin: 0 0 6px; font-size: 18px; }
section p.lead { margin: 0 0 12px; color: #4b5563; font-size: 14px; }
table { border-collapse: collapse; margin: 6px 0; font-size: 14px; min-width: 50%; }
th, td { padding: 6px 12px; border-bottom: 1px solid #e5e7eb; text-align: left; }
th { background: #f9fafb; font-weight: 600; color: #374151; }
td.num { text-align: right; font-variant-numeric: tabular-nums; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
tr.fail td { background: #fef2f2; }
.badge { display: inline-block; padding: 1px 10px; border-radius: 999px; font-size: 13px; font-weight: 600; }
.badge.ok { background: #dcfce7; color: #166534; }
.badge.fail { background: #fee2e2; color: #991b1b; }
.badge.warn { background: #fef3c7; color: #92400e; }
.badge.info { background: #e0e7ff; color: #3730a3; }
.better { color: #166534; }
.worse { color: #b91c1c; }
.grid { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
figure { margin: 0; flex: 0 1 auto; }
figcaption { font-size: 13px; color: #4b5563; margin-top: 2px; }
footer { color: #6b7280; font-size: 12px; margin-top: 24px; }
`;

export function renderPage(page: Page): string {
  const facts = page.facts?.length
    ? `<dl class="facts">${page.facts
        .map(([label, value]) => `<div><dt>${escapeHtml(label)}</dt><dd>${cell(value)}</dd></div>`)
        .join('')}</dl>`
    : '';
  const sections = page.sections
    .map((s) => {
      const body = (Array.isArray(s.body) ? s.body : [s.body]).map((b) => b.html).join('\n');
      const lead = s.lead ? `<p class="lead">${escapeHtml(s.lead)}</p>` : '';
      return `<section>\n<h2>${escapeHtml(s.title)}</h2>\n${lead}\n${body}\n</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(page.title)}</h1>
${page.subtitle ? `<p class="subtitle">${page.subtitle.html}</p>` : ''}
${facts}
</header>
${sections}
${page.footer ? `<footer>${escapeHtml(page.footer)}</footer>` : ''}
</main>
</body>
</html>
`;
}
