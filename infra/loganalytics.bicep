// Log Analytics resources for the Defender Audit Bot's optional Log Analytics store.
//
// The bot forwards every new or changed machine action to the custom table MDEMachineActions_CL
// through the Logs Ingestion API, and (optionally) answers chat commands with KQL over that table.
// This template creates everything that path needs, in the resource group of the workspace:
//
//   workspace (existing, or new when createWorkspace = true)
//     └─ table MDEMachineActions_CL        columns from columns.json (generated, see below)
//   data collection rule (kind Direct)      stream Custom-MDEMachineActions_CL → the table
//     └─ role assignment                    Monitoring Metrics Publisher for the bot (to ingest)
//   role assignment on the workspace        Log Analytics Reader for the bot (to query; optional)
//
// The column list lives in ONE place, DCR_COLUMNS in src/queries/schema.ts. `npm run infra:columns`
// writes it to columns.json next to this file; the test suite fails when the two differ. The schema
// never extends itself (unlike the retired HTTP Data Collector API): after adding a column, regenerate
// columns.json and deploy this template again, which updates the table and the DCR together.
//
// Deploy: see README.md in this folder. The outputs are named after the bot's environment variables.

targetScope = 'resourceGroup'

// ── Parameters ──────────────────────────────────────────────────────────────────────────────────

@description('Name of the Log Analytics workspace, in this resource group. It must exist unless createWorkspace is true.')
@minLength(4)
@maxLength(63)
param workspaceName string

@description('Create the workspace (pay-as-you-go, PerGB2018) instead of using an existing one. Default false: most teams already have a workspace, often their Microsoft Sentinel workspace.')
param createWorkspace bool = false

@description('Region of the data collection rule (and of the workspace when it is created). Use the workspace\'s region.')
param location string = resourceGroup().location

@description('Interactive retention of MDEMachineActions_CL in days (table API range 4-730). A new workspace gets the same retention, at least 30 days.')
@minValue(4)
@maxValue(730)
param retentionInDays int = 90

@description('Total retention of MDEMachineActions_CL in days, interactive plus long-term (table API range 4-4383). Audit trails are often kept for a year or more; it must not be less than retentionInDays.')
@minValue(4)
@maxValue(4383)
param totalRetentionInDays int = 365

@description('Name of the data collection rule.')
@minLength(1)
@maxLength(64)
param dataCollectionRuleName string = 'dcr-mde-machine-actions'

@description('Object id (not the application/client id) of the principal the bot runs as: its managed identity, or the service principal of its app registration.')
param principalId string

@description('Kind of principal in principalId. ServicePrincipal covers managed identities too.')
@allowed([
  'ServicePrincipal'
  'User'
  'Group'
])
param principalType string = 'ServicePrincipal'

@description('Also grant the principal Log Analytics Reader on the workspace, so that the bot can answer chat commands with KQL. Set false when the bot only forwards actions.')
param grantQueryAccess bool = true

@description('Tags for the data collection rule and a new workspace.')
param tags object = {}

// ── Constants ───────────────────────────────────────────────────────────────────────────────────

// The table the bot writes (DCR_TABLE in src/queries/schema.ts). Custom tables end in _CL.
var tableName = 'MDEMachineActions_CL'

// The stream the bot posts to (LOGS_STREAM_NAME). Custom streams are named Custom-<something>; using
// the table's name keeps the mapping obvious.
var streamName = 'Custom-MDEMachineActions_CL'

// The destination's name inside the DCR: the data flow refers to it.
var destinationName = 'auditWorkspace'

// Built-in role definition ids (the same in every tenant), from the Azure built-in roles reference.
// Monitoring Metrics Publisher: its data action Microsoft.Insights/Telemetry/Write is what the Logs
// Ingestion API checks on the DCR.
var monitoringMetricsPublisherRoleId = '3913510d-42f4-4e42-8a64-420c390055eb'
// Log Analytics Reader: read all monitoring data and run queries (workspaces/analytics/query/action).
var logAnalyticsReaderRoleId = '73c42c96-874c-492b-b04d-ab87d138a893'

// The columns in the table API spelling ({ name, type } with type string | dateTime | long | real |
// guid | dynamic), generated from DCR_COLUMNS by `npm run infra:columns`. Loaded when the template is
// compiled, so a deployment always carries the list it was built with.
var tableColumns = loadJsonContent('columns.json')

// The same columns as the DCR's stream declaration spells them: stream columns know string, int,
// long, real, boolean, datetime and dynamic. `dateTime` becomes `datetime`; there is no guid, and a
// GUID travels as a string.
var streamColumns = [for column in tableColumns: {
  name: column.name
  type: column.type == 'dateTime' ? 'datetime' : (column.type == 'guid' ? 'string' : column.type)
}]

