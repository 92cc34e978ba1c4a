import { invalidArgument } from './csi-error';
import { CONTEXT_SERVICE_ACCOUNT_TOKENS } from '../volume/volume-context-keys';

/** The one token the driver acts with: requested by the CSIDriver for the empty audience. */
export interface AudienceToken {
  token: string;
  expirationTimestamp?: Date;
}

const KEY = `volume_context["${CONTEXT_SERVICE_ACCOUNT_TOKENS}"]`;
const HOW_TO_FIX =
  'the CSIDriver object must request a token for the empty audience (spec.tokenRequests: [{audience: ""}])';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads kubelet's token map {"<audience>": {"token": "...", "expirationTimestamp": "RFC 3339"}} and
 * returns the empty-audience entry. Messages never include token material.
 */
export function readEmptyAudienceToken(context: Record<string, string>): AudienceToken {
  const raw = context[CONTEXT_SERVICE_ACCOUNT_TOKENS];
  if (raw === undefined || raw === '') throw invalidArgument(`${KEY} is missing: ${HOW_TO_FIX}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalidArgument(`${KEY} is not valid JSON`);
  }
  if (!isObject(parsed)) throw invalidArgument(`${KEY} must be a JSON object keyed by audience`);
  const entry = parsed[''];
  if (entry === undefined)
    throw invalidArgument(`${KEY} has no token for the empty audience: ${HOW_TO_FIX}`);
  if (!isObject(entry) || typeof entry.token !== 'string' || entry.token === '') {
    throw invalidArgument(`${KEY} entry for the empty audience has no "token" string`);
  }
  const result: AudienceToken = { token: entry.token };
  if (entry.expirationTimestamp !== undefined) {
    const when =
      typeof entry.expirationTimestamp === 'string' ? new Date(entry.expirationTimestamp) : null;
    if (!when || Number.isNaN(when.getTime())) {
      throw invalidArgument(
        `${KEY} entry for the empty audience has an unparsable "expirationTimestamp"`,
      );
    }
    result.expirationTimestamp = when;
  }
  return result;
}
