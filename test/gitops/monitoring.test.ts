import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createMetrics } from '../../serving/metrics.ts';

const run = promisify(execFile);
const monitoring = join(import.meta.dirname, '..', '..', 'gitops', 'monitoring');

async function yamlFile(path: string) {
  return YAML.parse(await readFile(join(monitoring, path), 'utf8'));
}

describe('Prometheus rules', () => {
  it('pass promtool check rules', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', 'mlship.rules.yaml'], {
      cwd: join(monitoring, 'rules'),
    });
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their promtool unit tests', async () => {
    const result = await run('promtool', ['test', 'rules', 'mlship.rules.test.yaml'], {
      cwd: join(monitoring, 'rules'),
    }).catch((error: { stdout: string; stderr: string }) => error);
    expect(`${result.stdout}${result.stderr}`).toMatch(/SUCCESS/);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/FAILED/);
  });

  it('are exactly what the PrometheusRule deploys', async () => {
    const rules = await yamlFile('rules/mlship.rules.yaml');
    const prometheusRule = await yamlFile('prometheus-rule.yaml');
    expect(
      prometheusRule.spec.groups,
      'gitops/monitoring/prometheus-rule.yaml is out of date: copy the groups of rules/mlship.rules.yaml into its spec.groups',
    ).toEqual(rules.groups);
  });

  it('cover error rate, latency, readiness, drift and capture', async () => {
    const rules = await yamlFile('rules/mlship.rules.yaml');
    const alerts = rules.groups.flatMap((g: { rules: Array<{ alert?: string }> }) =>
      g.rules.map((r) => r.alert).filter(Boolean),
    );
    expect(alerts.sort()).toEqual([
      'MlshipCaptureFailing',
      'MlshipFeatureDrift',
      'MlshipHighErrorRate',
      'MlshipHighLatency',
      'MlshipNotReady',
    ]);
    // Every alert has a promtool unit test that expects it to fire.
    const tests = await yamlFile('rules/mlship.rules.test.yaml');
    const tested = new Set(
      tests.tests.flatMap((t: { alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }) =>
        (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
      ),
    );
    expect([...tested].sort()).toEqual(alerts.sort());
  });
});

