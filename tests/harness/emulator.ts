/**
 * The local AWS endpoint for integration tests. By default starts `moto_server` on a free
 * 127.0.0.1 port, over TLS with a certificate made for the run: the lake's policies deny every
 * request without TLS, and moto enforces bucket policies, so plain HTTP would be refused exactly as
 * AWS refuses it. The certificate lives in a scratch folder outside the repository (its key only
 * until moto_server has read it), removed when the endpoint stops or the process ends; without
 * moto_server or openssl on PATH, `MissingToolError` says in one line how to install it. With `DATALAKE_AWS_ENDPOINT` set (LocalStack, or a real AWS endpoint with
 * credentials in the environment) uses that instead and starts nothing.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:https";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { onProcessExit } from "./exit-cleanup";
import { removeScratch, scratchFolder } from "./scratch";

export interface AwsEndpoint {
  /** e.g. http://127.0.0.1:5123 */
  readonly url: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Whether this is our own moto_server (resettable, moto-only APIs available). */
  readonly isMoto: boolean;
  /** PEM of the CA to trust for this endpoint, when it is our own TLS moto_server. */
  readonly caCertificate?: string;

  /** Environment variables that point an AWS SDK v3 process (e.g. a function) at this endpoint. */
  readonly environment: Readonly<Record<string, string>>;
  /** Clears every resource (moto only; a no-op elsewhere). */
  reset(): Promise<void>;
  /** POSTs JSON to moto's own API (e.g. `/moto-api/static/athena/query-results`); throws on other endpoints. */
  motoApi(path: string, body: unknown): Promise<{ status: number; body: string }>;
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

/** A request to the emulator's own API (`/moto-api/…`), trusting its certificate. */
export function emulatorRequest(url: string, method: "GET" | "POST", ca: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = body ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) } : {};
    const req = request(url, { method, ca, headers }, (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}

async function waitUntilServing(url: string, ca: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const started = Date.now();
  let exited = false;
  child.once("exit", () => (exited = true));
  while (Date.now() - started < deadlineMs) {
    if (exited) throw new Error("moto_server exited before it served requests");
    try {
      const response = await emulatorRequest(`${url}/moto-api/`, "GET", ca);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto_server did not answer on ${url} within ${deadlineMs} ms`);
}

/** A tool the local endpoint needs is not installed: the message says how to install it, in one line. */
export class MissingToolError extends Error {
  override readonly name = "MissingToolError";
}

/** How to install the emulator: requirements-dev.txt pins it, as CI installs it. */
export const MOTO_INSTALL = "pip install -r requirements-dev.txt";

/** Whether `command` is an executable file on PATH. */
export function onPath(command: string, path: string = process.env.PATH ?? ""): boolean {
  return path.split(delimiter).some((folder) => {
    if (folder === "") return false;
    try {
      accessSync(join(folder, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** TLS material made for one run, outside the repository; `remove()` deletes it. */
export interface Certificate {
  readonly certPath: string;
  /** Delete it as soon as the server has read it (`forgetKey()`); until then only this folder holds it. */
  readonly keyPath: string;
  readonly pem: string;
  /** Deletes the private key file, keeping the certificate (clients still read it). */
  forgetKey(): void;
  remove(): void;
}

/**
 * A self-signed certificate for 127.0.0.1, made with openssl for this run, in a scratch folder under
 * os.tmpdir() (never inside the repository) that `remove()`, or the end of the process, deletes.
 */
export function makeCertificate(): Certificate {
  if (!onPath("openssl")) throw new MissingToolError("openssl is not on PATH: the local endpoint makes its TLS certificate with it (apt-get install openssl)");
  const dir = scratchFolder("tls");
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  try {
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyPath, "-out", certPath, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
      { stdio: "pipe" },
    );
  } catch (error) {
    removeScratch(dir);
    throw new Error(`Could not make a TLS certificate with openssl: ${(error as Error).message}`);
  }
  return {
    certPath,
    keyPath,
    pem: readFileSync(certPath, "utf8"),
    forgetKey: () => rmSync(keyPath, { force: true }),
    remove: () => removeScratch(dir),
  };
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
      motoApi: async (path) => {
        throw new Error(`${path} exists only on moto_server; this endpoint is ${external}`);
      },
      stop: async () => undefined,
    };
  }
  if (!onPath("moto_server")) throw new MissingToolError(`moto_server is not on PATH: the local AWS endpoint needs it; install it with ${MOTO_INSTALL}`);
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const certificate = makeCertificate();
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port), "-c", certificate.certPath, "-k", certificate.keyPath], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  // moto_server outlives a process that forgets to stop it; the certificate must not.
  const forget = onProcessExit(() => {
    child.kill("SIGKILL");
    certificate.remove();
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  child.on("error", (error) => {
    stderr += `\n${error.message}`;
  });
  try {
    await waitUntilServing(url, certificate.pem, child, 30_000);
  } catch (error) {
    child.kill("SIGKILL");
    certificate.remove();
    forget();
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  // Serving: moto_server has loaded its key.
  certificate.forgetKey();
  return {
    url,
    region,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    isMoto: true,
    caCertificate: certificate.pem,
    // Functions run in their own processes: Node reads extra CAs from the environment at start.
    environment: { ...endpointEnvironment(url, region, "test", "test"), NODE_EXTRA_CA_CERTS: certificate.certPath },
    motoApi: (path, body) => emulatorRequest(`${url}${path}`, "POST", certificate.pem, JSON.stringify(body)),
    async reset() {
      const response = await emulatorRequest(`${url}/moto-api/reset`, "POST", certificate.pem);
      if (response.status !== 200) throw new Error(`moto reset failed: ${response.status}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        });
      }
      certificate.remove();
      forget();
    },
  };
}

export interface EndpointClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: AwsEndpoint["credentials"];
  readonly forcePathStyle: boolean;
  readonly requestHandler?: { readonly httpsAgent: Agent };
}

/** SDK v3 client configuration for the endpoint (S3 needs path-style addressing on emulators). */
export function clientConfig(endpoint: AwsEndpoint): EndpointClientConfig {
  return {
    endpoint: endpoint.url,
    region: endpoint.region,
    credentials: endpoint.credentials,
    forcePathStyle: true,
    ...(endpoint.caCertificate ? { requestHandler: { httpsAgent: new Agent({ ca: endpoint.caCertificate, keepAlive: true }) } } : {}),
  };
}
