import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COLUMNS_JSON_COMMAND, COLUMNS_JSON_PATH, columnsJson } from '../../scripts/columns-json.js';
import { DCR_COLUMNS, DCR_TABLE } from '../../src/queries/schema.js';
import { kqlDiagnostics, kqlResultColumns, kqlTokens, stringLiteralKind } from '../queries/kusto.js';
import { WORKSPACES } from '../queries/kql-tables.js';
import { ROOT } from '../support/child.js';
import {
  allTokens,
  arrayItems,
  type Declaration,
  objectProperties,
  parseBicep,
  property,
  references,
  text,
  type Token,
} from './bicep.js';
import {
  type Expansion,
  expandWorkbookQuery,
  PARAMETER_REFERENCE,
  type Workbook,
  type WorkbookItem,
} from './workbook.js';

/**
 * The infrastructure in infra/: the column list generated from DCR_COLUMNS, the Log Analytics
 * template (table, data collection rule, role assignments), the workbook and its template.
 *
 * No Bicep compiler is available offline, so the .bicep files are checked structurally by the
 * tokenizer in ./bicep.ts (comments and strings handled, brackets balanced, declarations well
 * formed, every reference declared), then for the resource types, API versions and properties this
 * project relies on. The workbook's queries are checked with Microsoft's Kusto analyser against the
 * DCR table schema, after expanding the workbook parameters as the workbook does.
 */

const INFRA = join(ROOT, 'infra');
const read = (file: string): string => readFileSync(join(INFRA, file), 'utf8');

const DCR_TABLES = WORKSPACES.find((w) => w.label === 'dcr')!.tables;

const MONITORING_METRICS_PUBLISHER = '3913510d-42f4-4e42-8a64-420c390055eb';
const LOG_ANALYTICS_READER = '73c42c96-874c-492b-b04d-ab87d138a893';

/** Column types of a DCR stream declaration (Microsoft.Insights/dataCollectionRules, KnownColumnDefinitionType). */
const STREAM_TYPES = new Set(['string', 'int', 'long', 'real', 'boolean', 'datetime', 'dynamic']);
/** Column types of the table management API (Microsoft.OperationalInsights/workspaces/tables, ColumnTypeEnum). */
const TABLE_TYPES = new Set(['string', 'int', 'long', 'real', 'boolean', 'dateTime', 'guid', 'dynamic']);

function declarations(file: string): Declaration[] {
  const bicep = parseBicep(read(file));
  assert.deepEqual(bicep.problems, [], `${file} has structural problems`);
  return bicep.declarations;
}

function find(decls: readonly Declaration[], keyword: Declaration['keyword'], name: string): Declaration {
  const d = decls.find((x) => x.keyword === keyword && x.name === name);
  assert.ok(d, `${keyword} ${name} is declared`);
  return d;
}

/** The literal value of a `var` holding a plain string, e.g. `'Custom-MDEMachineActions_CL'`. */
function stringVar(decls: readonly Declaration[], name: string): string {
  const value = find(decls, 'var', name).value;
  assert.equal(value.length, 1, `var ${name} is a single literal`);
  const t = value[0]!;
  assert.equal(t.kind, 'string');
  assert.deepEqual(t.holes, [], `var ${name} has no interpolation`);
  return t.text;
}

/** Every symbol an expression uses, following `var`s (a var referring to another var and so on). */
function closure(decls: readonly Declaration[], tokens: readonly Token[]): Set<string> {
  const seen = new Set<string>();
  const queue = references(tokens).map((t) => t.text);
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const v = decls.find((d) => d.keyword === 'var' && d.name === name);
    if (v) queue.push(...references(v.value).map((t) => t.text));
  }
  return seen;
}

function dependsOn(resource: Declaration): string[] {
  return arrayItems(property(resource.value, ['dependsOn'])).map(text);
}

