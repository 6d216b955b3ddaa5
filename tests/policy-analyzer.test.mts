/**
 * The policy pack as `pulumi preview --policy-pack policy` starts it: the CLI's `pulumi-analyzer-policy`
 * plugin resolves `@pulumi/pulumi/cmd/run-policy-pack` from the pack folder and runs it there, which
 * compiles `policy/index.ts` with Pulumi's vendored ts-node (type-checking on) and serves the Analyzer
 * gRPC service on 127.0.0.1. This test does exactly that, then talks to the service the way the engine
 * does: it asks for the pack's policies, and sends resources with known and with unknown values (the
 * engine's sentinels inside a protobuf Struct).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RULES } from "../policy/pack.js";
import { UNKNOWN_STRING_SENTINEL } from "../policy/inputs.js";

const POLICY = resolve(import.meta.dirname, "..", "policy");
const requireHere = createRequire(import.meta.url);

interface Message {
  [method: string]: (...args: never[]) => unknown;
}
interface Diagnostic {
  getPolicyname(): string;
  getMessage(): string;
  getEnforcementlevel(): number;
}
interface AnalyzerClient {
  getAnalyzerInfo(request: unknown, callback: (error: Error | null, info: { getName(): string; getPoliciesList(): { getName(): string; getEnforcementlevel(): number }[] }) => void): void;
  analyze(request: unknown, callback: (error: Error | null, response: { getDiagnosticsList(): Diagnostic[] }) => void): void;
  analyzeStack(request: unknown, callback: (error: Error | null, response: { getDiagnosticsList(): Diagnostic[] }) => void): void;
  close(): void;
}

const grpc = requireHere("@grpc/grpc-js") as { credentials: { createInsecure(): unknown } };
const services = requireHere("@pulumi/pulumi/proto/analyzer_grpc_pb") as { AnalyzerClient: new (address: string, credentials: unknown) => AnalyzerClient };
const messages = requireHere("@pulumi/pulumi/proto/analyzer_pb") as Record<string, new () => Message>;
const { Empty } = requireHere("google-protobuf/google/protobuf/empty_pb") as { Empty: new () => unknown };
const { Struct } = requireHere("google-protobuf/google/protobuf/struct_pb") as { Struct: { fromJavaScript(value: unknown): unknown } };

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"];

let child: ChildProcess | undefined;
let client: AnalyzerClient | undefined;
let stderr = "";

beforeAll(async () => {
  // As the CLI's plugin script does: resolve the runner from the pack folder, run it there.
  const runner = requireHere.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [POLICY] });
  child = spawn(process.execPath, [runner, "127.0.0.1:1", "."], { cwd: POLICY, env: { PATH: process.env.PATH ?? "" }, stdio: ["ignore", "pipe", "pipe"] });
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<string>((done, fail) => {
    let out = "";
    child!.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^(\d+)\s*$/m.exec(out);
      if (match) done(match[1]!);
    });
    child!.on("exit", (code) => fail(new Error(`the pack exited with ${code} before serving: ${stderr}`)));
  });
  client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 180_000);

afterAll(() => {
  client?.close();
  if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid);
});

function resourceMessage(kind: "AnalyzeRequest" | "AnalyzerResource", type: string, name: string, properties: Record<string, unknown>): Message {
  const request = new messages[kind]!();
  (request["setType"] as (value: string) => void)(type);
  (request["setName"] as (value: string) => void)(name);
  (request["setUrn"] as (value: string) => void)(`urn:pulumi:dev::datalake::${type}::${name}`);
  (request["setProperties"] as (value: unknown) => void)(Struct.fromJavaScript(properties));
  (request["setOptions"] as (value: unknown) => void)(new messages["AnalyzerResourceOptions"]!());
  return request;
}

function analyze(type: string, name: string, properties: Record<string, unknown>): Promise<{ policy: string; level: string; message: string }[]> {
  return new Promise((done, fail) =>
    client!.analyze(resourceMessage("AnalyzeRequest", type, name, properties), (error, response) =>
      error ? fail(error) : done(response.getDiagnosticsList().map((diagnostic) => ({ policy: diagnostic.getPolicyname(), level: LEVELS[diagnostic.getEnforcementlevel()]!, message: diagnostic.getMessage() }))),
    ),
  );
}

describe("the pack, started as the Pulumi CLI starts it", () => {
  it("serves every rule of policy/pack.ts with its enforcement level", async () => {
    const info = await new Promise<{ name: string; policies: string[] }>((done, fail) =>
      client!.getAnalyzerInfo(new Empty(), (error, response) =>
        error ? fail(error) : done({ name: response.getName(), policies: response.getPoliciesList().map((policy) => `${policy.getName()} ${LEVELS[policy.getEnforcementlevel()]}`) }),
      ),
    );
    expect(info.name).toBe("datalake-guardrails");
    expect(info.policies).toEqual([...RULES.map((rule) => `${rule.name} ${rule.level}`), "policy-waivers advisory"]);
  });

  it("reports a mandatory violation with its message for a resource with known values", async () => {
    const diagnostics = await analyze("aws:sqs/queue:Queue", "plain", { messageRetentionSeconds: 60 });
    expect(diagnostics).toEqual([{ policy: "sqs-kms", level: "mandatory", message: expect.stringContaining('aws:sqs/queue:Queue "plain": is not encrypted with a KMS key. Change `kmsMasterKeyId`') }]);
  });

  it("reports nothing, and no \"can't run during preview\", for values the engine sends as unknown", async () => {
    const diagnostics = await analyze("aws:s3/bucketPolicy:BucketPolicy", "lake-policy", { bucket: UNKNOWN_STRING_SENTINEL, policy: UNKNOWN_STRING_SENTINEL });
    const queue = await analyze("aws:sqs/queue:Queue", "encrypted-later", { kmsMasterKeyId: UNKNOWN_STRING_SENTINEL });
    expect([...diagnostics, ...queue]).toEqual([]);
  });

  it("runs the stack rules on resources correlated through their property dependencies", async () => {
    const queueUrn = "urn:pulumi:dev::datalake::aws:sqs/queue:Queue::work";
    const dlqUrn = "urn:pulumi:dev::datalake::aws:sqs/queue:Queue::work-dlq";
    const fnUrn = "urn:pulumi:dev::datalake::aws:lambda/function:Function::worker";
    const withDependencies = (resource: Message, dependencies: Record<string, string[]>) => {
      const map = (resource["getPropertydependenciesMap"] as () => { set(key: string, value: unknown): void })();
      for (const [key, urns] of Object.entries(dependencies)) {
        const entry = new messages["AnalyzerPropertyDependencies"]!();
        (entry["setUrnsList"] as (value: string[]) => void)(urns);
        map.set(key, entry);
      }
      return resource;
    };
    const request = new messages["AnalyzeStackRequest"]!();
    (request["setResourcesList"] as (value: Message[]) => void)([
      resourceMessage("AnalyzerResource", "aws:sqs/queue:Queue", "work-dlq", { kmsMasterKeyId: "k", messageRetentionSeconds: 345600, arn: UNKNOWN_STRING_SENTINEL }),
      withDependencies(resourceMessage("AnalyzerResource", "aws:sqs/queue:Queue", "work", { kmsMasterKeyId: "k", messageRetentionSeconds: 345600, visibilityTimeoutSeconds: 360, redrivePolicy: UNKNOWN_STRING_SENTINEL }), { redrivePolicy: [dlqUrn] }),
      resourceMessage("AnalyzerResource", "aws:lambda/function:Function", "worker", { timeout: 60, arn: UNKNOWN_STRING_SENTINEL }),
      withDependencies(resourceMessage("AnalyzerResource", "aws:lambda/eventSourceMapping:EventSourceMapping", "work-mapping", { eventSourceArn: UNKNOWN_STRING_SENTINEL, functionName: UNKNOWN_STRING_SENTINEL }), { eventSourceArn: [queueUrn], functionName: [fnUrn] }),
    ]);
    const diagnostics = await new Promise<Diagnostic[]>((done, fail) => client!.analyzeStack(request, (error, response) => (error ? fail(error) : done(response.getDiagnosticsList()))));
    expect(diagnostics.map((diagnostic) => diagnostic.getPolicyname())).toContain("sqs-dlq-retention-longer");
    expect(diagnostics.find((diagnostic) => diagnostic.getPolicyname() === "sqs-dlq-retention-longer")!.getMessage()).toContain('aws:sqs/queue:Queue "work-dlq": keeps messages 345600 s, not longer than its source queue work');
    expect(diagnostics.filter((diagnostic) => diagnostic.getMessage().includes("can't run"))).toEqual([]);
  });

  it("wrote nothing to stderr while loading (type-checked by ts-node without errors)", () => {
    expect(stderr.replace(/\(node:\d+\) .*Warning[\s\S]*?--trace-warnings[^\n]*\n/g, "")).toBe("");
  });
});
