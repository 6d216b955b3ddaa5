/**
 * Processor: consumes the processing queue in batches. Each message names one change of a raw key
 * (a new version, a deletion, a replay), applied so that the lake mirrors the key's latest version
 * (`./apply-change`); each is handled on its own so that one failure never retries the others. Powertools' `BatchProcessor`
 * builds the partial batch response; records are processed one after another (not in parallel) so
 * that memory stays bounded by one conversion. Before each object after the first, the batch's
 * time budget (`./time-budget`) decides whether it can still finish before the deadline; the
 * objects it cannot fit are reported as batch item failures without being started.
 */
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { LogSink } from "./log";
import type { ObjectLandedMessage } from "./ingest";
import { applyChange, type ApplyDependencies, type VersionOutputs } from "./apply-change";
import { manifestStore } from "./mirror";
import { outputName } from "./outputs";
import { PermanentError, isPermanent, permanentCause } from "./errors";
import { findDataset, type DatasetDefinition } from "./datasets";
import { DEFAULT_PLANNING_BYTES_PER_SECOND, timeBudget, type PlannedObject } from "./time-budget";
import { handOff, handbackOutputs, handbackWritten, isHandedOff, isHeavy, orphanedOutputs, type HeavyRoute } from "./heavy-route";
import { isGlueHandback } from "./glue-objects";
import { datasetPrefix } from "../storage/zones";
import { MAX_S3_KEY_BYTES, boundedKeySegment } from "./s3-keys";

/** Room for the dataset segment of a rejected-object key: the rest of the key takes under 130 bytes. */
const MAX_DATASET_SEGMENT_BYTES = MAX_S3_KEY_BYTES - 256;

export interface ProcessorDependencies {
  readonly s3: Pick<S3Client, "send">;
  readonly logger: LogSink;
  /** Converts one raw object version of a known dataset; throws `PermanentError` for data that can never be read. */
  readonly convert: (message: ObjectLandedMessage, dataset: DatasetDefinition) => Promise<VersionOutputs>;
  /** Where applied changes are announced; absent: not announced. */
  readonly events?: ApplyDependencies["events"];
  /** Conversion throughput assumed when planning a batch against the deadline (see `./time-budget`). */
  readonly planningBytesPerSecond?: number;
  /** Milliseconds since the epoch, to time each conversion; defaults to `Date.now`. */
  readonly now?: () => number;
  /** Objects at or above the route's threshold go to the Glue job (./heavy-route); absent: every object is converted here. */
  readonly heavy?: HeavyRoute;
}

/** Parses and checks a queue message; a malformed message is permanent. */
export function parseObjectLandedMessage(body: string): ObjectLandedMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new PermanentError("Message body is not JSON", "malformed_message");
  }
  if (typeof parsed !== "object" || parsed === null) throw new PermanentError("Message body is not an object", "malformed_message");
  const candidate = parsed as Record<string, unknown>;
  for (const field of ["bucket", "key", "dataset", "etag", "eventTime"] as const) {
    if (typeof candidate[field] !== "string") {
      throw new PermanentError(`Message field ${field} is missing or not a string`, "malformed_message");
    }
  }
  if (typeof candidate.size !== "number") throw new PermanentError("Message field size is missing or not a number", "malformed_message");
  if (candidate.change !== undefined && candidate.change !== "created" && candidate.change !== "removed") {
    throw new PermanentError(`Message field change ${JSON.stringify(candidate.change)} is not created or removed`, "malformed_message");
  }
  return candidate as unknown as ObjectLandedMessage;
}

/**
 * Key of the record kept in `rejected/` for an object version rejected whole: named like the
 * version's other outputs (`outputName`: a readable stem of at most 80 characters and a hash of
 * bucket, key and version), so it is replaced with the version. The dataset segment comes from the
 * message and is cut (with a hash) so the key stays within S3's 1,024 bytes of UTF-8 ("The object key
 * name … with a maximum length of 1,024 bytes", Amazon S3 User Guide, "Naming Amazon S3 objects"): a
 * longer key is refused with a 400 that reads as transient, so the message would go to the DLQ.
 */