describe('infra', () => {
  describe('columns.json', () => {
    it(`is what the generator writes from DCR_COLUMNS (else run: ${COLUMNS_JSON_COMMAND})`, () => {
      assert.ok(existsSync(COLUMNS_JSON_PATH), `infra/columns.json is missing: run ${COLUMNS_JSON_COMMAND}`);
      assert.equal(COLUMNS_JSON_PATH, join(INFRA, 'columns.json'));
      const actual = readFileSync(COLUMNS_JSON_PATH, 'utf8');
      assert.ok(
        actual === columnsJson(),
        `infra/columns.json is out of date with DCR_COLUMNS in src/queries/schema.ts: run ${COLUMNS_JSON_COMMAND}`,
      );
    });

    it('lists the DCR_COLUMNS names in order, with table API types', () => {
      const columns = JSON.parse(read('columns.json')) as { name: string; type: string }[];
      assert.deepEqual(
        columns.map((c) => c.name),
        DCR_COLUMNS.map((c) => c.name),
      );
      for (const [i, c] of columns.entries()) {
        assert.deepEqual(Object.keys(c), ['name', 'type']);
        assert.ok(TABLE_TYPES.has(c.type), `${c.name}: ${c.type} is a table API type`);
        const kusto = DCR_COLUMNS[i]!.type;
        assert.equal(c.type, kusto === 'datetime' ? 'dateTime' : kusto);
      }
      assert.equal(columns[0]!.name, 'TimeGenerated', 'every Log Analytics table has TimeGenerated');
      assert.equal(columns[0]!.type, 'dateTime');
    });

    it('is deterministic: one column per line, two-space indent, trailing newline', () => {
      const generated = columnsJson();
      assert.equal(generated, columnsJson());
      assert.ok(generated.endsWith('}\n]\n'));
      assert.equal(generated.split('\n').length, DCR_COLUMNS.length + 3);
      assert.match(generated.split('\n')[1]!, /^ {2}\{ "name": "TimeGenerated", "type": "dateTime" \},$/);
    });
  });

  describe('loganalytics.bicep', () => {
    const decls = declarations('loganalytics.bicep');

    it('targets a resource group', () => {
      assert.equal(text(find(decls, 'targetScope', 'targetScope').value), "'resourceGroup'");
    });

    it('declares the parameters with their types and defaults', () => {
      const params = new Map(
        decls.filter((d) => d.keyword === 'param').map((d) => [d.name, { type: d.type, default: text(d.value) }]),
      );
      assert.deepEqual(Object.fromEntries(params), {
        workspaceName: { type: 'string', default: '' },
        createWorkspace: { type: 'bool', default: 'false' },
        location: { type: 'string', default: 'resourceGroup().location' },
        retentionInDays: { type: 'int', default: '90' },
        totalRetentionInDays: { type: 'int', default: '365' },
        dataCollectionRuleName: { type: 'string', default: "'dcr-mde-machine-actions'" },
        principalId: { type: 'string', default: '' },
        principalType: { type: 'string', default: "'ServicePrincipal'" },
        grantQueryAccess: { type: 'bool', default: 'true' },
        tags: { type: 'object', default: '{ }' },
      });
      const retention = find(decls, 'param', 'retentionInDays').decorators;
      assert.deepEqual(
        retention.filter((d) => d.name !== 'description').map((d) => `${d.name}(${text(d.args)})`),
        ['minValue(4)', 'maxValue(730)'],
      );
      for (const d of decls.filter((x) => x.keyword === 'param' || x.keyword === 'output')) {
        assert.ok(
          d.decorators.some((x) => x.name === 'description'),
          `${d.keyword} ${d.name} has a @description`,
        );
      }
    });

    it('declares exactly the expected resources, types and API versions', () => {
      const resources = decls
        .filter((d) => d.keyword === 'resource')
        .map(
          (d) =>
            `${d.name} ${d.resourceType!}${d.existing ? ' existing' : ''}${d.condition ? ` if ${text(d.condition)}` : ''}`,
        );
      assert.deepEqual(resources, [
        'newWorkspace Microsoft.OperationalInsights/workspaces@2022-10-01 if createWorkspace',
        'workspace Microsoft.OperationalInsights/workspaces@2022-10-01 existing',
        'table Microsoft.OperationalInsights/workspaces/tables@2022-10-01',
        'dcr Microsoft.Insights/dataCollectionRules@2023-03-11',
        'dcrPublisher Microsoft.Authorization/roleAssignments@2022-04-01',
        'workspaceReader Microsoft.Authorization/roleAssignments@2022-04-01 if grantQueryAccess',
      ]);
      assert.equal(text(property(find(decls, 'resource', 'workspace').value, ['name'])), 'workspaceName');
      const created = find(decls, 'resource', 'newWorkspace').value;
      assert.equal(text(property(created, ['name'])), 'workspaceName');
      assert.equal(text(property(created, ['properties', 'sku', 'name'])), "'PerGB2018'");
    });

    it('creates the table MDEMachineActions_CL (plan Analytics) with the columns from columns.json', () => {
      assert.equal(stringVar(decls, 'tableName'), DCR_TABLE);
      assert.equal(text(find(decls, 'var', 'tableColumns').value), "loadJsonContent('columns.json')");
      assert.ok(existsSync(join(INFRA, 'columns.json')), 'loadJsonContent reads columns.json next to the template');
      const table = find(decls, 'resource', 'table').value;
      assert.equal(text(property(table, ['parent'])), 'workspace');
      assert.equal(text(property(table, ['name'])), 'tableName');
      assert.equal(text(property(table, ['properties', 'plan'])), "'Analytics'");
      assert.equal(text(property(table, ['properties', 'retentionInDays'])), 'retentionInDays');
      assert.equal(text(property(table, ['properties', 'schema', 'name'])), 'tableName');
      assert.equal(text(property(table, ['properties', 'schema', 'columns'])), 'tableColumns');
      assert.deepEqual(
        dependsOn(find(decls, 'resource', 'table')),
        ['newWorkspace'],
        'waits for a workspace it creates',
      );
    });

    it('creates a Direct data collection rule: stream from columns.json, destination the workspace, transformKql source', () => {
      const dcrDecl = find(decls, 'resource', 'dcr');
      const dcr = dcrDecl.value;
      assert.equal(text(property(dcr, ['kind'])), "'Direct'");
      assert.equal(text(property(dcr, ['location'])), 'location');
      assert.throws(
        () => property(dcr, ['properties', 'dataCollectionEndpointId']),
        /missing dataCollectionEndpointId/,
        'a Direct DCR needs no DCE',
      );

      const streamName = stringVar(decls, 'streamName');
      assert.equal(streamName, `Custom-${DCR_TABLE}`);
      const streams = objectProperties(property(dcr, ['properties', 'streamDeclarations']));
      assert.deepEqual([...streams.keys()], ['${streamName}']);
      assert.equal(text(property(streams.get('${streamName}')!, ['columns'])), 'streamColumns');

      // The stream columns are the table columns with the stream spelling of the types.
      const streamColumns = find(decls, 'var', 'streamColumns').value;
      const mapping = text(streamColumns);
      assert.match(mapping, /^\[for column in tableColumns : \{/);
      assert.ok(mapping.includes("column.type == 'dateTime' ? 'datetime'"), mapping);
      assert.ok(mapping.includes("column.type == 'guid' ? 'string'"), mapping);
      assert.deepEqual(
        [
          ...objectProperties(
            streamColumns.slice(
              streamColumns.findIndex((t) => t.text === '{'),
              -1,
            ),
          ).keys(),
        ],
        ['name', 'type'],
      );
      const columns = JSON.parse(read('columns.json')) as { name: string; type: string }[];
      for (const c of columns) {
        const streamType = c.type === 'dateTime' ? 'datetime' : c.type === 'guid' ? 'string' : c.type;
        assert.ok(STREAM_TYPES.has(streamType), `${c.name}: ${c.type} maps to a stream type (${streamType})`);
      }
      assert.ok(closure(decls, dcr).has('tableColumns'), "the DCR's stream comes from loadJsonContent('columns.json')");

      const destinations = arrayItems(property(dcr, ['properties', 'destinations', 'logAnalytics']));
      assert.equal(destinations.length, 1);
      assert.equal(text(property(destinations[0]!, ['workspaceResourceId'])), 'workspace.id');
      assert.equal(text(property(destinations[0]!, ['name'])), 'destinationName');

      const flows = arrayItems(property(dcr, ['properties', 'dataFlows']));
      assert.equal(flows.length, 1);
      const flow = flows[0]!;
      assert.deepEqual(arrayItems(property(flow, ['streams'])).map(text), ['streamName']);
      assert.deepEqual(arrayItems(property(flow, ['destinations'])).map(text), ['destinationName']);
      assert.equal(text(property(flow, ['transformKql'])), "'source'");
      assert.equal(text(property(flow, ['outputStream'])), 'streamName', `the output stream is Custom-${DCR_TABLE}`);
      assert.deepEqual(dependsOn(dcrDecl), ['table'], 'the table exists before the DCR that names it');
    });

    it('grants Monitoring Metrics Publisher on the DCR and, optionally, Log Analytics Reader on the workspace', () => {
      assert.equal(stringVar(decls, 'monitoringMetricsPublisherRoleId'), MONITORING_METRICS_PUBLISHER);
      assert.equal(stringVar(decls, 'logAnalyticsReaderRoleId'), LOG_ANALYTICS_READER);
      const cases = [
        { name: 'dcrPublisher', scope: 'dcr', role: 'monitoringMetricsPublisherRoleId' },
        { name: 'workspaceReader', scope: 'workspace', role: 'logAnalyticsReaderRoleId' },
      ];
      for (const c of cases) {
        const r = find(decls, 'resource', c.name).value;
        assert.equal(text(property(r, ['scope'])), c.scope);
        assert.equal(
          text(property(r, ['name'])),
          `guid(${c.scope}.id,principalId,${c.role})`,
          'deterministic name: redeploying is idempotent',
        );
        assert.equal(
          text(property(r, ['properties', 'roleDefinitionId'])),
          `subscriptionResourceId('Microsoft.Authorization/roleDefinitions',${c.role})`,
        );
        assert.equal(text(property(r, ['properties', 'principalId'])), 'principalId');
        assert.equal(text(property(r, ['properties', 'principalType'])), 'principalType');
      }
      assert.equal(text(find(decls, 'resource', 'workspaceReader').condition!), 'grantQueryAccess');
      assert.deepEqual(dependsOn(find(decls, 'resource', 'workspaceReader')), ['newWorkspace']);
    });

    it("outputs the bot's environment variables", () => {
      const outputs = decls.filter((d) => d.keyword === 'output').map((d) => [d.name, d.type, text(d.value)]);
      assert.deepEqual(outputs, [
        ['LOGS_INGESTION_ENDPOINT', 'string', 'dcr.properties.endpoints.logsIngestion'],
        ['LOGS_DCR_IMMUTABLE_ID', 'string', 'dcr.properties.immutableId'],
        ['LOGS_STREAM_NAME', 'string', 'streamName'],
        ['LOG_ANALYTICS_WORKSPACE_ID', 'string', 'workspace.properties.customerId'],
        ['LOG_ANALYTICS_WORKSPACE_RESOURCE_ID', 'string', 'workspace.id'],
      ]);
    });

    it('loganalytics.parameters.example.json sets only declared parameters, all required ones, with valid values', () => {
      const example = JSON.parse(read('loganalytics.parameters.example.json')) as {
        $schema: string;
        contentVersion: string;
        parameters: Record<string, { value: unknown }>;
      };
      assert.equal(
        example.$schema,
        'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#',
      );
      assert.equal(example.contentVersion, '1.0.0.0');
      const params = decls.filter((d) => d.keyword === 'param');
      for (const [name, { value }] of Object.entries(example.parameters)) {
        const p = params.find((x) => x.name === name);
        assert.ok(p, `${name} is a parameter of loganalytics.bicep`);
        const expected = { string: 'string', int: 'number', bool: 'boolean', object: 'object', array: 'object' }[
          p.type!
        ];
        assert.equal(typeof value, expected, `${name} is a ${p.type!}`);
        for (const d of p.decorators) {
          if (d.name === 'minValue') assert.ok((value as number) >= Number(text(d.args)), `${name} >= ${text(d.args)}`);
          if (d.name === 'maxValue') assert.ok((value as number) <= Number(text(d.args)), `${name} <= ${text(d.args)}`);
          if (d.name === 'allowed') {
            const allowed = arrayItems(d.args).map((item) => item[0]!.text);
            assert.ok(allowed.includes(value as string), `${name} is one of ${allowed.join(', ')}`);
          }
        }
      }
      for (const p of params.filter((x) => x.value.length === 0))
        assert.ok(p.name in example.parameters, `required parameter ${p.name} is set`);
    });
  });

  describe('workbook.bicep', () => {
    const decls = declarations('workbook.bicep');

    it('deploys workbook.json as a shared Microsoft.Insights/workbooks resource on the workspace', () => {
      const resources = decls.filter((d) => d.keyword === 'resource');
      assert.deepEqual(
        resources.map((d) => d.resourceType),
        ['Microsoft.Insights/workbooks@2023-06-01'],
      );
      const wb = resources[0]!.value;
      assert.equal(text(property(wb, ['kind'])), "'shared'");
      assert.equal(text(property(wb, ['name'])), 'workbookId');
      assert.equal(
        text(find(decls, 'var', 'workbookId').value),
        'guid(resourceGroup().id,workbookDisplayName)',
        'a workbook name is a GUID',
      );
      assert.equal(text(property(wb, ['properties', 'serializedData'])), 'serializedData');
      assert.equal(
        text(find(decls, 'var', 'serializedData').value),
        `replace(loadTextContent('workbook.json'),'"fallbackResourceIds": []','"fallbackResourceIds": ["\${workspaceResourceId}"]')`,
      );
      assert.equal(
        read('workbook.json').split('"fallbackResourceIds": []').length,
        2,
        'the text the deployment replaces occurs exactly once',
      );
      assert.equal(text(property(wb, ['properties', 'sourceId'])), 'workspaceResourceId');
      assert.equal(text(property(wb, ['properties', 'category'])), "'workbook'");
      const workbook = JSON.parse(read('workbook.json')) as Workbook;
      assert.equal(text(property(wb, ['properties', 'version'])), `'${workbook.version}'`);
      assert.equal(find(decls, 'param', 'workspaceResourceId').value.length, 0, 'the workspace is required');
    });

    it('workbook.json fits loadTextContent (at most 131,072 characters)', () => {
      assert.ok(read('workbook.json').length <= 131_072);
    });
  });

  for (const file of ['loganalytics.bicep', 'workbook.bicep']) {
    it(`${file}: every parameter and variable is used`, () => {
      const decls = declarations(file);
      const used = new Set(
        decls.flatMap((d) => [d.value, d.condition ?? []].flatMap((tokens) => references(tokens).map((t) => t.text))),
      );
      for (const d of decls.filter((x) => x.keyword === 'param' || x.keyword === 'var'))
        assert.ok(used.has(d.name), `${d.keyword} ${d.name} is used`);
    });
  }

  describe('the Bicep checker', () => {
    it('accepts a minimal well-formed file', () => {
      const ok = parseBicep(
        [
          "// comment with 'quotes' and { braces",
          "param name string = 'a\\'b ${'}'}'",
          '/* block',
          '   comment ] */',
          "var ids = [for (x, i) in range(0, 2): '${name}-${i}']",
          "resource r 'Microsoft.Insights/workbooks@2023-06-01' = if (!empty(name)) {",
          '  name: guid(name)',
          "  properties: { displayName: '''verbatim ' ${not} interpolated''' }",
          '}',
          'output o array = ids',
        ].join('\n'),
      );
      assert.deepEqual(ok.problems, []);
      assert.deepEqual(
        ok.declarations.map((d) => `${d.keyword} ${d.name}`),
        ['param name', 'var ids', 'resource r', 'output o'],
      );
      assert.equal(allTokens(ok.declarations[0]!.value)[0]!.parts!.join('|'), "a'b |");
    });

    it('reports unbalanced brackets, unterminated strings, malformed declarations and undeclared names', () => {
      const cases: [string, RegExp][] = [
        ["resource r 'Microsoft.Insights/workbooks@2023-06-01' = {\n  name: 'x'\n", /\{ is never closed/],
        ['var a = [1, 2)\n', /\) closes \[/],
        ["var a = 'open\n", /unterminated string/],
        ['/* never closed\nvar a = 1\n', /unterminated \/\* comment/],
        ['param p\n', /malformed param declaration/],
        ['param p strin\n', /malformed param declaration/],
        ["resource r 'workbooks' = {\n}\n", /is not <Namespace>\/<type>@<api-version>/],
        ["resource r 'Microsoft.Insights/workbooks@2023-06-01' = 'x'\n", /expected a \{ … \} body/],
        ['output o string\n', /an output needs = <value>/],
        ['var a = 1 +\n', /the value ends with \+/],
        ['var a = 1\nvar a = 2\n', /a is declared twice/],
        ['var a = b.id\n', /b is not declared/],
        ["var a = '${b}'\n", /b is not declared/],
        ['var a = frobnicate(1)\n', /unknown function frobnicate/],
        ["@descripton('x')\nparam p string\n", /unknown decorator @descripton/],
        ['foo bar\n', /unexpected statement/],
      ];
      for (const [src, problem] of cases) {
        const problems = parseBicep(src).problems;
        assert.ok(
          problems.some((p) => problem.test(p)),
          `${JSON.stringify(src)} → ${JSON.stringify(problems)} should match ${String(problem)}`,
        );
      }
    });
  });

  describe('workbook.json', () => {
    const workbook = JSON.parse(read('workbook.json')) as Workbook;
    const queries = workbook.items.filter((i) => i.type === 3);
    const byTitle = (title: string): WorkbookItem => {
      const item = queries.find((q) => q.content.title === title);
      assert.ok(item, `a query titled ${title}`);
      return item;
    };
    const parameters = workbook.items.flatMap((i) => (i.type === 9 ? (i.content.parameters ?? []) : []));

    it('is a workbook template: Notebook/1.0, items of type 1 (text), 9 (parameters) and 3 (query)', () => {
      assert.equal(workbook.version, 'Notebook/1.0');
      assert.equal(
        workbook.$schema,
        'https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json',
      );
      assert.ok(workbook.items.length > 0);
      const names = new Set<string>();
      for (const item of workbook.items) {
        assert.ok([1, 3, 9].includes(item.type), `item ${item.name}: type ${item.type}`);
        assert.ok(item.name && !names.has(item.name), `item names are unique (${item.name})`);
        names.add(item.name);
        if (item.type === 1) assert.equal(typeof item.content.json, 'string');
        if (item.type === 9) {
          assert.equal(item.content.version, 'KqlParameterItem/1.0');
          assert.ok(Array.isArray(item.content.parameters));
        }
        if (item.type === 3) {
          const c = item.content;
          assert.equal(c.version, 'KqlItem/1.0');
          assert.equal(c.queryType, 0, 'a Logs (KQL) query');
          assert.equal(c.resourceType, 'microsoft.operationalinsights/workspaces');
          assert.ok(typeof c.query === 'string' && c.query.length > 0);
          assert.ok(c.title, `query ${item.name} has a title`);
          assert.ok(
            ['tiles', 'table', 'timechart'].includes(c.visualization ?? ''),
            `query ${item.name}: ${c.visualization}`,
          );
          assert.equal(c.timeContextFromParameter, 'TimeRange', `query ${item.name} runs over the TimeRange parameter`);
        }
        if (item.customWidth !== undefined) assert.match(item.customWidth, /^\d+$/);
      }
      assert.equal(workbook.items[1]?.type, 9, 'the parameters come right after the title, before every query');
    });

    it('has the TimeRange (time range picker) and Device (free text, empty = all) parameters', () => {
      assert.deepEqual(
        parameters.map((p) => p.name),
        ['TimeRange', 'Device'],
      );
      const ids = parameters.map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length);
      for (const p of parameters) {
        assert.equal(p.version, 'KqlParameterItem/1.0');
        assert.match(p.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      }
      const [time, device] = parameters;
      assert.equal(time!.type, 4);
      assert.equal(time!.isRequired, true);
      const durations = (time!.typeSettings?.selectableValues ?? []).map((v) => v.durationMs);
      assert.ok(
        durations.includes((time!.value as { durationMs: number }).durationMs),
        'the default is one of the choices',
      );
      assert.ok(
        durations.includes(365 * 86_400_000),
        'a year can be chosen (the original dashboard looked back 360 days)',
      );
      assert.equal(device!.type, 1);
      assert.equal(device!.isRequired, false);
      assert.equal(device!.value, '');
    });

    it("reproduces the original dashboard's parts and adds failures and isolated devices", () => {
      const tiles = byTitle('Actions by type');
      assert.equal(tiles.content.visualization, 'tiles');
      assert.equal(byTitle('Actions per day').content.visualization, 'timechart');
      for (const title of [
        'Machine actions',
        'Actions by requestor',
        'Actions by device',
        'Failures and timeouts',
        'Devices isolated now',
      ]) {
        assert.equal(byTitle(title).content.visualization, 'table', title);
      }
      assert.match(
        byTitle('Failures and timeouts').content.query!,
        /\| where Status in \('Failed', 'TimeOut', 'Cancelled'\)/,
      );
      assert.equal(queries.length, 7);
    });

    it('refers only to declared parameters, declared above, and to Device only through {Device:base64}', () => {
      const declared = new Map<string, number>();
      workbook.items.forEach((item, index) => {
        for (const p of item.content.parameters ?? []) declared.set(p.name, index);
        const textOf = item.content.query ?? item.content.json ?? '';
        for (const m of textOf.matchAll(PARAMETER_REFERENCE)) {
          const [whole, name, format] = m;
          const at = declared.get(name!);
          assert.ok(at !== undefined && at < index, `${item.name}: ${whole} refers to a parameter declared above`);
          if (name === 'TimeRange')
            assert.ok(
              format === 'start' || format === 'end',
              `${item.name}: ${whole} (the workbook uses :start and :end)`,
            );
          if (name === 'Device')
            assert.equal(
              format,
              'base64',
              `${item.name}: ${whole} must be {Device:base64} (a raw value would break the string literal)`,
            );
        }
      });
    });

    for (const item of queries) {
      it(`"${item.content.title!}": latest row per action, created in {TimeRange}, device filter only when set`, () => {
        const q = item.content.query!.replace(/\s+/g, ' ');
        const latest = q.indexOf('| summarize arg_max(LastUpdateDateTimeUtc, *) by ActionId');
        assert.ok(latest > 0, 'one row per action: its latest version');
        assert.ok(
          q.includes('| where TimeGenerated >= {TimeRange:start}'),
          'partition pruning: a version is never older than its action',
        );
        assert.ok(
          q.includes('| where CreationDateTimeUtc between ({TimeRange:start} .. {TimeRange:end})'),
          'actions created in the time range',
        );
        assert.ok(
          q.indexOf('CreationDateTimeUtc between') < latest,
          'the creation time never changes, so it filters before the deduplication',
        );
        assert.ok(
          q.includes("let _device = trim(@'\\s+', base64_decode_tostring('{Device:base64}'));"),
          'the device arrives Base64-encoded',
        );
        const filter = q.indexOf(
          "isempty(_device) or ComputerDnsName =~ _device or (_device !contains '.' and ComputerDnsName startswith strcat(_device, '.'))",
        );
        assert.ok(filter > latest, 'the device name can change between versions: filter on the latest one');
        assert.equal(
          item.content.query!.split('\n').some((line) => line.trim() === ''),
          false,
          'no empty line (it would split the query)',
        );
      });
    }

    const EXPANSIONS: Omit<Expansion, 'device'>[] = [
      { start: '2026-10-02T09:15:00.000Z', end: '2026-11-01T09:15:00.000Z', form: 'relative' },
      { start: '2025-01-01T00:00:00.000Z', end: '2025-03-31T23:59:59.999Z', form: 'custom' },
    ];
    const DEVICES = ['', 'ws-042', 'WS-042.contoso.com', ' ws-042 ', "o'brien\\'); print 'x'\n| take 1 // ${}"];

    for (const item of queries) {
      it(`"${item.content.title!}" parses with no diagnostics against MDEMachineActions_CL, for every time range and device`, () => {
        const failures: string[] = [];
        for (const e of EXPANSIONS) {
          for (const device of DEVICES) {
            const query = expandWorkbookQuery(item.content.query!, { ...e, device });
            const left = query.match(PARAMETER_REFERENCE);
            if (left) failures.push(`unexpanded ${left.join(', ')}`);
            const diagnostics = kqlDiagnostics(query, DCR_TABLES);
            if (diagnostics.length > 0)
              failures.push(`${e.form} / device ${JSON.stringify(device)}: ${diagnostics.join('; ')}\n${query}`);
          }
        }
        assert.deepEqual(failures, []);
      });
    }

    it('grids and tiles show columns the queries return', () => {
      const base: Expansion = { ...EXPANSIONS[0]!, device: '' };
      const columns = (item: WorkbookItem): string[] =>
        kqlResultColumns(expandWorkbookQuery(item.content.query!, base), DCR_TABLES).map((c) => c.split(':')[0]!);
      assert.deepEqual(columns(byTitle('Machine actions')).slice(0, 8), [
        'ActionId',
        'ActionType',
        'Device',
        'Scope',
        'Status',
        'Requestor',
        'Comment',
        'Created',
      ]);
      assert.deepEqual(columns(byTitle('Actions by type')), ['ActionType', 'Actions']);
      assert.equal(columns(byTitle('Actions by requestor'))[0], 'Requestor');
      assert.equal(columns(byTitle('Actions by device'))[0], 'Device');
      assert.deepEqual(columns(byTitle('Actions per day')), ['ActionType', 'Actions', 'CreationDateTimeUtc']);
      assert.deepEqual(columns(byTitle('Devices isolated now')).slice(0, 3), ['Device', 'MachineId', 'ActionId']);
      for (const item of queries) {
        const result = columns(item);
        const matches = [
          ...Object.values(item.content.tileSettings ?? {}).flatMap((v) =>
            typeof v === 'object' && v.columnMatch !== undefined ? [v.columnMatch] : [],
          ),
          ...(item.content.gridSettings?.formatters ?? []).map((f) => f.columnMatch),
        ];
        for (const m of matches)
          assert.ok(result.includes(m), `${item.name}: column ${m} is in the result (${result.join(', ')})`);
      }
    });

    it('a device value with quotes, backslashes and line breaks stays data (Base64 inside a string literal)', () => {
      const device = "ws'042\\\n| take 1";
      const query = expandWorkbookQuery(byTitle('Machine actions').content.query!, { ...EXPANSIONS[0]!, device });
      const literals = kqlTokens(query, DCR_TABLES)
        .filter((t) => t.kind === stringLiteralKind())
        .map((t) => t.value);
      assert.ok(literals.includes(Buffer.from(device, 'utf8').toString('base64')));
      assert.ok(!query.includes(device));
      assert.deepEqual(kqlDiagnostics(query, DCR_TABLES), []);
    });

    it('the check is not vacuous: a misspelled column, or a raw {Device} in quotes, yields diagnostics', () => {
      const base: Expansion = { ...EXPANSIONS[0]!, device: 'ws-042' };
      const query = expandWorkbookQuery(byTitle('Machine actions').content.query!, base);
      assert.deepEqual(kqlDiagnostics(query, DCR_TABLES), []);
      const misspelled = query.replace('Comment = RequestorComment', 'Comment = RequestorComent');
      assert.notEqual(misspelled, query);
      assert.ok(kqlDiagnostics(misspelled, DCR_TABLES).some((d) => d.includes('RequestorComent')));
      const raw = expandWorkbookQuery(
        "let _device = '{Device}';\nMDEMachineActions_CL\n| where ComputerDnsName =~ _device",
        { ...base, device: "o'brien" },
      );
      assert.notDeepEqual(kqlDiagnostics(raw, DCR_TABLES), []);
    });
  });
});
