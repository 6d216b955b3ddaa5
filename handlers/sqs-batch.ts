/**
 * SQS partial batch responses: each record is handled on its own, one after another, and those that
 * failed are returned as `batchItemFailures`, which Lambda's event source mapping (with
 * `ReportBatchItemFailures`) makes visible again while deleting the others ("Handling errors for an
 * SQS event source in Lambda", AWS Lambda Developer Guide). An empty list acknowledges the whole
 * batch; a batch whose every record failed is still a partial response, so SQS retries exactly those.
 *
 * Why not Powertools' BatchProcessor: the processor needs exactly this loop (sequential, so memory
 * stays bounded by one conversion); the package and its commons added 1.8 MB to the upload (issue 20).
 */
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";

/**
 * Runs `handle` on every record in order; a record whose promise rejects becomes a batch item failure.
 *
 * @example
 * ```ts
 * const response = await partialBatchResponse(event.Records, (record) => handleProcessorRecord(record, deps));
 * // { batchItemFailures: [{ itemIdentifier: "message-2" }] } when only message-2 failed
 * ```
 */
export async function partialBatchResponse(records: readonly SQSRecord[], handle: (record: SQSRecord) => Promise<void>): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
  for (const record of records) {
    try {
      await handle(record);
    } catch {
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}
