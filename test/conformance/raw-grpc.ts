// Unary calls with hand-made bytes: for services the driver's proto does not declare (Controller,
// GroupController) and for messages no well-behaved client would encode.
import * as grpc from '@grpc/grpc-js';

export type RawOutcome = { code: grpc.status; details: string };

/** Sends `body` (the serialised request) to `method` ("/csi.v1.Controller/CreateVolume"). */
export function rawUnary(grpcUrl: string, method: string, body: Buffer = Buffer.alloc(0)): Promise<RawOutcome> {
  const client = new grpc.Client(grpcUrl, grpc.credentials.createInsecure());
  return new Promise<RawOutcome>((resolve) => {
    client.makeUnaryRequest(method, (b: Buffer) => b, (b: Buffer) => b, body, { deadline: Date.now() + 10_000 },
      (err) => resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '' }));
  }).finally(() => client.close());
}

/** Protobuf field key: (field number << 3) | wire type. */
export const fieldKey = (field: number, wireType: 0 | 1 | 2 | 5) => (field << 3) | wireType;

/** A length-delimited field (string, bytes, message). */
export function lengthDelimited(field: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([fieldKey(field, 2)]), varint(payload.length), payload]);
}

export function varint(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}
