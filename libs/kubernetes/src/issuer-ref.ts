/** A cert-manager issuer reference, after cert-manager's defaulting. */
export interface IssuerRef {
  name: string;
  kind: string;
  group: string;
}

export const DEFAULT_ISSUER_KIND = 'Issuer';
export const DEFAULT_ISSUER_GROUP = 'cert-manager.io';

/** cert-manager's defaulting: an empty kind means Issuer, an empty group means cert-manager.io. */
export function normalizeIssuerRef(ref: unknown): IssuerRef | undefined {
  if (typeof ref !== 'object' || ref === null) return undefined;
  const { name, kind, group } = ref as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') return undefined;
  return {
    name,
    kind: typeof kind === 'string' && kind !== '' ? kind : DEFAULT_ISSUER_KIND,
    group: typeof group === 'string' && group !== '' ? group : DEFAULT_ISSUER_GROUP,
  };
}

/** True when a request's spec.issuerRef targets `wanted` (after cert-manager's defaulting). */
export function issuerRefMatches(requested: unknown, wanted: IssuerRef | undefined): boolean {
  const ref = normalizeIssuerRef(requested);
  const want = normalizeIssuerRef(wanted);
  return !!ref && !!want && ref.name === want.name && ref.kind === want.kind && ref.group === want.group;
}

export function formatIssuerRef(ref: IssuerRef | undefined): string {
  return ref ? `${ref.kind}.${ref.group}/${ref.name}` : '<none>';
}
