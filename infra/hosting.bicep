// Hosting for defender-audit-bot on Azure Container Apps, with its Azure Bot registration.
//
//   user-assigned managed identity ── is the bot's Microsoft App ID (msaAppType UserAssignedMSI),
//   │                                  pulls the image (AcrPull) and signs in to Log Analytics
//   │                                  (AZURE_CLIENT_ID, for DefaultAzureCredential)
//   container registry (Basic)      ── the image, built by `az acr build` (m365agents.yml deploy)
//   storage account + file share    ── /data in the container: the SQLite store (STORE_PATH)
//   Container Apps environment      ── consumption workload profile, the share registered as storage
//   └─ container app                ── one replica, HTTPS ingress to port 3978, probes on /healthz
//   Azure Bot (global) + Teams channel ── messaging endpoint https://<app FQDN>/api/messages
//
// Deploy (az CLI; the Microsoft 365 Agents Toolkit runs the same through m365agents.yml):
//   az deployment group create --resource-group <rg> --template-file infra/hosting.bicep \
//     --parameters @infra/hosting.parameters.json
// Then give the identity its Log Analytics roles: infra/loganalytics.bicep with
// principalId = the BOT_IDENTITY_PRINCIPAL_ID output (see infra/README.md).
//
// With containerImage empty (the first provision, before any image exists) everything is created
// except the container app; the bot's endpoint is already known because a container app's FQDN
// is <app name>.<environment default domain>. Deploy again with containerImage set to create it.
//
// Resource types and API versions (checked against the Bicep type definitions in
// Azure/bicep-types-az, generated/<provider>/<version>/types.md, and learn.microsoft.com/azure/templates):
//   Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31
//   Microsoft.ContainerRegistry/registries@2023-07-01, Microsoft.Authorization/roleAssignments@2022-04-01
//   Microsoft.Storage/storageAccounts(/fileServices/shares)@2023-05-01
//   Microsoft.App/managedEnvironments(/storages)@2024-03-01, Microsoft.App/containerApps@2024-03-01
//     (template.volumes[].mountOptions, probes, scale.maxReplicas, configuration.secrets)
//   Microsoft.BotService/botServices(/channels)@2022-09-15 (msaAppType 'UserAssignedMSI',
//     msaAppMSIResourceId, msaAppTenantId; channel 'MsTeamsChannel')
//
// There is no Bicep compiler in the test environment: test/deploy/hosting.test.ts checks this file
// structurally. Run `az bicep build --file infra/hosting.bicep` for a full compile.

targetScope = 'resourceGroup'

// ── Parameters ───────────────────────────────────────────────────────────────────────────────────

@description('Region of everything but the Azure Bot (which is global). Default: the resource group\'s.')
param location string = resourceGroup().location

@description('Base of the resource names: lower-case letters and digits, starting with a letter. The container registry and the bot names must be globally unique, hence the default suffix.')
@minLength(3)
@maxLength(20)
param resourceBaseName string = 'mdeaudit${take(uniqueString(resourceGroup().id), 8)}'

@description('Image of the bot, built from the Dockerfile (Node.js 24 LTS), e.g. <registry>.azurecr.io/defender-audit-bot:<tag>. Empty: create everything except the container app (first provision, before an image exists).')
param containerImage string = ''

@description('Name of the bot shown in Azure.')
param botDisplayName string = 'Defender Audit Bot'

@description('Azure Bot pricing tier. F0 (free) covers the standard channels, Teams included; S1 is the paid tier.')
@allowed([
  'F0'
  'S1'
])
param botSku string = 'F0'

@description('MDE_TENANT_ID: the tenant of the Defender for Endpoint app registration (GUID or primary domain).')
param mdeTenantId string

@description('MDE_CLIENT_ID: the application (client) id of the app registration with Machine.Read.All.')
param mdeClientId string

@description('SECRET_MDE_CLIENT_SECRET: the client secret of that app registration. Stored as a Container Apps secret, never as plain configuration.')
@secure()
param mdeClientSecret string

@description('MDE_API_BASE_URL: the Defender for Endpoint API host (geo or government hosts, see env/.env.example).')
param mdeApiBaseUrl string = 'https://api.security.microsoft.com'

