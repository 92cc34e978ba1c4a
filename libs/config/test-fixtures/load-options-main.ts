// Spawned by load-options.spec.ts: a main() that only loads options, then prints them as JSON.
import { loadOptionsOrExit } from '../src/load-options';

const app = process.argv[2] === 'approver' ? 'approver' : 'csi-driver';
const options = loadOptionsOrExit(app, process.argv.slice(3));
process.stdout.write(`${JSON.stringify(options)}\n`);
