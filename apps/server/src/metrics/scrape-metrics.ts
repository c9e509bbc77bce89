import * as prom from 'prom-client';

// promhttp's own families, which etcd's /metrics carries: scrapes served by status code and in flight.

function create() {
  const total = new prom.Counter({
    name: 'promhttp_metric_handler_requests_total',
    help: 'Total number of scrapes by HTTP status code.',
    labelNames: ['code'],
  });
  // promhttp pre-creates its three codes
  for (const code of ['200', '500', '503']) total.inc({ code }, 0);
  const inFlight = new prom.Gauge({
    name: 'promhttp_metric_handler_requests_in_flight',
    help: 'Current number of scrapes being served.',
  });
  return { total, inFlight };
}

// registered when the gateway (which serves /metrics and /health) is loaded, zero until used, as etcd's
const families = create();
const health = {
  success: new prom.Counter({
    name: 'etcd_server_health_success',
    help: 'The total number of successful health checks',
  }),
  failures: new prom.Counter({
    name: 'etcd_server_health_failures',
    help: 'The total number of failed health checks',
  }),
};

/** A scrape begins; call the result with the HTTP status it ended with. */
export function beginScrape(): (code: number) => void {
  const f = families;
  f.inFlight.inc();
  return (code) => {
    f.inFlight.dec();
    f.total.inc({ code: String(code) });
  };
}

/** A /health answer (etcd_server_health_success / _failures). */
export function countHealthCheck(ok: boolean): void {
  (ok ? health.success : health.failures).inc();
}
