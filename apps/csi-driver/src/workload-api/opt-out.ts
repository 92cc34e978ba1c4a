/** Volume attribute: "false" keeps this volume's Workload API socket away (files only). */
export const ATTRIBUTE_WORKLOAD_API = 'spiffe.csi.cert-manager.io/workload-api';

/** Only the exact words: a typo such as "False" must fail the mount, not silently keep the API on. */
export function workloadApiAttributeProblem(context: Record<string, string>): string | undefined {
  const value = context[ATTRIBUTE_WORKLOAD_API];
  if (value === undefined || value === 'true' || value === 'false') return undefined;
  return `volume attribute ${ATTRIBUTE_WORKLOAD_API} must be "true" or "false", not ${JSON.stringify(value)}`;
}

export function workloadApiWanted(context: Record<string, string>): boolean {
  return context[ATTRIBUTE_WORKLOAD_API] !== 'false';
}
