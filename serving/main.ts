import { configFromEnv, runServer } from './server.ts';

/** The container's entry point: configuration from the environment (see serving/README.md). */
await runServer(configFromEnv(process.env));
