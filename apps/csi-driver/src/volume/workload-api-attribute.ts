import { ATTRIBUTE_WORKLOAD_API } from './volume-context-keys';

/** Only the exact words: a typo such as "False" must fail the mount, not silently keep the API on. */
export function workloadApiAttributeProblem(context: Record<string, string>): string | undefined {
  const value = context[ATTRIBUTE_WORKLOAD_API];
  if (value === undefined || value === 'true' || value === 'false') return undefined;
  return `volume attribute ${ATTRIBUTE_WORKLOAD_API} must be "true" or "false", not ${JSON.stringify(value)}`;
}

/** Whether the volume serves the Workload API (publish refuses any value but "true"/"false"). */
export function workloadApiWanted(context: Record<string, string>): boolean {
  return context[ATTRIBUTE_WORKLOAD_API] !== 'false';
}
