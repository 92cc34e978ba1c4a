import { setFlagsFromString } from 'node:v8';

/**
 * The driver runs on every node and mostly waits, so it trades a little GC time for a small heap:
 * with V8's defaults the heap grew to ~150 MB of mostly garbage while 1,000 volumes were
 * published (live data ~30 MB); with optimize-for-size the driver stays near 120-140 MB RSS.
 * V8's heap controller reads this flag at every GC, so setting it first thing (main.ts imports
 * this module first, before the app allocates) takes effect. The built entry point
 * (scripts/build/loader.cjs) sets it even earlier, before compiling the bundle, because V8's code
 * cache is only valid for the flags it was made with. Flags read only when the isolate starts
 * (heap sizes, the memory reducer's delay) would need the node command line instead.
 */
setFlagsFromString('--optimize-for-size');
