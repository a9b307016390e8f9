/**
 * Dataset mode: the simulator serves exactly the MachineAction objects of a JSON array file (key
 * order and values as given). Validation is structural only, so that odd but real-looking values
 * (unknown types, statuses, request sources) pass through untouched.
 */
import { readFile } from 'node:fs/promises';
import { MACHINE_ACTION_KEYS, type MachineAction } from '../core/types.js';

/**
 * Checks that every item is an object with the 20 MachineAction keys and a unique non-empty string
 * `id`. Field values are not checked: a dataset may hold malformed items on purpose (a client's
 * quarantine path is tested that way); the simulator sorts malformed timestamps by best effort.
 * Throws an Error naming the index of the first bad item.
 */
export function validateDataset(items: unknown, source: string): MachineAction[] {
  if (!Array.isArray(items)) throw new Error(`Dataset ${source}: expected a JSON array of MachineAction objects`);
  const ids = new Set<string>();
  items.forEach((item, index) => {
    const where = `Dataset ${source}: item ${index}`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new Error(`${where} is not an object`);
    const o = item as Record<string, unknown>;
    for (const k of MACHINE_ACTION_KEYS) {
      if (!(k in o))
        throw new Error(`${where} lacks key(s) ${MACHINE_ACTION_KEYS.filter((m) => !(m in o)).join(', ')}`);
    }
    const id = o['id'];
    if (typeof id !== 'string' || id === '') throw new Error(`${where} has no string id`);
    if (ids.has(id)) throw new Error(`${where} repeats id ${id}`);
    ids.add(id);
  });
  return items as MachineAction[];
}

/** Reads and validates a dataset file (a JSON array of MachineAction objects). */
export async function loadDataset(path: string): Promise<MachineAction[]> {
  const text = await readFile(path, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`Dataset ${path} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return validateDataset(parsed, path);
}
