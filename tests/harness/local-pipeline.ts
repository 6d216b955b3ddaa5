/**
 * The whole data path of a stack on a local AWS endpoint, made to fail where AWS would:
 * - the data plane the program declares, provisioned from its resources;
 * - every request judged against the declared policies by the policy-enforcing endpoint
 *   (tests/harness/iam/), each caller signing as its own principal: the functions as their roles,
 *   Lambda's SQS poller as the processor's role, producers and the CI smoke test as principals with
 *   their own policies, the harness itself as `admin` (logged, not judged);
 * - the functions' exact uploads on the Lambda-faithful host (tests/harness/local-function.ts) with
 *   their declared runtime, memory size, timeout and environment;
 * - S3 notifications as S3 sends them (tests/harness/s3-changes.ts: version ids, sequencers,
 *   deletions) and the Lambda service's event sources played in between.
 * Used by the integration tests and by `npm run demo`.
 *
 * @example
 * ```ts
 * const pipeline = await LocalPipeline.start(endpoint, run);
 * await pipeline.land("raw/events/a.jsonl", body);
 * const report = await pipeline.drive();
 * const lake = await pipeline.snapshot();
 * pipeline.policy?.assertNoUnexpectedDenials();
 * await pipeline.stop();
 * ```
 */
import { DeleteObjectCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client, type PutObjectCommandInput } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient, type Message } from "@aws-sdk/client-sqs";
import type { S3Event } from "aws-lambda";
import type { ProgramRun } from "./program";
import type { RecordedResource } from "./mocks";
import { clientConfig, type AwsEndpoint, type EndpointClientConfig } from "./emulator";
import { provisionDataPlane, Substitutions, type DataPlane } from "./provision";
import { startFunction } from "./lambda";
import type { LocalFunction } from "./local-function";
import { collectS3Notifications, deliverS3Events, pollQueue, type NotificationDelivery, type QueuePollingReport } from "./event-sources";
import { readLake, type LakeSnapshot } from "./lake-reader";
import { FaultProxy } from "./fault-proxy";
import { s3ChangeLedger, type S3ChangeLedger } from "./s3-changes";
import { PolicyEndpoint } from "./iam/endpoint";
import { policyModelFromRun, type PolicyModel, type PrincipalDeclaration } from "./iam/model";
import type { PolicyDocument } from "../../iam/documents";
import { localGlueJobRunner, type LocalGlueJobRunner, type LocalGlueRun } from "./glue-runner";
import type { GlueContract } from "../../handlers/glue-contract";
import type { CalendarDay } from "../../handlers/curated";

const FUNCTION = "aws:lambda/function:Function";

/** The principals the harness declares besides the functions' roles. */
export const PRINCIPALS = {
  /** Puts and deletes raw objects, as a data producer with only that grant would. */
  producer: "producer",
  /** Runs the CI smoke test with the managed policy the program declares for it. */
  ciSmoke: "ci-smoke",
  /** The Glue job's runs, with its role's declared policy, placed in the private subnets as the processor is. */
  glueJob: "glue-job",
  /** The harness itself: provisioning, reading the lake back, the Lambda service's own plumbing. */
  admin: "admin",
} as const;

export interface DriveReport {
  readonly notifications: NotificationDelivery;
  readonly processing: QueuePollingReport;
}

