// Steps that need only the control plane (kube-sim, CA issuer, approver): they run without root.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpiffeId } from '@spiffe-csi/spiffe';
import { driverCsr } from '../../test/approver/fixtures';
import { createAs, waitForDecision } from '../../test/approver/requests';
import { TRUST_DOMAIN, type ControlPlane } from '../../test/e2e/stack';
import { leafOf, opensslVerify, printCertificate } from './certificate-view';
import { rows, say, section } from './output';
import { current, requestRows } from './requests-view';
import { eventually } from '../../test/support/eventually';

export const NAMESPACE = 'sandbox';
export const APP_SA = 'example-app';
const appId = () => SpiffeId.forServiceAccount(TRUST_DOMAIN, NAMESPACE, APP_SA).toString();

/** The issuer's CA certificate on disk, for `openssl verify`. */
export function writeIssuerCa(plane: ControlPlane): string {
  const file = join(plane.workDir, 'issuer-ca.pem');
  writeFileSync(file, plane.issuer.caPem);
  return file;
}

/** ServiceAccount "intruder" asks for example-app's identity with a perfectly formed CSR. */
export async function hostileRequest(plane: ControlPlane): Promise<string> {
  section('A hostile request: ServiceAccount "intruder" asks for ANOTHER ServiceAccount\'s identity');
  const wanted = appId();
  const request = await createAs(plane.sim, 'intruder', {
    csrPem: await driverCsr(wanted), namespace: NAMESPACE, name: 'intruder-wants-example-app',
  });
  const decision = await waitForDecision(plane.sim, request);
  // Give a (wrongly) approved request a moment to be signed, so a failure would be visible here.
  await new Promise((r) => setTimeout(r, 300));
  const signed = current(plane.sim, request)?.status?.certificate !== undefined;
  rows([
    ['requested by', `system:serviceaccount:${NAMESPACE}:intruder`],
    ['CSR URI SAN', wanted],
    ['decision', `${decision.type} (reason ${decision.reason ?? '-'})`],
    ['message', decision.message],
    ['certificate', signed ? 'ISSUED — this should never happen' : 'none: the issuer never signs a denied request'],
  ]);
  return decision.type;
}

/** Without the driver: a request exactly as the driver would make it, approved and signed. */
export async function legitimateRequest(plane: ControlPlane, caFile: string): Promise<void> {
  section(`A legitimate request: ServiceAccount "${APP_SA}" asks for its own identity`);
  const request = await createAs(plane.sim, APP_SA, {
    csrPem: await driverCsr(appId()), namespace: NAMESPACE, name: 'example-app-own-identity',
  });
  await waitForDecision(plane.sim, request);
  const issued = await eventually(() => current(plane.sim, request)?.status?.certificate, 20_000);
  rows(requestRows(current(plane.sim, request)!));
  const certFile = join(plane.workDir, 'tls.crt');
  const certPem = Buffer.from(issued, 'base64').toString('utf8');
  writeFileSync(certFile, certPem);
  say('');
  printCertificate(leafOf(certPem), await opensslVerify(caFile, certFile));
}
