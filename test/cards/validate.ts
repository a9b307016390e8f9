/**
 * Card validation per the project rule (shared/reference/teams.md, 11.5): parse with the
 * `adaptivecards` 3.0.6 SDK (its dist build; the ESM lib does not load in Node), collect parse
 * events and `validateProperties()` events, and fail on any of them except `UnknownElementType` for
 * a `Chart.*` element that has a `fallback`. Also: version 1.5 and at most 28 KB of JSON. Plus
 * checks the SDK does not make: toggle targets exist, bound text is text.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { CARD_MAX_BYTES, cardByteLength, type AdaptiveCard } from '../../src/cards/index.js';

interface SdkEvent {
  event: number;
  message: string;
}
interface AdaptiveCardsSdk {
  SerializationContext: new () => { eventCount: number; getEventAt(index: number): SdkEvent };
  AdaptiveCard: new () => {
    parse(json: unknown, context: unknown): void;
    validateProperties(): { validationEvents: SdkEvent[] };
  };
  ValidationEvent: Record<number, string>;
}

const require = createRequire(import.meta.url);
const AC = require('adaptivecards/dist/adaptivecards.js') as AdaptiveCardsSdk;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every object in the card JSON, depth first (elements, actions, facts, cells, data points). */
export function allObjects(node: unknown, out: Json[] = []): Json[] {
  if (Array.isArray(node)) {
    for (const child of node) allObjects(child, out);
  } else if (isObject(node)) {
    out.push(node);
    for (const child of Object.values(node)) allObjects(child, out);
  }
  return out;
}

/** Elements and actions of a given type. */
export function ofType(card: unknown, type: string): Json[] {
  return allObjects(card).filter((o) => o.type === type);
}

/** The element with this id. */
export function byId(card: unknown, id: string): Json | undefined {
  return allObjects(card).find((o) => o.id === id);
}

/** All TextBlock texts and Fact titles/values, in order. */
export function texts(card: unknown): string[] {
  const out: string[] = [];
  for (const o of allObjects(card)) {
    if (o.type === 'TextBlock' && typeof o.text === 'string') out.push(o.text);
    if (o.type === undefined && typeof o.title === 'string' && typeof o.value === 'string') out.push(o.title, o.value);
  }
  return out;
}

/** Problems with a card; empty when it is valid. */
export function cardProblems(card: AdaptiveCard): string[] {
  const problems: string[] = [];
  const ctx = new AC.SerializationContext();
  const parsed = new AC.AdaptiveCard();
  parsed.parse(card, ctx);
  const objects = allObjects(card);
  for (let i = 0; i < ctx.eventCount; i++) {
    const e = ctx.getEventAt(i);
    const name = AC.ValidationEvent[e.event] ?? String(e.event);
    const type = /Unknown element type "([^"]+)"/.exec(e.message)?.[1];
    const chartWithFallback =
      name === 'UnknownElementType' &&
      type !== undefined &&
      type.startsWith('Chart.') &&
      objects.filter((o) => o.type === type).every((o) => isObject(o.fallback));
    if (!chartWithFallback) problems.push(`parse: ${name}: ${e.message}`);
  }
  for (const e of parsed.validateProperties().validationEvents) {
    problems.push(`validate: ${AC.ValidationEvent[e.event] ?? e.event}: ${e.message}`);
  }
  if (card.type !== 'AdaptiveCard') problems.push(`type is ${String(card.type)}`);
  if (card.version !== '1.5') problems.push(`version is ${String(card.version)}`);
  if (card.$schema !== 'http://adaptivecards.io/schemas/adaptive-card.json')
    problems.push(`$schema is ${String(card.$schema)}`);
  const size = cardByteLength(card);
  if (size > CARD_MAX_BYTES) problems.push(`size ${size} bytes > ${CARD_MAX_BYTES}`);
  const ids = new Set(objects.map((o) => o.id).filter((id) => typeof id === 'string'));
  for (const toggle of objects.filter((o) => o.type === 'Action.ToggleVisibility')) {
    for (const target of (toggle.targetElements as unknown[] | undefined) ?? []) {
      const id = typeof target === 'string' ? target : isObject(target) ? target.elementId : undefined;
      if (typeof id !== 'string' || !ids.has(id)) problems.push(`toggle target ${String(id)} does not exist`);
    }
  }
  for (const o of objects) {
    if (o.type === 'TextBlock' && typeof o.text !== 'string') problems.push(`TextBlock text is ${typeof o.text}`);
    if (o.type === 'Action.OpenUrl' && (typeof o.url !== 'string' || !o.url.startsWith('https://')))
      problems.push(`OpenUrl url ${String(o.url)}`);
  }
  return problems;
}

/** Asserts that the card is valid (see `cardProblems`). */
export function assertValidCard(card: AdaptiveCard, label = 'card'): void {
  assert.deepEqual(cardProblems(card), [], `${label} is not a valid Teams card`);
}
