/**
 * SQS's own limits that the program and the stack configuration derive settings from. Pure module:
 * config/schema.ts, the messaging layer and the storage lifecycle read it.
 */

/**
 * The longest a standard queue keeps a message: `MessageRetentionPeriod` is 60 to 1,209,600
 * seconds (Amazon SQS API Reference, SetQueueAttributes).
 */
export const SQS_MAX_RETENTION_DAYS = 14;
