import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { PinoNestLogger } from './pino-nest-logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: pino({ level: 'trace' }, stream) };
}

describe('PinoNestLogger', () => {
  it('writes JSON lines with Nest context; Nest "log" chatter goes to debug', async () => {
    const { lines, logger } = capture();
    const nest = new PinoNestLogger(logger);
    nest.log('Mapped {/readyz, GET} route', 'RouterExplorer');
    nest.error('boom', 'stack trace', 'ExceptionHandler');
    nest.warn(new Error('careful'));
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => [l.level, l.msg, l.context])).toEqual([
      [20, 'Mapped {/readyz, GET} route', 'RouterExplorer'],
      [50, 'boom', 'ExceptionHandler'],
      [40, 'careful', undefined],
    ]);
  });
});
