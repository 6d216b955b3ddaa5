/**
 * The whole data path of a stack on a local AWS endpoint: the data plane the program declares,
 * provisioned from its resources; the functions' exact uploads running warm on the local Lambda host
 * (tests/harness/local-function.ts) with their declared runtime, memory size, timeout and environment;
 * and the Lambda service's event sources played in between. Used by the integration tests and by
 * `npm run demo`.
 *
 * @example
 * ```ts
 * const pipeline = await LocalPipeline.start(endpoint, run);
 * await pipeline.land("raw/events/a.jsonl", body);
 * const report = await pipeline.drive();
 * const lake = await pipeline.snapshot();
 * ```
 */
import { PutObjectCommand, S3Client, type PutObjectCommandInput } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from "@aws-sdk/client-sqs";
import type { ProgramRun } from "./program";
import type { RecordedResource } from "./mocks";
import { clientConfig, type AwsEndpoint } from "./emulator";
import { provisionDataPlane, type DataPlane } from "./provision";
import { startFunction } from "./lambda";
import type { LocalFunction } from "./local-function";
import { deliverS3Notifications, pollQueue, type NotificationDelivery, type QueuePollingReport } from "./event-sources";
import { readLake, type LakeSnapshot } from "./lake-reader";

const FUNCTION = "aws:lambda/function:Function";

export interface DriveReport {
  readonly notifications: NotificationDelivery;
  readonly processing: QueuePollingReport;
}

export interface LocalPipelineOptions {
  /** Environment overrides per declared function name, e.g. to route the processor through a fault proxy. */
  readonly environmentOverrides?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** When landed objects are announced as having landed (S3's `eventTime`); defaults to `DEFAULT_LANDING_TIME`. */
  readonly clock?: () => Date;
}

/** The landing time of the local pipeline unless a test says otherwise: no result depends on today's date. */
export const DEFAULT_LANDING_TIME = new Date("2026-11-20T08:00:00Z");

export class LocalPipeline {
  readonly s3: S3Client;
  readonly sqs: SQSClient;

  private constructor(
    readonly endpoint: AwsEndpoint,
    readonly run: ProgramRun,
    readonly plane: DataPlane,
    readonly ingest: LocalFunction,
    readonly processor: LocalFunction,
    readonly clock: () => Date,
  ) {
    this.s3 = new S3Client(clientConfig(endpoint));
    this.sqs = new SQSClient(clientConfig(endpoint));
  }

  /** Provisions the stack's data plane on a clean endpoint and starts both functions from their uploads. */
  static async start(endpoint: AwsEndpoint, run: ProgramRun, options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
    await endpoint.reset();
    const plane = await provisionDataPlane(run, endpoint);
    const start = (declared: RecordedResource): Promise<LocalFunction> =>
      startFunction(declared, { ...plane.functionEnvironment(declared), ...(options.environmentOverrides?.[declared.name] ?? {}) });
    const ingest = await start(run.one(FUNCTION, "datalake-ingest"));
    const processor = await start(run.one(FUNCTION, "datalake-processor")).catch(async (error: unknown) => {
      await ingest.stop();
      throw error;
    });
    return new LocalPipeline(endpoint, run, plane, ingest, processor, options.clock ?? (() => DEFAULT_LANDING_TIME));
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

  /** Puts an object into the lake bucket, as a producer would. */
  async land(key: string, body: PutObjectCommandInput["Body"], extra: Omit<PutObjectCommandInput, "Bucket" | "Key" | "Body"> = {}): Promise<{ etag: string; versionId?: string }> {
    const put = await this.s3.send(new PutObjectCommand({ Bucket: this.lakeBucket, Key: key, Body: body, ...extra }));
    return { etag: put.ETag!, ...(put.VersionId ? { versionId: put.VersionId } : {}) };
  }

  /**
   * Plays the Lambda service until nothing is left to do: S3 notifications to ingest, then the
   * processing queue to the processor with the declared batch size. Failed messages are made
   * visible again at once (`retryImmediately`), which gives the receive sequence of waiting out the
   * visibility timeout.
   */
  async drive(): Promise<DriveReport> {
    const tap = Object.values(this.plane.notificationTaps)[0];
    if (!tap) throw new Error("The program declares no bucket notification to a function");
    const notifications = await deliverS3Notifications(this.sqs, tap.url, this.ingest, this.clock);
    const processing = await pollQueue(this.sqs, this.processor, {
      queueUrl: this.processingQueue.url,
      queueArn: this.processingQueue.arn,
      region: this.endpoint.region,
      batchSize: Number(this.run.one("aws:lambda/eventSourceMapping:EventSourceMapping").inputs.batchSize),
      retryImmediately: true,
    });
    return { notifications, processing };
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
    await Promise.all([this.ingest.stop(), this.processor.stop()]);
  }
}