// ── Workspace ───────────────────────────────────────────────────────────────────────────────────

// Created only on request. An existing workspace is left as it is (its retention and SKU are not
// touched); only the table below is added to it.
resource newWorkspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' = if (createWorkspace) {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: max(retentionInDays, 30)
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

// The workspace every other resource refers to, whether it was just created or already existed.
// The resources that need it to exist depend on newWorkspace explicitly.
resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' existing = {
  name: workspaceName
}

// ── Table ───────────────────────────────────────────────────────────────────────────────────────

// The DCR-based custom table. It must exist before the DCR that names it as its output stream, and
// before the first row arrives (rows for a missing table are dropped). Plan Analytics: the bot and
// the workbook query it with full KQL, and alert rules can run on it (Basic logs allow neither).
resource table 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = {
  parent: workspace
  name: tableName
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionInDays
    totalRetentionInDays: max(totalRetentionInDays, retentionInDays)
    schema: {
      name: tableName
      description: 'Microsoft Defender for Endpoint machine actions, one row per new or changed version of an action (Defender Audit Bot).'
      columns: tableColumns
    }
  }
  dependsOn: [
    newWorkspace
  ]
}

// ── Data collection rule ────────────────────────────────────────────────────────────────────────

// Kind Direct: the DCR gets its own logs ingestion endpoint (properties.endpoints.logsIngestion,
// DCRs created since 2024-03-31), so no data collection endpoint (DCE) is needed. The bot posts JSON
// arrays whose objects match the stream declaration; transformKql 'source' passes them through
// unchanged into the table (same column names and types).
resource dcr 'Microsoft.Insights/dataCollectionRules@2023-03-11' = {
  name: dataCollectionRuleName
  location: location
  tags: tags
  kind: 'Direct'
  properties: {
    description: 'Defender Audit Bot: machine actions posted through the Logs Ingestion API into MDEMachineActions_CL.'
    streamDeclarations: {
      '${streamName}': {
        columns: streamColumns
      }
    }
    destinations: {
      logAnalytics: [
        {
          name: destinationName
          workspaceResourceId: workspace.id
        }
      ]
    }
    dataFlows: [
      {
        streams: [
          streamName
        ]
        destinations: [
          destinationName
        ]
        transformKql: 'source'
        outputStream: streamName
      }
    ]
  }
  dependsOn: [
    table
  ]
}

// ── Permissions ─────────────────────────────────────────────────────────────────────────────────

// Ingestion: without this role the Logs Ingestion API answers 403 ("does not have access to ingest
// data for the data collection rule"). Scoped to this DCR only. New assignments can take up to 30
// minutes to apply. The name is a GUID derived from scope, principal and role, so redeploying is
// idempotent.
resource dcrPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dcr.id, principalId, monitoringMetricsPublisherRoleId)
  scope: dcr
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisherRoleId)
    principalId: principalId
    principalType: principalType
    description: 'Defender Audit Bot: send machine actions to MDEMachineActions_CL through the Logs Ingestion API.'
  }
}

// Queries: the bot's Log Analytics backend (chat commands, digest) reads the table through the Log
// Analytics query API. Optional because a bot that only forwards needs no read access.
resource workspaceReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantQueryAccess) {
  name: guid(workspace.id, principalId, logAnalyticsReaderRoleId)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', logAnalyticsReaderRoleId)
    principalId: principalId
    principalType: principalType
    description: 'Defender Audit Bot: query MDEMachineActions_CL.'
  }
  dependsOn: [
    newWorkspace
  ]
}

// ── Outputs: the bot's environment variables ────────────────────────────────────────────────────

@description('LOGS_INGESTION_ENDPOINT: the DCR\'s own logs ingestion endpoint (https://….ingest.monitor.azure.com).')
output LOGS_INGESTION_ENDPOINT string = dcr.properties.endpoints.logsIngestion

@description('LOGS_DCR_IMMUTABLE_ID: the DCR\'s immutable id (dcr-<32 hex digits>), part of the ingestion URL.')
output LOGS_DCR_IMMUTABLE_ID string = dcr.properties.immutableId

@description('LOGS_STREAM_NAME: the stream the bot posts to.')
output LOGS_STREAM_NAME string = streamName

@description('LOG_ANALYTICS_WORKSPACE_ID: the workspace (customer) id, a GUID, used by the Log Analytics query API.')
output LOG_ANALYTICS_WORKSPACE_ID string = workspace.properties.customerId

@description('LOG_ANALYTICS_WORKSPACE_RESOURCE_ID: the workspace\'s Azure resource id (for the workbook and for resource-scoped queries).')
output LOG_ANALYTICS_WORKSPACE_RESOURCE_ID string = workspace.id
