/**
 * The local AWS endpoint for integration tests. By default starts `moto_server` on a free
 * 127.0.0.1 port; with `DATALAKE_AWS_ENDPOINT` set (LocalStack, or a real AWS endpoint with
 * credentials in the environment) uses that instead and starts nothing.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

export interface AwsEndpoint {
  /** e.g. http://127.0.0.1:5123 */
  readonly url: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Whether this is our own moto_server (resettable, moto-only APIs available). */
  readonly isMoto: boolean;
  /** Environment variables that point an AWS SDK v3 process (e.g. a function) at this endpoint. */
  readonly environment: Readonly<Record<string, string>>;
  /** Clears every resource (moto only; a no-op elsewhere). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilServing(url: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const started = Date.now();
  let exited = false;
  child.once("exit", () => (exited = true));
  while (Date.now() - started < deadlineMs) {
    if (exited) throw new Error("moto_server exited before it served requests");
    try {
      const response = await fetch(`${url}/moto-api/`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto_server did not answer on ${url} within ${deadlineMs} ms`);
}

function endpointEnvironment(url: string, region: string, accessKeyId: string, secretAccessKey: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: url,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
  };
}

export async function startEndpoint(region = "eu-west-1"): Promise<AwsEndpoint> {
  const external = process.env.DATALAKE_AWS_ENDPOINT;
  if (external) {
    const accessKeyId = process.env.AWS_ACCESS_KEY_ID ?? "test";
    const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY ?? "test";
    const externalRegion = process.env.AWS_REGION ?? region;
    return {
      url: external,
      region: externalRegion,
      credentials: { accessKeyId, secretAccessKey },
      isMoto: false,
      environment: endpointEnvironment(external, externalRegion, accessKeyId, secretAccessKey),
      reset: async () => undefined,
      stop: async () => undefined,
    };
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    await waitUntilServing(url, child, 30_000);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return {
    url,
    region,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    isMoto: true,
    environment: endpointEnvironment(url, region, "test", "test"),
    async reset() {
      const response = await fetch(`${url}/moto-api/reset`, { method: "POST" });
      if (!response.ok) throw new Error(`moto reset failed: ${response.status}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      });
    },
  };
}

/** SDK v3 client configuration for the endpoint (S3 needs path-style addressing on emulators). */
export function clientConfig(endpoint: AwsEndpoint): { endpoint: string; region: string; credentials: AwsEndpoint["credentials"]; forcePathStyle: boolean } {
  return { endpoint: endpoint.url, region: endpoint.region, credentials: endpoint.credentials, forcePathStyle: true };
}
