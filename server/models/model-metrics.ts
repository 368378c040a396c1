import { Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Prometheus metrics of a model manager, registered on a caller-given registry (never the
 * global one). Several managers may share one registry: metrics are looked up before being
 * created and the gauges move by deltas, so their figures add up.
 */
export class ModelMetrics {
  /** `vrpg_models_resident`: models loading, warming or ready. */
  readonly resident: Gauge;
  /** `vrpg_models_resident_bytes`: sum of declared `sizeBytes` of those models. */
  readonly residentBytes: Gauge;
  /** `vrpg_model_load_ms{model}`: load + warm-up duration of each successful load, ms. */
  readonly loadMs: Histogram<'model'>;

  constructor(registry: Registry) {
    this.resident = existing(registry, 'vrpg_models_resident') ?? new Gauge({
      name: 'vrpg_models_resident',
      help: 'Models resident (loading, warming or ready) in the model manager',
      registers: [registry],
    });
    this.residentBytes = existing(registry, 'vrpg_models_resident_bytes') ?? new Gauge({
      name: 'vrpg_models_resident_bytes',
      help: 'Declared size of resident models, bytes',
      registers: [registry],
    });
    // Buckets span a small voice-latents fetch (tens of ms) to a multi-GB ONNX load (minutes).
    this.loadMs = existing(registry, 'vrpg_model_load_ms') ?? new Histogram({
      name: 'vrpg_model_load_ms',
      help: 'Model load plus warm-up time, ms',
      labelNames: ['model'],
      buckets: [50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000],
      registers: [registry],
    });
  }
}

function existing<M>(registry: Registry, name: string): M | undefined {
  return registry.getSingleMetric(name) as M | undefined;
}