export function rejectedObjectKey(message: Pick<ObjectLandedMessage, "bucket" | "dataset" | "key" | "etag" | "versionId">): string {
  const dataset = boundedKeySegment(message.dataset || "_unknown", MAX_DATASET_SEGMENT_BYTES);
  return `${datasetPrefix("rejected", dataset)}_objects/${outputName(message)}.json`;
}

/** Writes the whole-object rejection record of a message. */
async function writeRejectedObject(message: ObjectLandedMessage | RejectedMessageStub, error: PermanentError, deps: ProcessorDependencies): Promise<string> {
  const key = rejectedObjectKey(message);
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: message.bucket,
      Key: key,
      ContentType: "application/json",
      Body: JSON.stringify({ source: message, reason: error.reason, detail: error.message, rejectedAt: new Date((deps.now ?? Date.now)()).toISOString() }),
    }),
  );
  deps.logger.warn("Rejected object", { key: message.key, reason: error.reason, detail: error.message });
  return key;
}

/** The version's outputs: its conversion, or, for data that can never be read, its rejection record. */
async function versionOutputs(message: ObjectLandedMessage, produce: (message: ObjectLandedMessage) => Promise<VersionOutputs>, deps: ProcessorDependencies): Promise<VersionOutputs> {
  try {
    return await produce(message);
  } catch (error) {
    const permanent = permanentCause(error);
    if (permanent === undefined) throw error;
    const record = await writeRejectedObject(message, permanent, deps);
    return { outputs: [record], partitions: [], rowsRead: 0, rowsWritten: 0, rowsRejected: 0 };
  }
}

async function processRecord(record: SQSRecord, deps: ProcessorDependencies): Promise<void> {
  const message = parseObjectLandedMessage(record.body);
  const dataset = findDataset(message.dataset);
  if (dataset === undefined) throw new PermanentError(`Unknown dataset ${message.dataset}`, "unknown_dataset");
  const now = deps.now ?? Date.now;
  const store = manifestStore(deps.s3, message.bucket);
  // A handback brings the outputs the Glue job wrote; a heavy object goes to the job (./heavy-route).
  const handback = isGlueHandback(message) ? message : undefined;
  const route = deps.heavy;
  // `effective` is the message as applied: a replay of the same version keeps its first landing time.
  const produce = handback
    ? () => handbackOutputs(handback, deps.s3)
    : route && isHeavy(message, route.thresholdBytes)
      ? (effective: ObjectLandedMessage) => handOff(effective, dataset, route, deps.s3, deps.logger)
      : (effective: ObjectLandedMessage) => deps.convert(effective, dataset);
  let outcome: Awaited<ReturnType<typeof applyChange>>;
  try {
    outcome = await applyChange(message, (effective) => versionOutputs(effective, produce, deps), {
      store,
      s3: deps.s3,
      logger: deps.logger,
      ...(deps.events ? { events: deps.events } : {}),
      now: () => new Date(now()),
    });
  } catch (error) {
    // The job run is started: the change is applied when the job hands the message back.
    if (isHandedOff(error)) return;
    throw error;
  }
  if (handback && outcome === "stale") {
    // A later version won while the job ran: what the job wrote is in no manifest.
    const kept = (await store.read(message.dataset, message.key))?.manifest.outputs ?? [];
    await store.deleteOutputs(orphanedOutputs(await handbackWritten(handback, deps.s3), kept));
  }
}

/** What a message that could not be applied names, enough to file its rejection record. */
type RejectedMessageStub = Pick<ObjectLandedMessage, "bucket" | "dataset" | "key" | "etag" | "versionId">;

/**
 * Records a message that cannot be applied at all (malformed, or of an unknown dataset): under
 * `rejected/<dataset>/_objects/` when it names a bucket, otherwise only in the log.
 */
async function recordRejectedMessage(record: SQSRecord, error: PermanentError, deps: ProcessorDependencies): Promise<void> {
  let message: RejectedMessageStub | undefined;
  try {
    message = parseObjectLandedMessage(record.body);
  } catch {
    // a malformed body is logged verbatim below
  }
  if (message === undefined || !message.bucket) {
    deps.logger.error("Rejected malformed message", { messageId: record.messageId, reason: error.reason, body: record.body });
    return;
  }
  await writeRejectedObject(message, error, deps);
}

