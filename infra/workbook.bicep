// The "Defender for Endpoint machine actions" Azure Monitor workbook over MDEMachineActions_CL.
//
// It reproduces the five parts of the original "Defender ATP Admin Audit Log" dashboard (count tiles
// by action type, the list of actions, counts by requestor and by device, actions per day) on the
// DCR-based table the bot fills, and adds time-range and device filters, failures and timeouts, and
// the devices isolated now. The workbook itself is workbook.json (the gallery template format,
// "Notebook/1.0"), loaded here when the template is compiled; test/infra/infra.test.ts checks every
// query in it with Microsoft's Kusto analyser against the table schema.
//
// Deploy it into the resource group of the workspace after loganalytics.bicep (see README.md).

targetScope = 'resourceGroup'

@description('Resource id of the Log Analytics workspace that holds MDEMachineActions_CL (output LOG_ANALYTICS_WORKSPACE_RESOURCE_ID of loganalytics.bicep). The workbook opens on this workspace and its queries run there.')
param workspaceResourceId string

@description('Name of the workbook as shown in the Workbooks gallery. It must be unique in the resource group.')
param workbookDisplayName string = 'Defender for Endpoint machine actions'

@description('Region of the workbook resource.')
param location string = resourceGroup().location

@description('Tags for the workbook resource.')
param tags object = {}

// A workbook's resource name must be a GUID. Deriving it from the resource group and the display
// name keeps redeployments idempotent (the same workbook is updated, not duplicated).
var workbookId = guid(resourceGroup().id, workbookDisplayName)

// workbook.json leaves its fallback resources empty (it is the same file for every workspace); the
// deployment names the workspace there, so that the queries run on it wherever the workbook is opened
// from (the gallery, a shared link, a pinned part).
var serializedData = replace(loadTextContent('workbook.json'), '"fallbackResourceIds": []', '"fallbackResourceIds": ["${workspaceResourceId}"]')

// Shared workbooks are visible to everyone with read access to the resource group. sourceId ties the
// workbook to the workspace: it is listed under the workspace's Workbooks.
resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: workbookId
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: workbookDisplayName
    category: 'workbook'
    sourceId: workspaceResourceId
    serializedData: serializedData
    version: 'Notebook/1.0'
  }
}

@description('Resource id of the workbook.')
output workbookResourceId string = workbook.id
