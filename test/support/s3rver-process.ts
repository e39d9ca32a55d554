/**
 * Runs s3rver (through startS3rver) as its own process, for benchmarks: a server sharing the
 * client's event loop would slow the client down and make figures unfair. Prints the handle as
 * JSON on stdout, then serves until stdin closes or SIGTERM arrives.
 * Usage: node --import tsx test/support/s3rver-process.ts [bucket...]
 */
import { startS3rver } from './s3rver.ts';

const handle = await startS3rver({ buckets: process.argv.slice(2) });
process.stdout.write(`${JSON.stringify({ ...handle, stop: undefined })}\n`);
const stop = async () => {
  await handle.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