@description('MDE_AUTHORITY_HOST: the sign-in host (https://login.microsoftonline.us for GCC High and DoD).')
param mdeAuthorityHost string = 'https://login.microsoftonline.com'

@description('LOG_LEVEL of the bot.')
@allowed([
  'trace'
  'debug'
  'info'
  'warn'
  'error'
  'fatal'
  'silent'
])
param logLevel string = 'info'

@description('More non-secret environment variables for the bot, name to value (see env/.env.example), e.g. the outputs of infra/loganalytics.bicep (LOGS_INGESTION_ENDPOINT, LOGS_DCR_IMMUTABLE_ID, LOG_ANALYTICS_WORKSPACE_ID), QUERY_BACKEND, ADMIN_AAD_OBJECT_IDS, ALERT_ACTION_TYPES, DIGEST_TIMEZONE. Do not repeat the variables this template sets.')
param appSettings object = {}

@description('Existing Log Analytics workspace in this resource group that receives the container logs (the bot logs JSON lines). Empty: no log destination (log streaming still works).')
param logAnalyticsWorkspaceName string = ''

@description('vCPU of the container. Container Apps accepts fixed pairs with memory: 0.25 with 0.5Gi, 0.5 with 1Gi, 0.75 with 1.5Gi, 1 with 2Gi.')
@allowed([
  '0.25'
  '0.5'
  '0.75'
  '1'
])
param cpu string = '0.5'

@description('Memory of the container, paired with cpu (see there). The image caps the V8 heap at 256 MB; ingest peaks near 300 MB RSS, so 0.5Gi is tight.')
@allowed([
  '0.5Gi'
  '1Gi'
  '1.5Gi'
  '2Gi'
])
param memory string = '1Gi'

@description('Size of the file share that holds the SQLite store, in GiB.')
@minValue(1)
@maxValue(5120)
param dataShareQuotaGiB int = 5

@description('Tags for every resource.')
param tags object = {}

// ── Variables ────────────────────────────────────────────────────────────────────────────────────

var baseName = toLower(resourceBaseName)
var appName = '${baseName}-app'
var port = 3978

// The uid/gid of the image's non-root user (Dockerfile): the share is mounted as theirs.
var botUid = 10001

// SMB mount options. uid/gid/modes: the bot user owns /data and nobody else can read it.
// nobrl: byte-range lock requests stay in the client instead of going to the SMB server, where
// they are mandatory locks that make SQLite fail with "database is locked". Locks are then only
// local to the replica, which is safe because exactly one replica runs (maxReplicas: 1 below).
var dataMountOptions = 'uid=${botUid},gid=${botUid},dir_mode=0700,file_mode=0600,nobrl'

var acrPullRoleId = '7f951dda-4ed3-4680-a7ca-43fe172d538d'

// A container app's FQDN is <app name>.<environment default domain>: known before the app exists.
var appFqdn = '${appName}.${appEnvironment.properties.defaultDomain}'

var workspaceId = resourceId('Microsoft.OperationalInsights/workspaces', empty(logAnalyticsWorkspaceName) ? 'none' : logAnalyticsWorkspaceName)

var botEnv = [
  {
    name: 'HOST'
    value: '0.0.0.0'
  }
  {
    name: 'PORT'
    value: string(port)
  }
  {
    name: 'STORE_PATH'
    value: '/data/audit.db'
  }
  {
    // SMB shares support neither SQLite's shared-memory WAL index nor its byte-range locks:
    // the bot holds the database lock itself, and WAL then needs no -shm file.
    name: 'STORE_LOCKING'
    value: 'exclusive'
  }
  {
    // The bot's Microsoft App ID is the managed identity's client id (botbuilder's UserAssignedMSI).
    name: 'BOT_ID'
    value: identity.properties.clientId
  }
  {
    name: 'BOT_AUTH_TYPE'
    value: 'UserAssignedMSI'
  }
  {
    name: 'BOT_TENANT_ID'
    value: identity.properties.tenantId
  }
  {
    // DefaultAzureCredential (Logs Ingestion and Logs Query) uses this user-assigned identity.
    name: 'AZURE_CLIENT_ID'
    value: identity.properties.clientId
  }
  {
    name: 'MDE_TENANT_ID'
    value: mdeTenantId
  }
  {
    name: 'MDE_CLIENT_ID'
    value: mdeClientId
  }
  {
    name: 'SECRET_MDE_CLIENT_SECRET'
    secretRef: 'mde-client-secret'
  }
  {
    name: 'MDE_API_BASE_URL'
    value: mdeApiBaseUrl
  }
  {
    name: 'MDE_AUTHORITY_HOST'
    value: mdeAuthorityHost
  }
  {
    name: 'LOG_LEVEL'
    value: logLevel
  }
]

