/**
 * A TLS proxy on 127.0.0.1 in front of the local AWS endpoint that fails or slows chosen requests, so
 * tests can give a function an S3 that throttles, errors or lags the way AWS sometimes does.
 *
 * @example
 * ```ts
 * const proxy = await FaultProxy.start(endpoint);
 * proxy.fail({ method: "GET", path: /\/raw\/events\/flaky/, times: 4, status: 503, code: "SlowDown" });
 * // point the function at proxy.url instead of endpoint.url
 * ```
 */
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer, request, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { makeCertificate, type AwsEndpoint, type Certificate } from "./emulator";

interface FaultMatch {
  readonly method: string;
  /** Matched against the decoded request path (path-style S3: `/<bucket>/<key>`). */
  readonly path: RegExp;
  /** How many matching requests are affected; `Infinity` for every one. */
  readonly times: number;
}

/** Fail a matching request with an S3 error, or hold it `delayMs` before forwarding it. */
export type FaultRule = FaultMatch & ({ readonly status: number; /** The S3 error code in the XML body, e.g. SlowDown. */ readonly code: string } | { readonly delayMs: number });

type ActiveRule = FaultRule & { failed: number };

export class FaultProxy {
  private readonly rules: ActiveRule[] = [];
  /** Requests the proxy failed, as `METHOD path`. */
  readonly injected: string[] = [];

  private constructor(
    private readonly server: Server,
    private readonly certificate: Certificate,
    readonly url: string,
    /** Environment for a function that should talk to AWS through the proxy (it trusts the proxy's certificate). */
    readonly environment: Readonly<Record<string, string>>,
  ) {}

  /** Starts the proxy with a certificate of its own, in front of any endpoint (moto, LocalStack, AWS). */
  static async start(endpoint: AwsEndpoint): Promise<FaultProxy> {
    const certificate = makeCertificate();
    const key = readFileSync(certificate.keyPath, "utf8");
    // The server holds the key in memory; only the certificate stays on disk, for the functions to trust.
    certificate.forgetKey();
    const target = new URL(endpoint.url);
    let proxy: FaultProxy | undefined;
    const server = createServer({ cert: certificate.pem, key }, (req, res) => proxy!.handle(req, res, target, endpoint.caCertificate));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const url = `https://127.0.0.1:${port}`;
    proxy = new FaultProxy(server, certificate, url, { ...endpoint.environment, AWS_ENDPOINT_URL: url, NODE_EXTRA_CA_CERTS: certificate.certPath });
    return proxy;
  }

  fail(rule: FaultRule): void {
    this.rules.push({ ...rule, failed: 0 });
  }

  /** Removes every rule: the service has recovered. */
  clear(): void {
    this.rules.length = 0;
  }

  private handle(req: IncomingMessage, res: ServerResponse, target: URL, ca: string | undefined): void {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]!);
    const rule = this.rules.find((candidate) => candidate.method === req.method && candidate.path.test(path) && candidate.failed < candidate.times);
    if (rule && "delayMs" in rule) {
      rule.failed += 1;
      this.injected.push(`${req.method} ${path} +${rule.delayMs} ms`);
      setTimeout(() => this.forward(req, res, target, ca), rule.delayMs);
      return;
    }
    if (rule) {
      rule.failed += 1;
      this.injected.push(`${req.method} ${path}`);
      req.resume();
      res.writeHead(rule.status, { "content-type": "application/xml" });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${rule.code}</Code><Message>Injected by the test</Message></Error>`);
      return;
    }
    this.forward(req, res, target, ca);
  }

  private forward(req: IncomingMessage, res: ServerResponse, target: URL, ca: string | undefined): void {
    const send = target.protocol === "https:" ? request : httpRequest;
    const upstream = send(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, ...(ca ? { ca } : {}) },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    upstream.on("error", (error) => {
      res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(upstream);
  }

  /** Stops serving and removes the proxy's certificate. */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.certificate.remove();
  }
}
