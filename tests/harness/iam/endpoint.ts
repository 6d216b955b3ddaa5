/**
 * A policy-enforcing local AWS endpoint: a TLS proxy on 127.0.0.1 in front of the emulator that
 * identifies each caller by the access key id of its SigV4 signature, maps the request to what IAM
 * authorizes (./request-mapper.ts), evaluates it with the stack's policies (./evaluate.ts, on the
 * model of ./model.ts) together with the KMS calls AWS makes for the caller (./implicit-kms.ts), and
 * forwards only what AWS would allow, unchanged and streamed. A refused request gets AWS's own error
 * (./aws-errors.ts), so the SDK in a function raises what it would raise on AWS. Every decision is
 * logged (./decision-log.ts).
 *
 * Why: the emulator grants every request and ignores policy conditions, so a policy that refuses the
 * pipeline on AWS (an encryption-header condition, a prefix-limited ListBucket) passes every local
 * test. Behind this endpoint it fails locally, the same way.
 *
 * S3's 403-vs-404 rule is applied too: when the emulator answers GetObject or HeadObject with 404 and
 * the caller may not `s3:ListBucket` the bucket (a check that carries no `s3:prefix`), the caller gets
 * 403 AccessDenied, as from S3 ("If you don't have the s3:ListBucket permission, Amazon S3 returns an
 * HTTP status code 403 Forbidden error": S3 API reference, GetObject,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, and HeadObject,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
 *
 * @example
 * ```ts
 * const upstream = await startEndpoint();
 * const plane = await provisionDataPlane(run, upstream);
 * const policy = await PolicyEndpoint.start(upstream, policyModelFromRun(run, plane, { principals: [producer] }));
 * const s3 = new S3Client(policy.clientConfigFor("producer"));
 * const processorEnv = policy.environmentFor("datalake-processor"); // for the function's process
 * // …
 * policy.assertNoUnexpectedDenials();
 * ```
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent as HttpAgent, createServer as createHttpServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type Server as HttpServer, type ServerResponse } from "node:http";
import { Agent as HttpsAgent, createServer as createHttpsServer, request as httpsRequest, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { makeCertificate, type AwsEndpoint, type Certificate, type EndpointClientConfig } from "../emulator";
import { denialMessage, denialResponse, unknownCallerResponse, type DenialCause, type ErrorResponse } from "./aws-errors";
import { tlsVersionOf, type Transport } from "./context";
import { DecisionLog, type Decision, type DenialExpectation } from "./decision-log";
import { evaluateCheck, type CheckEvaluation } from "./evaluate";
import { implicitKmsChecks, s3ReadKmsCheck, type KmsCheck } from "./implicit-kms";
import { bucketAccount, principalForAccessKey, principalNamed, type PolicyModel, type Principal } from "./model";
import { mapRequest, type AuthorizationCheck, type MappingEnvironment, type ModelledRequest, type Protocol } from "./request-mapper";
import { parseSigV4 } from "./sigv4";

export interface PolicyEndpointOptions {
  /** Append every decision to this JSON Lines file. */
  readonly decisionLogPath?: string;
  /** Also serve plain HTTP (`insecureUrl`), to exercise TLS-only policies. */
  readonly plainHttp?: boolean;
  /** The clock for `aws:CurrentTime` and the log. */
  readonly now?: () => Date;
}

/** What a response interceptor sends instead of the upstream response (whose body it consumed). */
interface Replacement {
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer | string;
}

type Interceptor = (response: IncomingMessage) => Promise<Replacement | undefined>;

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}

function singleValued(headers: IncomingMessage["headers"]): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(",") : value]));
}

function protocolOf(service: string, headers: Readonly<Record<string, string | undefined>>): Protocol {
  if (service === "s3") return "rest-xml";
  return headers["x-amz-target"] ? "json" : "query";
}

function replay(response: IncomingMessage, body: Buffer): Replacement {
  return { status: response.statusCode ?? 502, headers: response.headers, body };
}

const fromError = (error: ErrorResponse): Replacement => ({ status: error.status, headers: error.headers, body: error.body });

interface RequestScope {
  readonly requestId: string;
  readonly principal: Principal;
  readonly service: string;
  readonly protocol: Protocol;
  readonly method: string;
  readonly transport: Transport;
  readonly now: Date;
}

export class PolicyEndpoint {
  readonly log: DecisionLog;
  /** Query execution id → workgroup, learned from StartQueryExecution responses. */
  private readonly executions = new Map<string, string>();
  private readonly upstreamAgent: HttpAgent;

