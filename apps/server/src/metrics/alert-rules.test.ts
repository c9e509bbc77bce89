import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Family } from './exposition.js';
import {
  type Cluster,
  ctl,
  leaderIndex,
  scrape,
  scrapeUntil,
  startCluster,
  workload,
} from './test-cluster.js';

// etcd's 3.4 alert rules, restated in etcd3-alerts.rules.yml, checked with Debian's promtool: the file is
// valid, and a real PromQL evaluation (promtool test rules) over two scrapes of a 3-member cluster of
// ours finds series for every selector the rules use, no failure or availability alert condition holds on
// the healthy cluster, and each latency alert's quantile comes out of our histograms.

const RULES = join(__dirname, '..', '..', 'src', 'metrics', 'etcd3-alerts.rules.yml');

function findPromtool(): string | undefined {
  for (const p of [process.env.PROMTOOL, '/usr/bin/promtool', 'promtool']) {
    if (!p) continue;
    const r = spawnSync(p, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return p;
  }
  return undefined;
}

const promtool = findPromtool();

function tool(args: string[], input?: string) {
  const r = spawnSync(promtool!, args, { encoding: 'utf8', input, timeout: 120_000, maxBuffer: 64 << 20 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Each rule's expression: the file is our own plain YAML, a `- alert:` then an `expr: |` block per rule. */
function ruleExprs(): { alert: string; expr: string }[] {
  const out: { alert: string; expr: string }[] = [];
  const lines = readFileSync(RULES, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const a = /^\s*- alert: (\S+)/.exec(lines[i]!);
    if (!a) continue;
    const e = lines.findIndex((l, j) => j > i && /^\s*expr: \|/.test(l));
    const body: string[] = [];
    for (let j = e + 1; j < lines.length && /^\s{10}/.test(lines[j]!); j++) body.push(lines[j]!.trim());
    out.push({ alert: a[1]!, expr: body.join(' ') });
  }
  return out;
}

/** Every vector selector in an expression: etcd's rules give each a `{job=~...}` matcher. */
function selectors(expr: string): string[] {
  return [...expr.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*\{[^}]*\}/g)].map((m) => m[0]);
}

const quote = (v: string) => JSON.stringify(v);

/** Alerts on latency quantiles: evaluated for values, not for not firing (a loaded machine is slow). */
const LATENCY = new Set([
  'etcdGRPCRequestsSlow',
  'etcdMemberCommunicationSlow',
  'etcdHighFsyncDurations',
  'etcdHighCommitDurations',
]);

/** promtool input series: each member's samples with the job and instance labels Prometheus adds. */
function inputSeries(
  scrapes: { instance: string; first: Map<string, Family>; second: Map<string, Family> }[],
  names: Set<string>,
) {
  const series: { series: string; values: string }[] = [];
  for (const { instance, first, second } of scrapes) {
    series.push({ series: `up{job="etcd",instance=${quote(instance)}}`, values: '1 1 1' });
    const later = new Map<string, number>();
    const key = (name: string, labels: Record<string, string>) =>
      `${name}{${Object.entries({ ...labels, job: 'etcd', instance })
        .map(([k, v]) => `${k}=${quote(v)}`)
        .join(',')}}`;
    for (const f of second.values()) for (const s of f.samples) later.set(key(s.name, s.labels), s.value);
    for (const f of first.values())
      for (const s of f.samples) {
        // only what the rules read: promtool's evaluation time grows with the input
        if (!names.has(s.name)) continue;
        const k = key(s.name, s.labels);
        const v2 = later.get(k);
        if (v2 === undefined || !Number.isFinite(s.value) || !Number.isFinite(v2)) continue;
        series.push({ series: k, values: `${s.value} ${v2} ${v2}` });
      }
  }
  return series;
}

describe('etcd alert rules with promtool', {
  skip: !promtool && "promtool not found: install Debian's prometheus package (scripts/install.sh does)",
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrics-alerts-'));
  let cluster: Cluster | undefined;
  const scrapes: { instance: string; first: Map<string, Family>; second: Map<string, Family> }[] = [];

  before(async () => {
    const d = join(dir, 'ours');
    mkdirSync(d);
    cluster = await startCluster('ours', d);
    const li = await leaderIndex(cluster);
    await workload(cluster.clientPorts[li]!, d);
    await scrapeUntil(
      cluster.clientPorts[li]!,
      (m) => (m.get('etcd_network_peer_round_trip_time_seconds')?.samples.length ?? 0) > 0,
    );
    const first = await Promise.all(cluster.clientPorts.map((p) => scrape(p)));
    for (const k of ['d', 'e', 'f']) await ctl(cluster.clientPorts[li]!, ['put', k, '1']);
    const second = await Promise.all(cluster.clientPorts.map((p) => scrape(p)));
    for (const [i, p] of cluster.clientPorts.entries())
      scrapes.push({ instance: `127.0.0.1:${p}`, first: first[i]!, second: second[i]! });
  });
  after(() => {
    cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('promtool check rules accepts the file', () => {
    const r = tool(['check', 'rules', RULES]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /SUCCESS: 10 rules found/);
  });

  it("promtool check metrics parses our scrape (naming lints are etcd's own names)", async () => {
    const text = await (await fetch(`http://${scrapes[0]!.instance}/metrics`)).text();
    const r = tool(['check', 'metrics'], text);
    // 0: clean, 3: lint findings only (etcd's names such as etcd_server_health_success); 1 is a parse error
    assert.ok(r.status === 0 || r.status === 3, r.out);
    assert.doesNotMatch(r.out, /error/i);
  });

  it('every selector in the rules has series in our scrape; no failure alert holds on a healthy cluster; latency quantiles compute', () => {
    const rules = ruleExprs();
    assert.equal(rules.length, 10);
    const tests: object[] = [];
    const seen = new Set<string>();
    for (const { alert, expr } of rules) {
      for (const sel of selectors(expr)) {
        if (seen.has(sel)) continue;
        seen.add(sel);
        tests.push({
          expr: `clamp_max(count(${sel}), 1)`,
          eval_time: '2m',
          exp_samples: [{ labels: '{}', value: 1 }],
        });
      }
      if (LATENCY.has(alert)) {
        // how slow this machine is decides these: the quantile itself must come out of our series
        const quantile = expr.replace(/\s*>\s*[\d.]+\s*$/, '');
        assert.notEqual(quantile, expr);
        tests.push({
          expr: `clamp_max(count(${quantile}), 1)`,
          eval_time: '2m',
          exp_samples: [{ labels: '{}', value: 1 }],
        });
      } else
        tests.push({
          expr: `count(${expr}) or vector(0)`,
          eval_time: '2m',
          exp_samples: [{ labels: '{}', value: 0 }],
        });
    }
    // the selectors name every series family the rules read
    const names = new Set([...seen].map((s) => s.slice(0, s.indexOf('{'))));
    assert.deepEqual([...names].sort(), [
      'etcd_disk_backend_commit_duration_seconds_bucket',
      'etcd_disk_wal_fsync_duration_seconds_bucket',
      'etcd_network_peer_round_trip_time_seconds_bucket',
      'etcd_server_has_leader',
      'etcd_server_leader_changes_seen_total',
      'etcd_server_proposals_failed_total',
      'grpc_server_handled_total',
      'grpc_server_handling_seconds_bucket',
      'up',
    ]);
    const file = join(dir, 'rules-test.yml');
    // JSON is YAML: promtool reads this as its test file
    writeFileSync(
      file,
      JSON.stringify({
        rule_files: [RULES],
        evaluation_interval: '1m',
        tests: [{ interval: '1m', input_series: inputSeries(scrapes, names), promql_expr_test: tests }],
      }),
    );
    const r = tool(['test', 'rules', file]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /SUCCESS/);
  });

  it('the evaluation is not vacuous: a selector with no series fails it', () => {
    const file = join(dir, 'rules-test-negative.yml');
    writeFileSync(
      file,
      JSON.stringify({
        rule_files: [RULES],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: inputSeries(scrapes, new Set(['up', 'etcd_server_has_leader'])),
            promql_expr_test: [
              {
                expr: 'clamp_max(count(etcd_http_received_total{job=~".*etcd.*"}), 1)',
                eval_time: '2m',
                exp_samples: [{ labels: '{}', value: 1 }],
              },
            ],
          },
        ],
      }),
    );
    const r = tool(['test', 'rules', file]);
    assert.notEqual(r.status, 0, r.out);
  });
});

// the rules file sits in src (tsc copies no YAML); make sure the path resolves from dist
assert.ok(existsSync(RULES), RULES);
