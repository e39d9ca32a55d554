import type { ImageScan } from '../ecr/images.ts';
import type { EnvManifest } from '../gitops/manifest.ts';
import type { LedgerEntry } from '../registry/ledger.ts';
import type { ImagePin } from './overlay.ts';

/** The promotion pull request's title and body (Markdown), from what changes and what it replaces. */
export interface PromotionSummary {
  model: string;
  environment: string;
  next: { entry: LedgerEntry; image: ImagePin & { tag?: string; scan?: ImageScan } };
  current: { manifest: EnvManifest | null; entry: LedgerEntry | null; image: ImagePin | null };
  /** Link template for run reports: `{runId}`, `{model}` and `{version}` are filled in. */
  reportUrl?: string;
}

/** Marks the body so people (and tools) can tell which promotion a pull request is. */
export function promotionMarker(model: string, environment: string): string {
  return `<!-- mlship:promote model=${model} environment=${environment} -->`;
}

export function promotionTitle(summary: PromotionSummary): string {
  const { model, environment } = summary;
  const to = summary.next.entry.version;
  const from = summary.current.manifest?.model === model ? summary.current.manifest.version : null;
  if (from !== null && to < from) return `Roll back ${model} to v${to} in ${environment} (from v${from})`;
  if (from === to) return `Update ${model} v${to} image in ${environment}`;
  return `Promote ${model} v${to} to ${environment}`;
}

function short(sha256: string): string {
  return sha256.replace(/^sha256:/, '').slice(0, 12);
}

function reportLink(summary: PromotionSummary, entry: LedgerEntry): string {
  if (summary.reportUrl) {
    const url = summary.reportUrl
      .replaceAll('{runId}', entry.runId)
      .replaceAll('{model}', summary.model)
      .replaceAll('{version}', String(entry.version));
    return `[${entry.runId}](${url})`;
  }
  // Registered artifacts are <store>/models/<model>/<sha256>.onnx; the run's report is
  // <store>/runs/<run-id>/report.html (written by evaluate) in the same store.
  const store = entry.artifact.uri.replace(/\/?models\/[^/]+\/[^/]+$/, '');
  const uri = `${store}${store ? '/' : ''}runs/${entry.runId}/report.html`;
  return /^https?:\/\//.test(uri) ? `[${entry.runId}](${uri})` : `\`${uri}\``;
}

function formatNumber(value: number | undefined): string {
  if (value === undefined) return '–';
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}

function formatDelta(next: number | undefined, current: number | undefined): string {
  if (next === undefined || current === undefined) return '–';
  const delta = next - current;
  if (delta === 0) return '0';
  return `${delta > 0 ? '+' : ''}${Number.isInteger(delta) ? delta : delta.toFixed(4)}`;
}

function scanLine(scan: ImageScan | undefined): string | null {
  if (!scan) return null;
  if (scan.status === null) return 'ECR scan: the image has not been scanned.';
  const counts = Object.entries(scan.findings)
    .filter(([, n]) => n > 0)
    .map(([severity, n]) => `${severity} ${n}`)
    .join(', ');
  return `ECR scan (${scan.status}): ${counts || 'no findings'}.`;
}

export function promotionBody(summary: PromotionSummary): string {
  const { model, environment, next, current } = summary;
  const previous = current.entry;
  const currentLabel = current.manifest ? `current (v${current.manifest.version})` : 'current';
  const image = (pin: ImagePin | null, tag?: string) =>
    pin ? `\`${pin.name}@${pin.digest}\`${tag ? ` (tag \`${tag}\`)` : ''}` : 'none';
  const artifact = (m: { uri: string; sha256: string } | undefined) =>
    m ? `\`${m.uri}\` (sha256 \`${short(m.sha256)}\`)` : 'none';

  const lines = [
    `## ${promotionTitle(summary)}`,
    '',
    `Merging this makes \`gitops/overlays/${environment}\` serve **${model} v${next.entry.version}**; ` +
      `Argo CD syncs it and Argo Rollouts rolls it out as a canary, promoting only if the success-rate ` +
      `and latency analysis passes.`,
    '',
    `| | ${currentLabel} | proposed (v${next.entry.version}) |`,
    '|---|---|---|',
    `| version | ${current.manifest ? `v${current.manifest.version}` : 'none (first promotion)'} | **v${next.entry.version}** |`,
    `| artifact | ${artifact(current.manifest?.artifact)} | ${artifact(next.entry.artifact)} |`,
    `| image | ${image(current.image)} | ${image(next.image, next.image.tag)} |`,
    `| run | ${previous ? previous.runId : '–'} | ${next.entry.runId} |`,
    `| registered | ${previous ? previous.createdAt : '–'} | ${next.entry.createdAt} |`,
    '',
    '### Metrics',
    '',
  ];
  const names = [
    ...new Set([...Object.keys(next.entry.metrics), ...Object.keys(previous?.metrics ?? {})]),
  ].sort();
  if (names.length === 0) {
    lines.push('No metrics were registered for these versions.');
  } else {
    lines.push(
      `| metric | ${previous ? `v${previous.version}` : 'current'} | v${next.entry.version} | change |`,
      '|---|---:|---:|---:|',
    );
    for (const name of names) {
      const a = previous?.metrics[name];
      const b = next.entry.metrics[name];
      lines.push(`| ${name} | ${formatNumber(a)} | ${formatNumber(b)} | ${formatDelta(b, a)} |`);
    }
  }
  if (current.manifest && !previous) {
    lines.push(
      '',
      `The version being replaced (${current.manifest.model} v${current.manifest.version}) is not in this model's registry.`,
    );
  }
  lines.push('', '### Run reports', '', `- v${next.entry.version}: ${reportLink(summary, next.entry)}`);
  if (previous) lines.push(`- v${previous.version}: ${reportLink(summary, previous)}`);
  const scan = scanLine(next.image.scan);
  if (scan) lines.push('', '### Image', '', scan);
  lines.push(
    '',
    '### Rolling back',
    '',
    previous
      ? `Promote the previous version again: \`mlship promote --model ${model} --version ${previous.version} --environment ${environment}\`.`
      : `Promote an older version: \`mlship promote --model ${model} --version <N> --environment ${environment}\`.`,
    '',
    promotionMarker(model, environment),
  );
  return `${lines.join('\n')}\n`;
}