  private constructor(
    private readonly upstream: AwsEndpoint,
    private currentModel: PolicyModel,
    private readonly servers: ReadonlyArray<HttpsServer | HttpServer>,
    /** `https://127.0.0.1:<port>` */
    readonly url: string,
    /** `http://127.0.0.1:<port>` when started with `plainHttp`. */
    readonly insecureUrl: string | undefined,
    private readonly certificate: Certificate,
    private readonly now: () => Date,
    decisionLogPath: string | undefined,
  ) {
    this.log = new DecisionLog(decisionLogPath);
    const target = new URL(upstream.url);
    this.upstreamAgent = target.protocol === "https:" ? new HttpsAgent({ keepAlive: true, ...(upstream.caCertificate ? { ca: upstream.caCertificate } : {}) }) : new HttpAgent({ keepAlive: true });
  }

  /** What the request mapper needs to know beyond the request, from the current model. */
  private mappingEnvironment(): MappingEnvironment {
    const model = this.model;
    return {
      accountId: model.accountId,
      partition: model.partition,
      bucketAccount: (bucket) => bucketAccount(model, bucket),
      workgroupOfExecution: (id) => this.executions.get(id),
    };
  }

  /** The policy model requests are evaluated against. */
  get model(): PolicyModel {
    return this.currentModel;
  }

  /**
   * Evaluates later requests against `model`. For provisioning through this endpoint (so that the
   * emulator's queue URLs name it) before the model of the provisioned plane exists:
   *
   * @example
   * ```ts
   * const policy = await PolicyEndpoint.start(upstream, policyModelFromRun(run, { substitutions: new Substitutions() }));
   * const plane = await provisionDataPlane(run, policy.awsEndpointFor("admin"));
   * policy.useModel(policyModelFromRun(run, plane, { principals }));
   * ```
   */
  useModel(model: PolicyModel): void {
    this.currentModel = model;
  }

  /** Starts the endpoint on free 127.0.0.1 ports, with a TLS certificate of its own. */
  static async start(upstream: AwsEndpoint, model: PolicyModel, options: PolicyEndpointOptions = {}): Promise<PolicyEndpoint> {
    const certificate = makeCertificate();
    const key = readFileSync(certificate.keyPath, "utf8");
    // The server holds the key in memory; only the certificate stays on disk, for processes to trust.
    certificate.forgetKey();
    let endpoint: PolicyEndpoint | undefined;
    const https = createHttpsServer({ cert: certificate.pem, key }, (req, res) => {
      const tlsVersion = tlsVersionOf((req.socket as TLSSocket).getProtocol());
      void endpoint!.handle(req, res, { secure: true, ...(tlsVersion ? { tlsVersion } : {}) });
    });
    const listen = async (server: HttpsServer | HttpServer): Promise<number> => {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return (server.address() as AddressInfo).port;
    };
    const servers: Array<HttpsServer | HttpServer> = [https];
    const url = `https://127.0.0.1:${await listen(https)}`;
    let insecureUrl: string | undefined;
    if (options.plainHttp) {
      const http = createHttpServer((req, res) => void endpoint!.handle(req, res, { secure: false }));
      servers.push(http);
      insecureUrl = `http://127.0.0.1:${await listen(http)}`;
    }
    endpoint = new PolicyEndpoint(upstream, model, servers, url, insecureUrl, certificate, options.now ?? (() => new Date()), options.decisionLogPath);
    return endpoint;
  }

  get decisions(): readonly Decision[] {
    return this.log.decisions;
  }

  denials(): Decision[] {
    return this.log.denials();
  }

  expectDenial(expectation: DenialExpectation): void {
    this.log.expectDenial(expectation);
  }

  unexpectedDenials(): Decision[] {
    return this.log.unexpectedDenials();
  }

  assertNoUnexpectedDenials(): void {
    this.log.assertNoUnexpectedDenials();
  }

  /**
   * The environment a process needs to call AWS as `principalName` through this endpoint
   * (a function's process: merge it over the function's declared environment).
   */
  environmentFor(principalName: string, options: { readonly insecure?: boolean } = {}): Record<string, string> {
    const principal = principalNamed(this.model, principalName);
    return {
      AWS_ENDPOINT_URL: this.urlFor(options),
      AWS_REGION: this.model.region,
      AWS_DEFAULT_REGION: this.model.region,
      AWS_ACCESS_KEY_ID: principal.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: principal.credentials.secretAccessKey,
      NODE_EXTRA_CA_CERTS: this.certificate.certPath,
    };
  }

