import { Counter, Histogram, type Registry } from 'prom-client';
import { isWriterError } from '../../server/event/narration-writer.ts';

/** Which request of a narration: the main model's, the prelude's, or the main model continuing the prelude. */
export type LlmRole = 'main' | 'prelude' | 'continuation';

/**
 * How a request ended, the `outcome` label: `ok` (it finished), `closed` (we closed it: a cancel, a
 * dropped prelude, a main request restarted after the prelude, the text cap), or the
 * {@link WriterErrorKind} that failed it.
 */
export type LlmOutcome = 'ok' | 'closed' | 'unreachable' | 'http' | 'timeout' | 'stream' | 'refused' | 'empty' | 'other';

/**
 * Prometheus metrics of the language model's requests, labelled by {@link LlmRole} (and outcome):
 * no URL, model name, prompt or key reaches /metrics. Looked up before being created, so several
 * writers may share the registry.
 */
export class LlmMetrics {
  /** `vrpg_llm_requests_total{role,outcome}`. */
  readonly requests: Counter<'role' | 'outcome'>;
  /** `vrpg_llm_first_token_ms{role}`: request sent → first content token, ms. */
  readonly firstTokenMs: Histogram<'role'>;

  constructor(registry: Registry) {
    this.requests = (registry.getSingleMetric('vrpg_llm_requests_total') as Counter<'role' | 'outcome'> | undefined) ?? new Counter({
      name: 'vrpg_llm_requests_total', help: 'Language model requests by role (main, prelude, continuation) and how they ended',
      labelNames: ['role', 'outcome'], registers: [registry],
    });
    // Small models answer in ~0.1–0.3 s, large ones on a busy GPU in seconds; the top buckets reach the default 15 s timeout.
    this.firstTokenMs = (registry.getSingleMetric('vrpg_llm_first_token_ms') as Histogram<'role'> | undefined) ?? new Histogram({
      name: 'vrpg_llm_first_token_ms', help: 'Language model request sent to its first content token, ms', labelNames: ['role'],
      buckets: [50, 100, 150, 250, 400, 600, 800, 1000, 1500, 2500, 5000, 10_000, 15_000], registers: [registry],
    });
  }

  /**
   * Wraps one request's content stream: observes its first token and counts how it ended.
   * Passes every delta and error through unchanged.
   * @param signal the request's: a stream that ends after it aborted was closed by us, not finished
   */
  async *observe(role: LlmRole, deltas: AsyncGenerator<string>, signal: AbortSignal): AsyncGenerator<string> {
    const startedAt = performance.now();
    let first = true;
    let outcome: LlmOutcome = 'closed';
    try {
      for await (const delta of deltas) {
        if (first) {
          first = false;
          this.firstTokenMs.observe({ role }, performance.now() - startedAt);
        }
        yield delta;
      }
      outcome = signal.aborted ? 'closed' : 'ok';
    } catch (err) {
      outcome = isWriterError(err) ? err.kind : 'other';
      throw err;
    } finally {
      this.requests.inc({ role, outcome });
    }
  }
}
