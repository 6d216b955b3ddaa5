/**
 * Conversion of one raw object to partitioned Parquet.
 *
 * Not implemented yet (tracked by issue #6): until it lands, every message for a known dataset fails
 * transiently, so SQS retries it and then keeps it in the dead-letter queue. Nothing is dropped:
 * the raw object stays in `raw/` and the message can be redriven once conversion ships.
 */
import type { ObjectLandedMessage } from "./ingest";
import type { DatasetDefinition } from "./datasets";

export async function convertObject(message: ObjectLandedMessage, dataset: DatasetDefinition): Promise<void> {
  throw new Error(`Conversion of ${dataset.name} object ${message.key} is not implemented yet`);
}