  /** SDK v3 client configuration for calling AWS as `principalName` from this process. */
  clientConfigFor(principalName: string, options: { readonly insecure?: boolean } = {}): EndpointClientConfig {
    const principal = principalNamed(this.model, principalName);
    return {
      endpoint: this.urlFor(options),
      region: this.model.region,
      credentials: principal.credentials,
      forcePathStyle: true,
      ...(options.insecure ? {} : { requestHandler: { httpsAgent: new HttpsAgent({ ca: this.certificate.pem, keepAlive: true }) } }),
    };
  }

  /**
   * This endpoint as an `AwsEndpoint` for `principalName`, for harness code that takes one
   * (e.g. `provisionDataPlane` or `LocalPipeline.start` with the admin principal). `reset` and
   * `motoApi` go to the upstream emulator.
   */
  awsEndpointFor(principalName: string): AwsEndpoint {
    const principal = principalNamed(this.model, principalName);
    return {
      url: this.url,
      region: this.model.region,
      credentials: principal.credentials,
      isMoto: this.upstream.isMoto,
      caCertificate: this.certificate.pem,
      environment: this.environmentFor(principalName),
      reset: () => this.upstream.reset(),
      motoApi: (path, body) => this.upstream.motoApi(path, body),
      stop: async () => undefined,
    };
  }

