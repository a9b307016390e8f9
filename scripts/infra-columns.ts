/**
 * `npm run infra:columns`: writes infra/columns.json (the columns of the Log Analytics table
 * MDEMachineActions_CL, read by infra/loganalytics.bicep for the table and the data collection rule)
 * from DCR_COLUMNS in src/queries/schema.ts. Run it after every change to DCR_COLUMNS, then deploy
 * the template again: the table and the DCR never extend themselves.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { COLUMNS_JSON_PATH, columnsJson } from './columns-json.js';

const text = columnsJson();
let current: string | undefined;
try {
  current = readFileSync(COLUMNS_JSON_PATH, 'utf8');
} catch {
  current = undefined;
}
if (current === text) {
  process.stdout.write(`${COLUMNS_JSON_PATH} is up to date.\n`);
} else {
  writeFileSync(COLUMNS_JSON_PATH, text);
  process.stdout.write(`Wrote ${COLUMNS_JSON_PATH}. Deploy infra/loganalytics.bicep again to apply the change.\n`);
}
