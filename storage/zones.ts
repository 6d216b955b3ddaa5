/**
 * The lake's zones and partition layout, shared by the storage layer, the handlers and analytics.
 * Pure module: no Pulumi or AWS imports, so Lambda closures can capture it.
 */

/** Top-level prefixes of the lake bucket. */
export const ZONES = {
  /** Objects as they land, one folder per dataset: `raw/<dataset>/…`. */
  raw: "raw/",
  /** Validated records as Parquet: `processed/<dataset>/year=YYYY/month=MM/day=DD/…`. */
  processed: "processed/",
  /** Aggregates built from `processed/` by the scheduled job. */
  curated: "curated/",
  /** Records that failed validation, as JSON Lines with their reason. */
  rejected: "rejected/",
  /** One small JSON object per raw key: what its latest version wrote (handlers/mirror.ts). Not a table. */
  manifests: "manifests/",
} as const;

export type Zone = keyof typeof ZONES;

/**
 * Prefixes of the lake bucket that belong to the Glue conversion job (handlers/glue-objects.ts);
 * none is under a table's location, and none is a zone of data.
 */
export const GLUE_PREFIXES = {
  /** The job's script, its Python package and the contract (uploaded by the program). */
  scripts: "glue/scripts/",
  /** Spark's staging output and Glue's temporary directory; expired by the lifecycle. */
  temp: "glue/temp/",
  /** One result document per converted object version, read by the processor on handback. */
  results: "glue/results/",
  /** Object lists of backfill runs (`--objects_key`). */
  runs: "glue/runs/",
} as const;

/** `<zone>/<dataset>/` */
export function datasetPrefix(zone: Zone, dataset: string): string {
  return `${ZONES[zone]}${dataset}/`;
}

/** Hive-style daily partition of a UTC instant: `year=YYYY/month=MM/day=DD/`. */
export function dailyPartition(instant: Date): string {
  const year = instant.getUTCFullYear().toString().padStart(4, "0");
  const month = (instant.getUTCMonth() + 1).toString().padStart(2, "0");
  const day = instant.getUTCDate().toString().padStart(2, "0");
  return `year=${year}/month=${month}/day=${day}/`;
}

/** The dataset of a raw object key (`raw/<dataset>/…`), or undefined when the key is not in a dataset folder. */
export function datasetOfRawKey(key: string): string | undefined {
  if (!key.startsWith(ZONES.raw)) return undefined;
  const rest = key.slice(ZONES.raw.length);
  const slash = rest.indexOf("/");
  if (slash <= 0 || slash === rest.length - 1) return undefined;
  return rest.slice(0, slash);
}
