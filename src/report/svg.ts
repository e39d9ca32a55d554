import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Renders a Vega-Lite spec to an SVG string in Node, without a browser or canvas: Vega-Lite
 * compiles to Vega, and a headless Vega view serialises its scene graph as SVG. Data must be
 * inline (`data.values`): the loader refuses every URL so a report never fetches anything.
 */
export type VegaLiteSpec = TopLevelSpec;

const offlineLoader = vega.loader();
offlineLoader.load = async (uri: string) => {
  throw new Error(`report charts must use inline data, not ${uri}`);
};

/** Shared look: readable fonts and sizes, no border around single views. */
const baseConfig = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  view: { stroke: null },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    gridColor: '#e5e7eb',
    domainColor: '#9ca3af',
    tickColor: '#9ca3af',
  },
  legend: { labelFontSize: 11, titleFontSize: 12, orient: 'bottom', labelLimit: 0 },
  title: { fontSize: 13, fontWeight: 600, anchor: 'start', subtitleFontSize: 11, subtitleColor: '#6b7280' },
  range: {
    category: ['#2563eb', '#f97316', '#16a34a', '#dc2626', '#7c3aed', '#0891b2', '#ca8a04', '#db2777'],
  },
} as const;

export async function renderVegaLiteSvg(spec: VegaLiteSpec): Promise<string> {
  const withConfig = {
    ...spec,
    background: 'white',
    config: { ...baseConfig, ...(spec as { config?: object }).config },
  } as unknown as TopLevelSpec;
  const { spec: vegaSpec } = compile(withConfig);
  const view = new vega.View(vega.parse(vegaSpec), { renderer: 'none', loader: offlineLoader });
  try {
    const svg = await view.toSVG();
    // Drop the fixed pixel size so the chart scales down inside narrow containers.
    return svg.replace(
      /^<svg([^>]*?) width="(\d+(?:\.\d+)?)" height="(\d+(?:\.\d+)?)"/,
      (_m, attrs, w, h) => {
        return `<svg${attrs} width="${w}" height="${h}" style="max-width:100%;height:auto"`;
      },
    );
  } finally {
    view.finalize();
  }
}
