const MAX_ECHO = 64;

/** Quotes attacker-controlled text for a reason, cut short so a hostile request cannot bloat status. */
export function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const cut = text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}…` : text;
  return JSON.stringify(cut);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `name (oid)` when the OID has a name in `names`, else the OID alone (cut like any echo). */
export function describeOid(names: Readonly<Record<string, string>>, oid: string): string {
  const name = names[oid];
  return name ? `${name} (${oid})` : quote(oid).slice(1, -1);
}
