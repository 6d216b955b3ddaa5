/**
 * Deterministic sample records of the registry's datasets, their raw encodings (JSON Lines, CSV,
 * gzip), and the answers the seed's queries must give over them. Used by the integration tests and
 * by `npm run demo`.
 */
import { gzipSync } from "node:zlib";

export interface SampleEvent {
  readonly event_id: string;
  readonly user_id: number;
  readonly event_timestamp: string;
  readonly event_type: string;
  readonly properties: Readonly<Record<string, string>>;
}

export interface SampleUser {
  readonly user_id: number;
  readonly email: string;
  readonly name: string;
  readonly country: string;
  readonly signup_timestamp: string;
}

const EVENT_TYPES = ["page_view", "add_to_cart", "purchase", "page_view", "search"] as const;

export const SAMPLE_USERS: readonly SampleUser[] = [
  { user_id: 1, email: "ada@example.com", name: "Ada", country: "GB", signup_timestamp: "2026-01-10T09:00:00Z" },
  { user_id: 2, email: "lin@example.com", name: "Lin", country: "SG", signup_timestamp: "2026-02-11T10:30:00Z" },
  { user_id: 3, email: "sam@example.com", name: "Sam, Jr.", country: "US", signup_timestamp: "2026-03-12T12:45:00Z" },
];

/**
 * `count` events on a UTC day, spread over its hours, cycling through types and users.
 *
 * @example sampleEvents("2026-11-01", 5, "a") // 5 events on 2026-11-01 with ids a-0 … a-4
 */
export function sampleEvents(day: string, count: number, idPrefix: string): SampleEvent[] {
  return Array.from({ length: count }, (_, index) => ({
    event_id: `${idPrefix}-${index}`,
    user_id: SAMPLE_USERS[index % SAMPLE_USERS.length]!.user_id,
    event_timestamp: `${day}T${String((index * 5) % 24).padStart(2, "0")}:${String((index * 7) % 60).padStart(2, "0")}:00Z`,
    event_type: EVENT_TYPES[index % EVENT_TYPES.length]!,
    properties: { page: `/p/${index % 4}`, source: index % 2 === 0 ? "web" : "app" },
  }));
}

export function jsonLines(records: readonly object[]): string {
  return records.map((record) => JSON.stringify(record)).join("\n") + "\n";
}

function csvField(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV with a header row; nested values (the properties map) as JSON text. */
export function csv(records: readonly object[], columns: readonly string[]): string {
  const rows = records.map((record) => columns.map((column) => csvField((record as Record<string, unknown>)[column])).join(","));
  return [columns.join(","), ...rows].join("\n") + "\n";
}

export const EVENT_COLUMNS = ["event_id", "user_id", "event_timestamp", "event_type", "properties"] as const;
export const USER_COLUMNS = ["user_id", "email", "name", "country", "signup_timestamp"] as const;

export function gzip(text: string): Buffer {
  return gzipSync(Buffer.from(text, "utf8"));
}

/** The seed's "events per type for one day" over sample events: `[{ event_type, events }]`, most first. */
export function expectedEventsPerType(events: readonly SampleEvent[], day: string): Array<{ event_type: string; events: number }> {
  const counts = new Map<string, number>();
  for (const event of events.filter((candidate) => candidate.event_timestamp.startsWith(day))) {
    counts.set(event.event_type, (counts.get(event.event_type) ?? 0) + 1);
  }
  return [...counts]
    .map(([event_type, events]) => ({ event_type, events }))
    .sort((left, right) => right.events - left.events || left.event_type.localeCompare(right.event_type));
}

/** The seed's "events per user joined with users" for one day: `[{ user_id, email, country, events }]`. */
export function expectedEventsPerUser(events: readonly SampleEvent[], users: readonly SampleUser[], day: string): Array<{ user_id: number; email: string; country: string; events: number }> {
  const counts = new Map<number, number>();
  for (const event of events.filter((candidate) => candidate.event_timestamp.startsWith(day))) {
    counts.set(event.user_id, (counts.get(event.user_id) ?? 0) + 1);
  }
  return users
    .filter((user) => counts.has(user.user_id))
    .map((user) => ({ user_id: user.user_id, email: user.email, country: user.country, events: counts.get(user.user_id)! }))
    .sort((left, right) => right.events - left.events || left.user_id - right.user_id);
}
