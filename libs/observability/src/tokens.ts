/** The prom-client Registry every metric of the process registers on. */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
/** The ObservabilityOptions given to ObservabilityModule.forRoot. */
export const OBSERVABILITY_OPTIONS = Symbol('OBSERVABILITY_OPTIONS');