  private urlFor(options: { readonly insecure?: boolean }): string {
    if (!options.insecure) return this.url;
    if (!this.insecureUrl) throw new Error("Start the policy endpoint with plainHttp: true for an insecure URL");
    return this.insecureUrl;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, transport: Transport): Promise<void> {
    try {
      await this.authorizeAndForward(req, res, transport);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`policy endpoint failure: ${(error as Error).stack ?? String(error)}`);
    }
  }

  private async authorizeAndForward(req: IncomingMessage, res: ServerResponse, transport: Transport): Promise<void> {
    const requestId = randomBytes(8).toString("hex").toUpperCase();
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const headers = singleValued(req.headers);
    const signature = parseSigV4(headers, url.searchParams);
    const service = signature?.service ?? "s3";
    const method = req.method ?? "GET";
    const principal = signature ? principalForAccessKey(this.model, signature.accessKeyId) : undefined;
    const now = this.now();
    if (!principal) {
      const reason = signature ? `The access key id ${signature.accessKeyId} belongs to no principal of the model` : "The request is not signed with SigV4";
      this.log.record({ requestId, principal: signature?.accessKeyId ?? "anonymous", service, phase: "unknown-caller", decision: "deny", outcome: "UnknownCaller", decidedBy: [], reason }, now);
      req.resume();
      this.send(res, fromError(unknownCallerResponse({ service, protocol: protocolOf(service, headers), method, message: reason, requestId })));
      return;
    }
    // JSON and query protocol bodies are small and name the resource; S3 bodies stream, except DeleteObjects' key list.
    const needsBody = service !== "s3" || (method === "POST" && url.searchParams.has("delete"));
    const body = needsBody ? await readAll(req) : undefined;
    const mapped = mapRequest({ method, path: url.pathname, query: url.searchParams, headers, ...(body ? { body: body.toString("utf8") } : {}), service, region: signature!.region }, this.mappingEnvironment());
    const scope: RequestScope = { requestId, principal, service, protocol: mapped.protocol, method, transport, now };
    const base = { requestId, principal: principal.name, callerArn: principal.callerArn, service, ...(mapped.operation ? { operation: mapped.operation } : {}) };

    if (principal.admin) {
      const first = mapped.kind === "modelled" ? mapped.checks[0] : undefined;
      this.log.record({ ...base, ...(first ? { action: first.action, resource: first.resource } : {}), phase: "admin", decision: "allow", outcome: "Bypassed", decidedBy: [] }, now);
      this.forward(req, res, body, mapped.kind === "modelled" ? this.interceptorFor(mapped, scope) : undefined);
      return;
    }
    if (mapped.kind === "not-modelled") {
      const reason = `${mapped.operation ?? `${method} ${url.pathname}`} is not modelled by the local policy endpoint, so it is refused: ${mapped.reason}`;
      this.log.record({ ...base, phase: "not-modelled", decision: "deny", outcome: "NotModelled", decidedBy: [], reason }, now);
      req.resume();
      this.send(res, fromError(denialResponse({ service, protocol: mapped.protocol, method, cause: "access", message: reason, requestId })));
      return;
    }
    if (mapped.kind === "always-allowed") {
      this.log.record({ ...base, phase: "always-allowed", decision: "allow", outcome: "Allowed", decidedBy: [], reason: mapped.reason }, now);
      this.forward(req, res, body, undefined);
      return;
    }
    if (mapped.operation === "DeleteObjects" && body) return this.deleteObjects(req, res, body, mapped, scope);
    for (const check of mapped.checks) {
      const refusal = await this.decide(scope, mapped.operation, check, "request");
      if (refusal) return this.refuse(req, res, refusal);
    }
    for (const check of implicitKmsChecks(mapped, this.model)) {
      const refusal = await this.decide(scope, mapped.operation, check, "implicit-kms");
      if (refusal) return this.refuse(req, res, refusal);
    }
    this.forward(req, res, body, this.interceptorFor(mapped, scope));
  }

  /** Evaluates and logs one check; returns the error response when it is denied. */
  private async decide(scope: RequestScope, operation: string, check: AuthorizationCheck | KmsCheck, phase: "request" | "implicit-kms" | "missing-object"): Promise<ErrorResponse | undefined> {
    const viaService = "viaService" in check ? check.viaService : undefined;
    const evaluation: CheckEvaluation = await evaluateCheck({ model: this.model, principal: scope.principal, check, transport: scope.transport, now: scope.now, ...(viaService ? { viaService } : {}) });
    const { verdict } = evaluation;
    const message = verdict.allowed
      ? undefined
      : verdict.outcome === "Invalid"
        ? `The policy simulator could not evaluate ${check.action} on ${check.resource}: ${verdict.error}`
        : denialMessage({ callerArn: scope.principal.callerArn, action: check.action, resource: check.resource, decidedBy: verdict.decidedBy, quoteResource: check.action.startsWith("s3:") });
    this.log.record(
      {
        requestId: scope.requestId,
        principal: scope.principal.name,
        callerArn: scope.principal.callerArn,
        service: scope.service,
        operation,
        action: check.action,
        resource: check.resource,
        phase,
        decision: verdict.allowed ? "allow" : "deny",
        outcome: verdict.outcome,
        decidedBy: verdict.decidedBy,
        ...(message ? { reason: message } : {}),
        ...(verdict.ignoredContextKeys.length > 0 ? { ignoredContextKeys: verdict.ignoredContextKeys } : {}),
      },
      scope.now,
    );
    if (verdict.allowed) return undefined;
    const cause: DenialCause = phase === "implicit-kms" ? "kms" : "access";
    return denialResponse({ service: scope.service, protocol: scope.protocol, method: scope.method, cause, message: message!, requestId: scope.requestId });
  }

  /**
   * S3 authorizes DeleteObjects key by key: a refused key does not fail the request but appears in
   * the 200 response's `<Error>` list with code `AccessDenied` (S3 API reference, DeleteObjects,
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html). The allowed keys are
   * forwarded (with the body's checksum headers dropped, since the body changes) and the refused
   * ones are added to the emulator's answer.
   */
  private async deleteObjects(req: IncomingMessage, res: ServerResponse, body: Buffer, mapped: ModelledRequest, scope: RequestScope): Promise<void> {
    const text = body.toString("utf8");
    const objects = [...text.matchAll(/<Object>[\s\S]*?<\/Object>/g)].map((match) => match[0]);
    const refused = new Set<number>();
    for (const [index, check] of mapped.checks.entries()) {
      if (await this.decide(scope, mapped.operation, check, "request")) refused.add(index);
    }
    if (refused.size === 0) return this.forward(req, res, body, undefined);
    const errors = [...refused]
      .map((index) => {
        const object = objects[index] ?? "";
        const key = /<Key>[\s\S]*?<\/Key>/.exec(object)?.[0] ?? "<Key></Key>";
        const version = /<VersionId>[\s\S]*?<\/VersionId>/.exec(object)?.[0] ?? "";
        return `<Error>${key}${version}<Code>AccessDenied</Code><Message>Access Denied</Message></Error>`;
      })
      .join("");
    if (refused.size === objects.length) {
      req.resume();
      const result = `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${errors}</DeleteResult>`;
      return this.send(res, { status: 200, headers: { "content-type": "application/xml", "x-amz-request-id": scope.requestId }, body: result });
    }
    let position = 0;
    const allowedBody = text.replace(/<Object>[\s\S]*?<\/Object>/g, (object) => (refused.has(position++) ? "" : object));
    const headers: OutgoingHttpHeaders = Object.fromEntries(Object.entries(req.headers).filter(([name]) => name !== "content-md5" && !name.startsWith("x-amz-checksum-") && name !== "x-amz-sdk-checksum-algorithm"));
    headers["content-length"] = String(Buffer.byteLength(allowedBody));
    this.forward(req, res, Buffer.from(allowedBody), async (response) => {
      const answer = (await readAll(response)).toString("utf8");
      const merged = answer.includes("</DeleteResult>") ? answer.replace("</DeleteResult>", `${errors}</DeleteResult>`) : answer.replace(/<DeleteResult([^>]*)\/>/, `<DeleteResult$1>${errors}</DeleteResult>`);
      return { status: response.statusCode ?? 502, headers: response.headers, body: merged };
    }, headers);
  }

  private refuse(req: IncomingMessage, res: ServerResponse, refusal: ErrorResponse): void {
    req.resume();
    this.send(res, fromError(refusal));
  }

  /** The checks AWS makes once the response is known: S3's 404 rule, S3 reads' KMS Decrypt; and Athena execution bookkeeping. */
  private interceptorFor(mapped: ModelledRequest, scope: RequestScope): Interceptor | undefined {
    const { target } = mapped;
    if (target.kind === "s3-object" && (mapped.operation === "GetObject" || mapped.operation === "HeadObject")) {
      return async (response) => {
        if (response.statusCode === 404) return this.missingObject(response, mapped, scope, target.bucket);
        const encrypted = response.headers["x-amz-server-side-encryption"] === "aws:kms";
        if (mapped.operation !== "GetObject" || scope.principal.admin || !encrypted || (response.statusCode ?? 0) >= 300) return undefined;
        const keyHeader = response.headers["x-amz-server-side-encryption-aws-kms-key-id"];
        const check = s3ReadKmsCheck(this.model, target.bucket, target.key, typeof keyHeader === "string" ? keyHeader : undefined);
        const refusal = check ? await this.decide(scope, mapped.operation, check, "implicit-kms") : undefined;
        if (!refusal) return undefined;
        response.resume();
        return fromError(refusal);
      };
    }
    if (target.kind === "athena-workgroup" && mapped.operation === "StartQueryExecution") {
      return async (response) => {
        const body = await readAll(response);
        if (response.statusCode === 200) {
          const id = (JSON.parse(body.toString("utf8")) as { QueryExecutionId?: string }).QueryExecutionId;
          if (id) this.executions.set(id, target.name);
        }
        return replay(response, body);
      };
    }
    return undefined;
  }

  /** S3's rule: a missing object is a 404 only for a caller allowed `s3:ListBucket` on the bucket (no prefix in that check). */
  private async missingObject(response: IncomingMessage, mapped: ModelledRequest, scope: RequestScope, bucket: string): Promise<Replacement> {
    const body = await readAll(response);
    if (body.toString("utf8").includes("<Code>NoSuchBucket</Code>") || scope.principal.admin) return replay(response, body);
    const check: AuthorizationCheck = { action: "s3:ListBucket", resource: `arn:${this.model.partition}:s3:::${bucket}`, resourceAccount: bucketAccount(this.model, bucket), context: {} };
    const refusal = await this.decide(scope, mapped.operation, check, "missing-object");
    return refusal ? fromError(refusal) : replay(response, body);
  }

  private forward(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined, intercept: Interceptor | undefined, headerOverride?: OutgoingHttpHeaders): void {
    const target = new URL(this.upstream.url);
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const headers: OutgoingHttpHeaders = { ...(headerOverride ?? req.headers) };
    // The client's 100-continue was answered by this server already.
    delete headers.expect;
    const upstream = send({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent: this.upstreamAgent }, (response) => {
      const pass = (): void => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      };
      if (!intercept) return pass();
      intercept(response).then(
        (replacement) => (replacement ? this.send(res, replacement) : pass()),
        (error: unknown) => {
          response.resume();
          this.send(res, { status: 500, headers: { "content-type": "text/plain" }, body: `policy endpoint failure: ${String(error)}` });
        },
      );
    });
    upstream.on("error", (error) => {
      if (!res.headersSent) this.send(res, { status: 502, headers: { "content-type": "text/plain" }, body: String(error) });
      else res.destroy(error);
    });
    if (body) upstream.end(body);
    else req.pipe(upstream);
  }

  private send(res: ServerResponse, replacement: Replacement): void {
    const headers: OutgoingHttpHeaders = { ...replacement.headers };
    // A replaced body has its own length and no transfer encoding of the upstream's.
    delete headers["transfer-encoding"];
    headers["content-length"] = String(Buffer.byteLength(replacement.body));
    res.writeHead(replacement.status, headers);
    res.end(replacement.body);
  }

  /** Stops serving and removes the endpoint's certificate. */
  async stop(): Promise<void> {
    this.upstreamAgent.destroy();
    await Promise.all(this.servers.map((server) => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    })));
    this.certificate.remove();
  }
}