var extraEnv = [for setting in items(appSettings): {
  name: setting.key
  value: string(setting.value)
}]

// ── Identity ─────────────────────────────────────────────────────────────────────────────────────

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${baseName}-id'
  location: location
  tags: tags
}

// ── Container registry ───────────────────────────────────────────────────────────────────────────

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: replace('${baseName}acr', '-', '')
  location: location
  tags: tags
  sku: {
    name: 'Basic'
  }
  properties: {
    // Pulls use the managed identity (AcrPull below); no admin user, no password in the app.
    adminUserEnabled: false
  }
}

resource acrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, identity.id, acrPullRoleId)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPullRoleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// ── Storage for the SQLite file ──────────────────────────────────────────────────────────────────

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take(replace('${baseName}data', '-', ''), 24)
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    // Container Apps mounts SMB shares with the account key.
    allowSharedKeyAccess: true
  }
}

resource fileService 'Microsoft.Storage/storageAccounts/fileServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    // A deleted share (and the audit trail in it) can be restored for 14 days.
    shareDeleteRetentionPolicy: {
      enabled: true
      days: 14
    }
  }
}

resource share 'Microsoft.Storage/storageAccounts/fileServices/shares@2023-05-01' = {
  parent: fileService
  name: 'data'
  properties: {
    shareQuota: dataShareQuotaGiB
    enabledProtocols: 'SMB'
  }
}

// ── Container Apps environment ───────────────────────────────────────────────────────────────────

resource appEnvironment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${baseName}-env'
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: empty(logAnalyticsWorkspaceName) ? null : {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: reference(workspaceId, '2022-10-01').customerId
        sharedKey: listKeys(workspaceId, '2022-10-01').primarySharedKey
      }
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
    ]
  }
}

resource appEnvironmentStorage 'Microsoft.App/managedEnvironments/storages@2024-03-01' = {
  parent: appEnvironment
  name: 'data'
  properties: {
    azureFile: {
      accountName: storage.name
      accountKey: storage.listKeys().keys[0].value
      shareName: share.name
      accessMode: 'ReadWrite'
    }
  }
}

// ── The bot's container app ──────────────────────────────────────────────────────────────────────