/** The S3 key and dataset a message names, for log lines; empty for a malformed message. */
function sourceOf(record: SQSRecord): { key?: string; dataset?: string } {
  try {
    const { key, dataset } = parseObjectLandedMessage(record.body);
    return { key, dataset };
  } catch {
    return {};
  }
}

/**
 * Handles one queue message: applies its change, or records a message that can never be applied in
 * `rejected/` and acknowledges it. Throws only for transient failures, which makes it a batch item
 * failure. Only `PermanentError`s are permanent here: the reading of the raw object classifies its
 * own S3 errors (a 404 there is a missing object), while a 404 from anything else (a topic, a
 * manifest request) is not a statement about the data and is retried.
 */
export async function handleProcessorRecord(record: SQSRecord, deps: ProcessorDependencies): Promise<void> {
  try {
    await processRecord(record, deps);
  } catch (error) {
    const permanent = isPermanent(error) ? error : undefined;
    if (permanent === undefined) {
      deps.logger.error("Transient failure; message will be retried", { messageId: record.messageId, ...sourceOf(record), error: String(error) });
      throw error;
    }
    // If even the rejection cannot be recorded, the message is retried rather than lost.
    await recordRejectedMessage(record, permanent, deps);
  }
}

/**
 * Handles one SQS batch and returns the messages to retry.
 *
 * @example
 * ```ts
 * const response = await handleProcessorBatch(event, { s3, logger, convert });
 * // response.batchItemFailures lists only the transiently failed messages
 * ```
 */
export async function handleProcessorBatch(event: SQSEvent, deps: ProcessorDependencies, context?: Context): Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  const budget = context
    ? timeBudget(() => context.getRemainingTimeInMillis(), deps.planningBytesPerSecond ?? DEFAULT_PLANNING_BYTES_PER_SECOND, context.getRemainingTimeInMillis())
    : undefined;
  const deferred: string[] = [];
  const handle = async (record: SQSRecord): Promise<void> => {
    const planned = plannedObjectOf(record, deps.heavy?.thresholdBytes);
    if (budget && (deferred.length > 0 || !budget.mayStart(planned, record === event.Records[0]))) {
      deferred.push(record.messageId);
      throw new DeferredMessage(record.messageId);
    }
    const now = deps.now ?? Date.now;
    const started = now();
    await handleProcessorRecord(record, deps);
    budget?.finished(planned, now() - started);
  };
  const response = await processPartialResponse(event, handle, processor, {
    ...(context ? { context } : {}),
    processInParallel: false,
    // Every message failing is still a partial response: SQS retries exactly those.
    throwOnFullBatchFailure: false,
  });
  if (deferred.length > 0) {
    deps.logger.warn("Deferred messages to a new invocation: not enough time left to convert them", {
      deferred: deferred.length,
      remainingMs: context?.getRemainingTimeInMillis(),
      messageIds: deferred,
    });
  }
  return response;
}

/** A message left for a later invocation because the deadline is too close (not an error of its own). */
class DeferredMessage extends Error {
  constructor(messageId: string) {
    const message = `Message ${messageId} deferred: not enough time left`;
    super(message);
    // Set explicitly, as in PermanentError: the serialized closure does not run Error's initialisation.
    this.message = message;
    this.name = "DeferredMessage";
  }
}

/**
 * The object a message names, for planning; a malformed message plans as empty (it fails fast), and
 * so do a heavy object (only a job run is started) and a handback (only its result is read).
 */
function plannedObjectOf(record: SQSRecord, heavyThresholdBytes: number | undefined): PlannedObject {
  try {
    const message = parseObjectLandedMessage(record.body);
    const handedOver = isGlueHandback(message) || (heavyThresholdBytes !== undefined && isHeavy(message, heavyThresholdBytes));
    return { key: message.key, size: handedOver ? 0 : message.size };
  } catch {
    return { key: "", size: 0 };
  }
}
