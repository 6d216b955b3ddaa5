/**
 * The Powertools for AWS Lambda (TypeScript) layer AWS publishes, from which every function loads
 * Logger, Metrics and Batch instead of packing them: the uploads stay small (issue 20: ≤ 1 MB
 * unzipped) while the functions use the field's well-kept library (the project's guide).
 *
 * One table maps each Powertools version the stack may pin (`datalake:powertoolsVersion`,
 * config/schema.ts) to the layer version that carries it, as Powertools' own documentation lists it;
 * the ARN every function declares and the packages the local function host provides
 * (tests/lambda-runtime/layers/powertools, checked against this table) come from that one pin.
 *
 * Sources, per entry: the "Lambda layers" page of each release's documentation
 * (`docs.aws.amazon.com/powertools/typescript/<version>/getting-started/lambda-layers`, built from
 * `docs/getting-started/lambda-layers.md` of aws-powertools/powertools-lambda-typescript, which the
 * release workflow updates right after each version bump):
 * - 2.35.0 → 50: commit 805b8eeb4 "chore(ci): update layer ARN on documentation (#5565)", after
 *   7bcc27b15 "chore(ci): bump version to 2.35.0 (#5563)", 2026-08-18.
 * - 2.34.0 → 49: commit 9d8e6c84b (#5449), after e8cff7f39 "bump version to 2.34.0 (#5448)", 2026-07-10.
 * - 2.33.1 → 48: commit d7ebe65dd (#5289), after a3d3147a4 "bump version to 2.33.1 (#5288)", 2026-05-25.
 * The same page of 2.19.0 lists layer 25 (the oldest mapping seen; not accepted here, the handlers
 * use options of the 2.3x API). The pages also name the SSM public parameter
 * `/aws/service/powertools/typescript/generic/all/<version>` that holds the ARN per region; a literal
 * ARN is used instead so that `pulumi preview` needs no AWS call and the mapping is reviewed here.
 *
 * The layer is published in every commercial region under account 094274105915 (GovCloud and China
 * under other accounts, not supported here), except that new versions are paused in me-south-1
 * (last: 46) and me-central-1 (last: 45), as the 2.35.0 page notes.
 *
 * Pure module: config/schema.ts, the program and the local host all read it.
 */

/** The account that publishes the layer in the commercial partition. */
export const POWERTOOLS_LAYER_ACCOUNT = "094274105915";
/** The layer's name: every version of Powertools for AWS Lambda (TypeScript) v2. */
export const POWERTOOLS_LAYER_NAME = "AWSLambdaPowertoolsTypeScriptV2";

/** Powertools version → the layer version that carries it (sources in the module header). */
export const POWERTOOLS_LAYER_VERSIONS = {
  "2.33.1": 48,
  "2.34.0": 49,
  "2.35.0": 50,
} as const;

export type PowertoolsVersion = keyof typeof POWERTOOLS_LAYER_VERSIONS;

/** The Powertools versions the stack may pin, oldest first. */
export const POWERTOOLS_VERSIONS = Object.keys(POWERTOOLS_LAYER_VERSIONS) as PowertoolsVersion[];

/** The default pin: the newest version in the table (the local layer tree and package.json pin the same; a test checks). */
export const DEFAULT_POWERTOOLS_VERSION: PowertoolsVersion = POWERTOOLS_VERSIONS[POWERTOOLS_VERSIONS.length - 1]!;

/** Regions where new layer versions are paused, with the last version published there. */
export const PAUSED_REGIONS: Readonly<Record<string, number>> = { "me-south-1": 46, "me-central-1": 45 };

/** A pinned layer: the Powertools version and the layer version that carries it. */
export interface PowertoolsLayer {
  readonly powertoolsVersion: PowertoolsVersion;
  readonly layerVersion: number;
}

/**
 * The layer of a pinned Powertools version.
 *
 * @example powertoolsLayer("2.35.0"); // { powertoolsVersion: "2.35.0", layerVersion: 50 }
 */
export function powertoolsLayer(powertoolsVersion: PowertoolsVersion): PowertoolsLayer {
  return { powertoolsVersion, layerVersion: POWERTOOLS_LAYER_VERSIONS[powertoolsVersion] };
}

/**
 * The layer version's ARN in a region, as a function declares it in `layers`. Throws for a
 * partition other than `aws` and for a region where that layer version is not published.
 *
 * @example
 * powertoolsLayerArn({ partition: "aws", region: "eu-west-1" }, 50);
 * // "arn:aws:lambda:eu-west-1:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:50"
 */
export function powertoolsLayerArn(where: { readonly partition: string; readonly region: string }, layerVersion: number): string {
  if (where.partition !== "aws") {
    throw new Error(`The Powertools layer is published under another account in the ${where.partition} partition; only the commercial partition (aws) is supported`);
  }
  const lastPublished = PAUSED_REGIONS[where.region];
  if (lastPublished !== undefined && layerVersion > lastPublished) {
    throw new Error(`datalake:powertoolsVersion: Powertools layer version ${layerVersion} is not published in ${where.region} (new versions are paused there; the last is ${lastPublished}, older than every version this program accepts)`);
  }
  return `arn:aws:lambda:${where.region}:${POWERTOOLS_LAYER_ACCOUNT}:layer:${POWERTOOLS_LAYER_NAME}:${layerVersion}`;
}

/** What a Powertools layer ARN names. */
export interface ParsedLayerArn {
  readonly region: string;
  readonly layerVersion: number;
}

/**
 * Reads a Powertools layer ARN; undefined for any other layer.
 *
 * @example parsePowertoolsLayerArn("arn:aws:lambda:eu-west-1:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:50"); // { region: "eu-west-1", layerVersion: 50 }
 */
export function parsePowertoolsLayerArn(arn: string): ParsedLayerArn | undefined {
  const match = /^arn:aws:lambda:([a-z0-9-]+):(\d{12}):layer:([A-Za-z0-9_-]+):(\d+)$/.exec(arn);
  if (!match || match[2] !== POWERTOOLS_LAYER_ACCOUNT || match[3] !== POWERTOOLS_LAYER_NAME) return undefined;
  return { region: match[1]!, layerVersion: Number(match[4]) };
}

/** The Powertools version a layer version carries, if the table knows it. */
export function powertoolsVersionOfLayer(layerVersion: number): PowertoolsVersion | undefined {
  return POWERTOOLS_VERSIONS.find((version) => POWERTOOLS_LAYER_VERSIONS[version] === layerVersion);
}
