/**
 * Reads the stack configuration from the Pulumi runtime once and turns it into typed `Settings`.
 * Only this module touches `pulumi.Config`; the layers receive `Settings`.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE } from "./schema";
import { ConfigError, RawConfig, Settings, parseSettings } from "./settings";

export * from "./settings";
export { schema, CONFIG_NAMESPACE } from "./schema";
export type { PipelineEventSubscriber, SubscriberProtocol } from "./subscribers";

/** The project's keys from the runtime config, unqualified (`datalake:vpcCidr` → `vpcCidr`). */
export function readRawConfig(all: Readonly<Record<string, string>> = pulumi.runtime.allConfig()): RawConfig {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const raw: Record<string, string> = {};
  for (const [qualifiedKey, value] of Object.entries(all)) {
    if (qualifiedKey.startsWith(prefix)) raw[qualifiedKey.slice(prefix.length)] = value;
  }
  return raw;
}

/**
 * Settings of the stack being deployed. Invalid configuration stops the program with a
 * `pulumi.RunError` whose message names every invalid key (ConfigError's), which the CLI prints once,
 * without a stack trace.
 */
export function loadSettings(): Settings {
  try {
    return parseSettings(readRawConfig(), pulumi.getStack());
  } catch (error) {
    if (error instanceof ConfigError) throw new pulumi.RunError(error.message);
    throw error;
  }
}