export interface LocalPipelineOptions {
  /** Environment overrides per declared function name. */
  readonly environmentOverrides?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** When landed objects are announced as having landed (S3's `eventTime`); defaults to `DEFAULT_LANDING_TIME`. */
  readonly clock?: () => Date;
  /** Judge every request against the declared policies; default on (moto only: elsewhere AWS judges). */
  readonly enforcePolicies?: boolean;
  /** Changes the policy model before it is used, e.g. to take a permission away from a role. */
  readonly adjustPolicies?: (model: PolicyModel) => PolicyModel;
  /** Puts a fault proxy between the processor and the endpoint (`pipeline.faults`). */
  readonly faults?: boolean;
}

/** The landing time of the local pipeline unless a test says otherwise: no result depends on today's date. */
export const DEFAULT_LANDING_TIME = new Date("2026-11-20T08:00:00Z");
/** `DEFAULT_LANDING_TIME`'s UTC day: the partition rejected records land in unless a test sets the clock. */
export const DEFAULT_LANDING_DAY: CalendarDay = {
  year: DEFAULT_LANDING_TIME.getUTCFullYear(),
  month: DEFAULT_LANDING_TIME.getUTCMonth() + 1,
  day: DEFAULT_LANDING_TIME.getUTCDate(),
};

/** A producer that may land and delete raw objects, encrypting with the lake key (declared ARNs). */
function producerDeclaration(run: ProgramRun): PrincipalDeclaration {
  const lake = run.one("aws:s3/bucket:Bucket", "datalake-lake").state.arn as string;
  const key = run.one("aws:kms/key:Key").state.arn as string;
  const document: PolicyDocument = {
    Version: "2012-10-17",
    Statement: [
      { Sid: "LandAndRemoveRawObjects", Effect: "Allow", Action: ["s3:PutObject", "s3:DeleteObject"], Resource: `${lake}/raw/*` },
      { Sid: "UseLakeKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: key },
    ],
  };
  return { name: PRINCIPALS.producer, policies: [{ name: "inline:producer", document }] };
}

/**
 * The Glue job's principal: its role's inline policy exactly as declared (heavy/policies.ts). Its
 * requests go through the VPC endpoints of the private subnets, where its network connection places it.
 */
function glueJobDeclaration(run: ProgramRun): PrincipalDeclaration | undefined {
  const grants = run.all("aws:iam/rolePolicy:RolePolicy").filter((policy) => policy.name === "datalake-glue");
  if (grants.length === 0) return undefined;
  return {
    name: PRINCIPALS.glueJob,
    policies: grants.map((grant) => ({ name: `inline:${grant.name}`, document: JSON.parse(grant.inputs.policy) as PolicyDocument })),
    networkOf: "datalake-processor",
  };
}

/** The CI smoke test's principal, with exactly the policy the program declares for it. */
function ciSmokeDeclaration(run: ProgramRun): PrincipalDeclaration {
  const declared = run.one("aws:iam/policy:Policy", "datalake-smoke-test");
  return { name: PRINCIPALS.ciSmoke, policies: [{ name: "managed:datalake-smoke-test", document: JSON.parse(declared.inputs.policy) as PolicyDocument }] };
}

export class LocalPipeline {
  /** The harness's own clients (admin): reading the lake, the queues, the Lambda service's plumbing. */
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  /** Lambda's SQS poller, which reads the processing queue with the processor's role. */
  private readonly poller: SQSClient;
  private readonly producer: S3Client;
  private readonly extraProcessors: LocalFunction[] = [];
  private glueRunner: LocalGlueJobRunner | undefined;

  private constructor(
    readonly endpoint: AwsEndpoint,
    readonly run: ProgramRun,
    readonly plane: DataPlane,
    readonly ingest: LocalFunction,
    readonly processor: LocalFunction,
    readonly clock: () => Date,
    /** The policy-enforcing endpoint, unless enforcement is off. */
    readonly policy: PolicyEndpoint | undefined,
    /** The fault proxy in front of the processor, when asked for. */
    readonly faults: FaultProxy | undefined,
    private readonly changes: S3ChangeLedger,
    private readonly startProcessor: () => Promise<LocalFunction>,
    /** The policies exactly as the program declares them, before any `adjustPolicies`. */
    private readonly declaredPolicies: PolicyModel | undefined,
  ) {
    this.s3 = new S3Client(this.clientConfigFor(PRINCIPALS.admin));
    this.sqs = new SQSClient(this.clientConfigFor(PRINCIPALS.admin));
    this.poller = new SQSClient(this.clientConfigFor("datalake-processor"));
    this.producer = new S3Client(this.clientConfigFor(PRINCIPALS.producer));
  }

  /** Provisions the stack's data plane on a clean endpoint and starts both functions from their uploads. */
  static async start(upstream: AwsEndpoint, run: ProgramRun, options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
    await upstream.reset();
    const enforce = (options.enforcePolicies ?? true) && upstream.isMoto;
    const policy = enforce ? await PolicyEndpoint.start(upstream, policyModelFromRun(run, { substitutions: new Substitutions() })) : undefined;
    // Provisioning goes through the policy endpoint, so that queue URLs name it (SQS clients send to their QueueUrl's host).
    const plane = await provisionDataPlane(run, policy ? policy.awsEndpointFor(PRINCIPALS.admin) : upstream);
    const glueJob = glueJobDeclaration(run);
    const principals = [producerDeclaration(run), ciSmokeDeclaration(run), ...(glueJob ? [glueJob] : [])];
    const declaredPolicies = policy ? policyModelFromRun(run, plane, { principals }) : undefined;
    if (policy && declaredPolicies) policy.useModel(options.adjustPolicies ? options.adjustPolicies(declaredPolicies) : declaredPolicies);
    const faults = options.faults ? await FaultProxy.start(policy ? policy.awsEndpointFor("datalake-processor") : upstream) : undefined;
    const environmentOf = (declared: RecordedResource): Record<string, string> => ({
      ...plane.functionEnvironment(declared),
      ...(policy ? policy.environmentFor(declared.name) : {}),
      ...(faults && declared.name === "datalake-processor" ? faults.environment : {}),
      ...(options.environmentOverrides?.[declared.name] ?? {}),
    });
    const declaredProcessor = run.one(FUNCTION, "datalake-processor");
    const startProcessor = () => startFunction(declaredProcessor, environmentOf(declaredProcessor));
    const ingest = await startFunction(run.one(FUNCTION, "datalake-ingest"), environmentOf(run.one(FUNCTION, "datalake-ingest")));
    const processor = await startProcessor().catch(async (error: unknown) => {
      await ingest.stop();
      throw error;
    });
    const clock = options.clock ?? (() => DEFAULT_LANDING_TIME);
    const changes = s3ChangeLedger(run, plane.buckets["datalake-lake"]!, upstream.region, clock);
    const pipeline = new LocalPipeline(upstream, run, plane, ingest, processor, clock, policy, faults, changes, startProcessor, declaredPolicies);
    // The processor may start runs of the declared job from its first batch.
    await pipeline.glueJobRunner();
    return pipeline;
  }

  /** Judges requests by the policies as the program declares them again, undoing `adjustPolicies` (a fix deployed). */
  restoreDeclaredPolicies(): void {
    if (this.policy && this.declaredPolicies) this.policy.useModel(this.declaredPolicies);
  }

  /** SDK client configuration for calling the local endpoint as a principal (`admin` when policies are not enforced). */
  clientConfigFor(principal: string): EndpointClientConfig {
    return this.policy ? this.policy.clientConfigFor(principal) : clientConfig(this.endpoint);
  }

  get lakeBucket(): string {
    return this.plane.buckets["datalake-lake"]!;
  }

  get processingQueue() {
    return this.plane.queues["datalake-processing"]!;
  }

  get deadLetterQueue() {
    return this.plane.queues["datalake-processing-dlq"]!;
  }

  private get notificationTap() {
    const tap = Object.values(this.plane.notificationTaps)[0];
    if (!tap) throw new Error("The program declares no bucket notification to a function");
    return tap;
  }

  /** Puts an object into the lake bucket as the producer, without any encryption header, as producers do. */
  async land(key: string, body: PutObjectCommandInput["Body"], extra: Omit<PutObjectCommandInput, "Bucket" | "Key" | "Body"> = {}): Promise<{ etag: string; versionId?: string }> {
    const put = await this.producer.send(new PutObjectCommand({ Bucket: this.lakeBucket, Key: key, Body: body, ...extra }));
    const landed = { etag: put.ETag!, ...(put.VersionId ? { versionId: put.VersionId } : {}) };
    this.changes.created(key, landed);
    return landed;
  }

  /** Deletes a raw key as the producer (a delete marker on the versioned lake) and queues S3's notification of it. */
  async remove(key: string): Promise<void> {
    const deleted = await this.producer.send(new DeleteObjectCommand({ Bucket: this.lakeBucket, Key: key }));
    const event = this.changes.removed(key, { deleteMarker: deleted.DeleteMarker === true, ...(deleted.VersionId ? { versionId: deleted.VersionId } : {}) });
    if (event) await this.sqs.send(new SendMessageCommand({ QueueUrl: this.notificationTap.url, MessageBody: JSON.stringify(event) }));
  }

  /** The S3 notifications waiting for ingest, as S3 sends them, in the order the changes were made. */
  async takeNotifications(): Promise<S3Event[]> {
    const events: S3Event[] = [];
    for (const event of await collectS3Notifications(this.sqs, this.notificationTap.url)) events.push(await this.changes.complete(event, this.versionOf));
    return events;
  }

  /** The emulator's newest version of a key with this ETag (the lake is versioned). */
  private readonly versionOf = async (key: string, etag: string): Promise<string | undefined> => {
    const listed = await this.s3.send(new ListObjectVersionsCommand({ Bucket: this.lakeBucket, Prefix: key }));
    return (listed.Versions ?? []).find((version) => version.Key === key && version.ETag?.replace(/"/g, "") === etag)?.VersionId;
  };

  /**
   * Invokes ingest for each event, in the given order (S3 does not guarantee the order), with the
   * retries and on-failure destination the program declares for its asynchronous invocations.
   */
  deliver(events: readonly S3Event[]): Promise<NotificationDelivery> {
    const declared = this.run.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "datalake-ingest-async").inputs;
    const destinationArn = this.plane.substitutions.apply(String(declared.destinationConfig?.onFailure?.destination ?? ""));
    const failuresQueue = Object.values(this.plane.queues).find((queue) => queue.arn === destinationArn);
    const ingestArn = this.plane.substitutions.apply(String(this.run.one(FUNCTION, "datalake-ingest").state.arn));
    return deliverS3Events(this.ingest, events, {
      maximumRetryAttempts: Number(declared.maximumRetryAttempts ?? 2),
      // Lambda sends the destination record with the function's own role.
      ...(failuresQueue ? { onFailure: { sqs: new SQSClient(this.clientConfigFor("datalake-ingest")), queueUrl: failuresQueue.url, functionArn: ingestArn } } : {}),
    });
  }

  /**
   * Plays the processing queue's event source mapping until the queue stays empty: batches of the
   * declared size, read with the processor's role. Failed messages are made visible again at once
   * (`retryImmediately`): the receive sequence of waiting out the visibility timeout.
   */
  process(): Promise<QueuePollingReport> {
    return pollQueue(this.poller, this.processor, {
      queueUrl: this.processingQueue.url,
      queueArn: this.processingQueue.arn,
      region: this.endpoint.region,
      batchSize: Number(this.run.one("aws:lambda/eventSourceMapping:EventSourceMapping").inputs.batchSize),
      retryImmediately: true,
    });
  }

  /** Plays the Lambda service until nothing is left to do: notifications to ingest, then the processing queue. */
  async drive(): Promise<DriveReport> {
    const notifications = await this.deliver(await this.takeNotifications());
    return { notifications, processing: await this.process() };
  }

  /**
   * Hands every message of the processing queue to its own processor sandbox at once, as the event
   * source mapping does under load (each a batch of one); returns how many messages were acknowledged.
   */
  async processConcurrently(): Promise<number> {
    const messages: Message[] = [];
    for (;;) {
      const { Messages = [] } = await this.poller.send(
        new ReceiveMessageCommand({ QueueUrl: this.processingQueue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ["All"], MessageAttributeNames: ["All"] }),
      );
      if (Messages.length === 0) break;
      messages.push(...Messages);
    }
    while (this.extraProcessors.length < messages.length - 1) this.extraProcessors.push(await this.startProcessor());
    const sandboxes = [this.processor, ...this.extraProcessors];
    const reports = await Promise.all(
      messages.map((message, index) =>
        pollQueue(this.poller, sandboxes[index]!, {
          queueUrl: this.processingQueue.url,
          queueArn: this.processingQueue.arn,
          region: this.endpoint.region,
          batchSize: 1,
          preReceived: [message],
        }),
      ),
    );
    return reports.reduce((sum, report) => sum + report.deleted, 0);
  }

  /**
   * Plays the Glue job runs the processor started (the emulator records them): each run's conversion
   * on a local Spark, calling the endpoint as the Glue job's role, its handbacks sent to the processing
   * queue for the next `process()`. Returns what each run did, oldest first.
   */
  async runGlueJobs(): Promise<{ readonly jobRunId: string; readonly run: LocalGlueRun }[]> {
    const jobName = this.glueJobName;
    if (jobName === undefined) throw new Error("The program declares no Glue job");
    return (await this.glueJobRunner()).runPending(jobName);
  }

  /**
   * The local Glue runner, with the declared job created on the emulator (StartJobRun needs it). Listing
   * and creating jobs is the Glue service's own doing: straight to the emulator, not as any principal.
   */
  private async glueJobRunner(): Promise<LocalGlueJobRunner> {
    if (this.glueRunner === undefined) {
      const contract = await this.declaredGlueContract();
      this.glueRunner = localGlueJobRunner({
        endpoint: this.policy ? this.policy.awsEndpointFor(PRINCIPALS.glueJob) : this.endpoint,
        serviceEndpoint: this.endpoint,
        bucket: this.lakeBucket,
        handbackQueueUrl: this.processingQueue.url,
        ...(contract ? { contract } : {}),
      });
      if (this.glueJobName !== undefined) await this.glueRunner.ensureJob(this.glueJobName);
    }
    return this.glueRunner;
  }

  /** The contract the program uploads next to the job's script (the stack's record limit and projection years in it). */
  private async declaredGlueContract(): Promise<GlueContract | undefined> {
    const upload = this.run.all("aws:s3/bucketObjectv2:BucketObjectv2").find((object) => object.name === "datalake-glue-contract");
    if (upload === undefined) return undefined;
    const source = upload.inputs.source as { text: string | Promise<string> };
    return JSON.parse(await source.text) as GlueContract;
  }

  /** The declared Glue job's name, when the program declares one. */
  private get glueJobName(): string | undefined {
    const job = this.run.all("aws:glue/job:Job")[0];
    return job === undefined ? undefined : String(job.inputs.name);
  }

  /** Messages waiting in the dead-letter queue (received with a short visibility timeout, not deleted). */
  async deadLetters(): Promise<Message[]> {
    const { Messages = [] } = await this.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: this.deadLetterQueue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 1, MessageSystemAttributeNames: ["All"] }),
    );
    return Messages;
  }

  async queueDepth(queueUrl: string): Promise<number> {
    const { Attributes } = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }));
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  }

  /** The lake as an independent reader sees it (DuckDB over copies of processed/, rejected/, curated/). */
  snapshot(): Promise<LakeSnapshot> {
    return readLake(this.s3, this.lakeBucket, this.run);
  }

  async stop(): Promise<void> {
    await Promise.all([this.ingest.stop(), this.processor.stop(), ...this.extraProcessors.map((fn) => fn.stop())]);
    await this.faults?.stop();
    await this.policy?.stop();
  }
}
