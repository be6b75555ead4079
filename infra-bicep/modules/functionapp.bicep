metadata description = 'The Flex Consumption plan and the function app, a .NET isolated worker that runs as its user-assigned managed identity.'

@description('Azure region of the plan and the app.')
param location string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Name of the function app (globally unique).')
param functionAppName string

@description('Name of the user-assigned managed identity the app runs as.')
param identityName string

@description('Name of the storage account for the host, the app\'s tables and queues, and the deployment package.')
param storageAccountName string

@description('Blob container that holds the deployment package.')
param deploymentContainerName string

@description('Name of the Key Vault that holds the app secret and the notify URL.')
param keyVaultName string

@description('Name of the Application Insights component.')
param appInsightsName string

@description('Most instances the app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory of each instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('Paypro API base URL (Paypro__BaseUrl).')
param payproBaseUrl string

@description('Paypro merchant number, 10 digits (Paypro__MerchantNo).')
param merchantNo string

@description('Where Paypro puts the app secret in the signed string (Paypro__SaltPosition).')
param saltPosition string

@description('Prefix of the app\'s table names (Storage__TablePrefix).')
param tablePrefix string

@description('Queue of payout requests (PayoutsQueueName).')
param payoutsQueueName string

@description('Queue of payin requests (PayinsQueueName).')
param payinsQueueName string

@description('Queue the app announces results on (EventsQueueName).')
param eventsQueueName string

@description('NCRONTAB schedule of the poll for pending transactions (PollSchedule).')
param pollSchedule string

@description('NCRONTAB schedule of the audit retention run (AuditPurgeSchedule).')
param auditPurgeSchedule string

@description('NCRONTAB schedule of the daily reconciliation with Paypro (ReconcileSchedule).')
param reconcileSchedule string

@description('Kenya days each reconciliation run checks, as days before today (Reconcile__Days).')
param reconcileDays string

@description('Status queries reconciliation keeps in flight at once (Reconcile__MaxConcurrency).')
param reconcileMaxConcurrency int

@description('Days audit rows are kept (Audit__RetentionDays).')
param auditRetentionDays int

@description('Whether the HTTP submit endpoints answer (Submit__HttpEnabled).')
param submitHttpEnabled bool

@description('Comma-separated CIDR ranges allowed to call the HTTP submit endpoints (Submit__AllowedIpRanges).')
param submitAllowedIpRanges string

@description('What the app does with a notify callback that carries no sign (Notify__UnsignedPolicy).')
param notifyUnsignedPolicy string

@description('Comma-separated CIDR ranges callbacks may come from; empty accepts any (Notify__AllowedIpRanges).')
param notifyAllowedIpRanges string

@description('Total payout amount (KES) cleared per Kenya day (Controls__DailyAmountLimit); null sets no limit.')
@minValue(0)
param dailyPayoutAmountLimit int?

@description('Number of payouts cleared per Kenya day (Controls__DailyCountLimit); null sets no limit.')
@minValue(0)
param dailyPayoutCountLimit int?

@description('Payout amount (KES) cleared per receiving mobile number per Kenya day (Controls__MobileDailyAmountLimit); null sets no limit.')
@minValue(0)
param mobileDailyPayoutAmountLimit int?

@description('Number of payouts cleared per receiving mobile number per Kenya day (Controls__MobileDailyCountLimit); null sets no limit.')
@minValue(0)
param mobileDailyPayoutCountLimit int?

@description('Amount (KES) above which a payout is held for approval (Controls__ApprovalThreshold); null sets no threshold.')
@minValue(0)
param payoutApprovalThreshold int?

@description('TimeSpan after which a held payout is cancelled (Controls__HoldExpiry); empty keeps the app\'s default.')
param payoutHoldExpiry string

@description('Tags applied to the plan and the app.')
param tags {
  *: string
}

@description('Name of the app\'s service in azure.yaml; azd deploys to the one resource tagged azd-service-name with it.')
param azdServiceName string

@description('The money-control app settings whose parameter is set; an unset one is left out, so the app keeps that control off (or its default hold expiry).')
var controlsSettings = filter(
  [
    {
      name: 'Controls__DailyAmountLimit'
      value: dailyPayoutAmountLimit == null ? '' : string(dailyPayoutAmountLimit)
    }
    {
      name: 'Controls__DailyCountLimit'
      value: dailyPayoutCountLimit == null ? '' : string(dailyPayoutCountLimit)
    }
    {
      name: 'Controls__MobileDailyAmountLimit'
      value: mobileDailyPayoutAmountLimit == null ? '' : string(mobileDailyPayoutAmountLimit)
    }
    {
      name: 'Controls__MobileDailyCountLimit'
      value: mobileDailyPayoutCountLimit == null ? '' : string(mobileDailyPayoutCountLimit)
    }
    {
      name: 'Controls__ApprovalThreshold'
      value: payoutApprovalThreshold == null ? '' : string(payoutApprovalThreshold)
    }
    {
      name: 'Controls__HoldExpiry'
      value: payoutHoldExpiry
    }
  ],
  setting => !empty(setting.value)
)

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: identityName
}