resource app 'Microsoft.App/containerApps@2024-03-01' = if (!empty(containerImage)) {
  name: appName
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    environmentId: appEnvironment.id
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        // Bot Framework posts to https://<FQDN>/api/messages; the ingress terminates TLS.
        external: true
        targetPort: port
        transport: 'http'
        allowInsecure: false
        traffic: [
          {
            latestRevision: true
            weight: 100
          }
        ]
      }
      registries: [
        {
          server: registry.properties.loginServer
          identity: identity.id
        }
      ]
      secrets: [
        {
          name: 'mde-client-secret'
          value: mdeClientSecret
        }
      ]
    }
    template: {
      // The bot stops cleanly on SIGTERM (store closed, undelivered alerts kept in the outbox).
      terminationGracePeriodSeconds: 30
      containers: [
        {
          name: 'bot'
          image: containerImage
          env: concat(extraEnv, botEnv)
          resources: {
            cpu: json(cpu)
            memory: memory
          }
          volumeMounts: [
            {
              volumeName: 'data'
              mountPath: '/data'
            }
          ]
          probes: [
            {
              // Started: listening on the port (the store is open and migrated by then). TCP,
              // not /healthz: a restart while the MDE API is down must still come up to answer chat.
              type: 'Startup'
              tcpSocket: {
                port: port
              }
              initialDelaySeconds: 5
              periodSeconds: 15
              failureThreshold: 10
            }
            {
              // Ready for Teams traffic while listening. Not /healthz either: an ingest problem must
              // not take the bot off the ingress (the `status` command explains the problem).
              type: 'Readiness'
              tcpSocket: {
                port: port
              }
              periodSeconds: 10
              failureThreshold: 3
            }
            {
              // Alive: GET /healthz answers 503 when the store is unreadable or no ingest run has
              // succeeded for max(10 poll intervals, 5 min). Restart only after ~10 minutes of
              // consecutive failures, so a short outage of the MDE API does not restart the bot.
              type: 'Liveness'
              httpGet: {
                path: '/healthz'
                port: port
                scheme: 'HTTP'
              }
              initialDelaySeconds: 30
              periodSeconds: 60
              timeoutSeconds: 5
              failureThreshold: 10
            }
          ]
        }
      ]
      scale: {
        // Exactly one replica. SQLite allows one writer process, and its locking does not work
        // across replicas on a network share: never raise maxReplicas. minReplicas 1: the
        // scheduled ingest, alerts and digest run inside the process, so it must never scale to zero.
        minReplicas: 1
        maxReplicas: 1
      }
      volumes: [
        {
          name: 'data'
          storageType: 'AzureFile'
          storageName: appEnvironmentStorage.name
          mountOptions: dataMountOptions
        }
      ]
    }
  }
  dependsOn: [
    acrPull
  ]
}

// ── Azure Bot registration and its Teams channel ─────────────────────────────────────────────────

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: '${baseName}-bot'
  location: 'global'
  tags: tags
  kind: 'azurebot'
  sku: {
    name: botSku
  }
  properties: {
    displayName: botDisplayName
    endpoint: 'https://${appFqdn}/api/messages'
    // No app registration and no client secret for the bot: it authenticates as the managed
    // identity (the container sets BOT_AUTH_TYPE=UserAssignedMSI and BOT_ID = its client id).
    msaAppType: 'UserAssignedMSI'
    msaAppId: identity.properties.clientId
    msaAppTenantId: identity.properties.tenantId
    msaAppMSIResourceId: identity.id
  }
}

resource teamsChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: {
      isEnabled: true
      // Adding the channel in the portal accepts the Teams channel terms; deploying it accepts them here.
      acceptedTerms: true
    }
  }
}

// ── Outputs (UPPER_SNAKE_CASE: the Agents Toolkit's arm/deploy writes them to env/.env.<name>) ──

@description('BOT_ID: the bot\'s Microsoft App ID, i.e. the managed identity\'s client id (the manifest\'s botId).')
output BOT_ID string = identity.properties.clientId

@description('BOT_TENANT_ID: the tenant of the bot registration.')
output BOT_TENANT_ID string = identity.properties.tenantId

@description('BOT_DOMAIN: the container app\'s FQDN.')
output BOT_DOMAIN string = appFqdn

@description('BOT_ENDPOINT: https://<FQDN>, the Toolkit\'s convention (the messaging endpoint adds /api/messages).')
output BOT_ENDPOINT string = 'https://${appFqdn}'

@description('BOT_MESSAGING_ENDPOINT: the Azure Bot\'s messaging endpoint.')
output BOT_MESSAGING_ENDPOINT string = bot.properties.endpoint

@description('BOT_IDENTITY_PRINCIPAL_ID: object id of the managed identity; pass it as principalId to infra/loganalytics.bicep.')
output BOT_IDENTITY_PRINCIPAL_ID string = identity.properties.principalId

@description('CONTAINER_APP_NAME: the container app (created once containerImage is set).')
output CONTAINER_APP_NAME string = appName

@description('CONTAINER_APP_FQDN: the container app\'s host name (/healthz and /api/messages).')
output CONTAINER_APP_FQDN string = appFqdn

@description('CONTAINER_REGISTRY_NAME: the registry that `az acr build` pushes to.')
output CONTAINER_REGISTRY_NAME string = registry.name

@description('CONTAINER_REGISTRY_LOGIN_SERVER: <name>.azurecr.io, the prefix of containerImage.')
output CONTAINER_REGISTRY_LOGIN_SERVER string = registry.properties.loginServer