describe('canary analysis queries', () => {
  it('judge only the canary pods, evaluated by promtool on sample series', async () => {
    const query = async (file: string) => {
      const template = await yamlFile(join('analysis', file));
      return (template.spec.metrics[0].provider.prometheus.query as string)
        .replaceAll('{{args.namespace}}', 'mlship-staging')
        .replaceAll('{{args.canary-hash}}', 'canary1')
        .trim();
    };
    const series = (name: string, labels: string, values: string) => ({
      series: `${name}{namespace="mlship-staging",${labels}}`,
      values,
    });
    // Canary: 9 of 10 requests per second succeed, all under 100ms. Stable: all succeed, all slow.
    // Another namespace's canary with the same hash fails everything and must not count.
    const input = [
      series(
        'mlship_requests_total',
        'rollouts_pod_template_hash="canary1",route="/predict",status="200"',
        '0+540x10',
      ),
      series(
        'mlship_requests_total',
        'rollouts_pod_template_hash="canary1",route="/predict",status="500"',
        '0+60x10',
      ),
      series(
        'mlship_requests_total',
        'rollouts_pod_template_hash="stable0",route="/predict",status="200"',
        '0+6000x10',
      ),
      {
        series:
          'mlship_requests_total{namespace="mlship-production",rollouts_pod_template_hash="canary1",status="500"}',
        values: '0+600x10',
      },
      series(
        'mlship_request_duration_seconds_bucket',
        'rollouts_pod_template_hash="canary1",le="0.05"',
        '0x10',
      ),
      series(
        'mlship_request_duration_seconds_bucket',
        'rollouts_pod_template_hash="canary1",le="0.1"',
        '0+600x10',
      ),
      series(
        'mlship_request_duration_seconds_bucket',
        'rollouts_pod_template_hash="canary1",le="+Inf"',
        '0+600x10',
      ),
      series(
        'mlship_request_duration_seconds_bucket',
        'rollouts_pod_template_hash="stable0",le="0.1"',
        '0x10',
      ),
      series(
        'mlship_request_duration_seconds_bucket',
        'rollouts_pod_template_hash="stable0",le="+Inf"',
        '0+6000x10',
      ),
    ];
    const tests = {
      rule_files: [join(monitoring, 'rules', 'mlship.rules.yaml')],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: input,
          promql_expr_test: [
            {
              expr: await query('success-rate.yaml'),
              eval_time: '5m',
              exp_samples: [{ labels: '{}', value: 0.9 }],
            },
            {
              expr: await query('latency-p99.yaml'),
              eval_time: '5m',
              exp_samples: [{ labels: '{}', value: 0.0995 }],
            },
          ],
        },
      ],
    };
    const dir = await mkdtemp(join(tmpdir(), 'mlship-analysis-'));
    try {
      await writeFile(join(dir, 'analysis.test.yaml'), YAML.stringify(tests));
      const result = await run('promtool', ['test', 'rules', join(dir, 'analysis.test.yaml')]).catch(
        (error: { stdout: string; stderr: string }) => error,
      );
      expect(`${result.stdout}${result.stderr}`).toMatch(/SUCCESS/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('metric names', () => {
  it('are all series the inference service exports (serving/metrics.ts)', async () => {
    // The service's own registry, as /metrics serves it: what it really exports, not its source text.
    const { registry } = createMetrics();
    const exported = new Set(
      (await registry.getMetricsAsJSON()).map((m) => m.name).filter((name) => name.startsWith('mlship_')),
    );
    expect(exported.size).toBeGreaterThan(5);
    const files = [
      'rules/mlship.rules.yaml',
      'analysis/success-rate.yaml',
      'analysis/latency-p99.yaml',
      'dashboards/mlship.json',
    ];
    const used = new Set<string>();
    for (const file of files) {
      const text = await readFile(join(monitoring, file), 'utf8');
      // Series names, not recording rules (`namespace:mlship_...`), with histogram suffixes removed.
      for (const m of text.matchAll(/(?<![:\w])(mlship_[a-z_]+)/g))
        used.add(m[1].replace(/_(bucket|sum|count)$/, ''));
    }
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
    for (const name of ['mlship_requests_total', 'mlship_request_duration_seconds', 'mlship_feature_psi']) {
      expect(used).toContain(name);
    }
  });
});

describe('Grafana dashboard', () => {
  it('has a panel for each signal, every query parsing as PromQL', async () => {
    const dashboard = JSON.parse(await readFile(join(monitoring, 'dashboards', 'mlship.json'), 'utf8'));
    const titles = dashboard.panels.map((p: { title: string }) => p.title.toLowerCase()).join(' | ');
    for (const signal of [
      'throughput',
      'latency',
      'error',
      'batch',
      'cpu',
      'memory',
      'drift',
      'model version',
    ]) {
      expect(titles).toContain(signal);
    }
    // promtool checks PromQL syntax inside a rules file: wrap each panel query as a recording rule,
    // with Grafana's variables replaced by values Prometheus accepts.
    const exprs: string[] = dashboard.panels.flatMap((p: { targets: Array<{ expr: string }> }) =>
      p.targets.map((t) => t.expr.replaceAll('$__rate_interval', '5m').replaceAll('$namespace', '.*')),
    );
    const rulesFile = YAML.stringify({
      groups: [
        { name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) },
      ],
    });
    const dir = await mkdtemp(join(tmpdir(), 'mlship-dashboard-'));
    try {
      await writeFile(join(dir, 'dashboard.rules.yaml'), rulesFile);
      const { stdout } = await run('promtool', ['check', 'rules', join(dir, 'dashboard.rules.yaml')]);
      expect(stdout).toContain(`SUCCESS: ${exprs.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