resource storage 'Microsoft.Storage/storageAccounts@2026-06-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2026-05-15' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    // Linux.
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2025-03-01' = {
  name: functionAppName
  location: location
  // Only the app carries the service tag: azd refuses a service that matches more than one resource.
  tags: union(tags, { 'azd-service-name': azdServiceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    // Key Vault references resolve with the same identity the app uses for everything else.
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      // Flex Consumption takes the runtime and the package location from functionAppConfig, and
      // refuses FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION and WEBSITE_RUN_FROM_PACKAGE.
      appSettings: [
        // Identity-based host storage: no connection string, no account key.
        {
          name: 'AzureWebJobsStorage__accountName'
          value: storage.name
        }
        {
          name: 'AzureWebJobsStorage__blobServiceUri'
          value: storage.properties.primaryEndpoints.blob
        }
        {
          name: 'AzureWebJobsStorage__queueServiceUri'
          value: storage.properties.primaryEndpoints.queue
        }
        {
          name: 'AzureWebJobsStorage__tableServiceUri'
          value: storage.properties.primaryEndpoints.table
        }
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'AzureWebJobsStorage__clientId'
          value: identity.properties.clientId
        }
        // Azure.Identity's DefaultAzureCredential picks the user-assigned identity from this.
        {
          name: 'AZURE_CLIENT_ID'
          value: identity.properties.clientId
        }
        // The connection string only says where to send telemetry; the authentication string makes
        // the host ingest with the identity, because the component refuses the instrumentation key.
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsights.properties.ConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'Authorization=AAD;ClientId=${identity.properties.clientId}'
        }
        {
          name: 'KeyVault__VaultUri'
          value: vault.properties.vaultUri
        }
        {
          name: 'KeyVault__SecretName'
          value: 'paypro-app-secret'
        }
        // The notify URL carries the function key, so it lives in the vault and the app setting
        // only points at it. Until the secret exists the platform leaves the reference unresolved.
        {
          name: 'Paypro__NotifyUrl'
          value: '@Microsoft.KeyVault(VaultName=${vault.name};SecretName=paypro-notify-url)'
        }
        {
          name: 'Paypro__BaseUrl'
          value: payproBaseUrl
        }
        {
          name: 'Paypro__MerchantNo'
          value: merchantNo
        }
        {
          name: 'Paypro__SaltPosition'
          value: saltPosition
        }
        {
          name: 'Storage__TablePrefix'
          value: tablePrefix
        }
        {
          name: 'PayoutsQueueName'
          value: payoutsQueueName
        }
        {
          name: 'PayinsQueueName'
          value: payinsQueueName
        }
        {
          name: 'EventsQueueName'
          value: eventsQueueName
        }
        {
          name: 'PollSchedule'
          value: pollSchedule
        }
        {
          name: 'AuditPurgeSchedule'
          value: auditPurgeSchedule
        }
        {
          name: 'ReconcileSchedule'
          value: reconcileSchedule
        }
        {
          name: 'Reconcile__Days'
          value: reconcileDays
        }
        {
          name: 'Reconcile__MaxConcurrency'
          value: string(reconcileMaxConcurrency)
        }
        {
          name: 'Audit__RetentionDays'
          value: string(auditRetentionDays)
        }
        {
          name: 'Submit__HttpEnabled'
          value: string(submitHttpEnabled)
        }
        {
          name: 'Submit__AllowedIpRanges'
          value: submitAllowedIpRanges
        }
        {
          name: 'Notify__UnsignedPolicy'
          value: notifyUnsignedPolicy
        }
        {
          name: 'Notify__AllowedIpRanges'
          value: notifyAllowedIpRanges
        }
        // The money controls that are set (Controls__*); none by default.
        ...controlsSettings
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
    }
  }
}

// Publishing goes through Microsoft Entra ID (az functionapp deploy); no FTP or SCM passwords exist.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: app
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: app
  name: 'scm'
  properties: {
    allow: false
  }
}

@description('Default host name of the app.')
output defaultHostName string = app.properties.defaultHostName
