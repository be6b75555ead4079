metadata description = 'Paypro Kenya integration on Azure Functions Flex Consumption: identity, storage, Key Vault, monitoring, the app and its alerts, with no secret in the template.'

@description('Azure region of every resource; it must offer Flex Consumption (az functionapp list-flexconsumption-locations).')
param location string = resourceGroup().location

@description('Short prefix of every resource name: 3-10 lowercase letters or digits.')
@minLength(3)
@maxLength(10)
param namePrefix string = 'paypro'

@description('Your Paypro merchant number, 10 digits, sent as the merchantNo header on every call.')
@minLength(10)
@maxLength(10)
param merchantNo string

@description('Base URL of the Paypro API that Paypro gave you (https). Paypro publishes none for Kenya, so there is no default.')
@minLength(9)
param payproBaseUrl string

@description('NCRONTAB schedule (six fields, seconds first) of the poll for pending transactions.')
param pollSchedule string = '0 */1 * * * *'

@description('NCRONTAB schedule (six fields, seconds first) of the audit retention run.')
param auditPurgeSchedule string = '0 30 2 * * *'

@description('NCRONTAB schedule (six fields, seconds first, UTC) of the daily reconciliation with Paypro: every 5 minutes of a night window, 01:00-05:55 Kenya time (UTC+3).')
param reconcileSchedule string = '0 */5 22-23,0-2 * * *'

@description('Kenya days each reconciliation run checks, as days before today: 1 is the day just ended, 8 the same day a week earlier (late reversals).')
param reconcileDays string = '1,8'

@description('Status queries reconciliation keeps in flight at once, beside the poll\'s: Paypro sees at most the sum of the two.')
@minValue(1)
@maxValue(64)
param reconcileMaxConcurrency int = 4

@description('Audit rows older than this many days are deleted (transaction records are kept); 400 is more than the 12 months payment audit standards ask for.')
@minValue(30)
param auditRetentionDays int = 400

@description('Turns on POST /api/payouts and /api/payins, a second way to move money for producers without queue access; off by default.')
param submitHttpEnabled bool = false

@description('Comma-separated CIDR ranges allowed to call the HTTP submit endpoints; empty accepts any caller with their key.')
param submitAllowedIpRanges string = ''

@description('Where Paypro puts the app secret in the string it signs.')
@allowed([
  'Append'
  'Prepend'
])
param saltPosition string = 'Append'

@description('What the app does with a notify callback that carries no sign: confirm the result by querying Paypro, or reject it.')
@allowed([
  'ConfirmByQuery'
  'Reject'
])
param notifyUnsignedPolicy string = 'ConfirmByQuery'

@description('Comma-separated CIDR ranges Paypro calls back from; empty accepts callbacks from any address (the function key and the signature still apply).')
param notifyAllowedIpRanges string = ''

// Money controls on payouts: all off unless set, so a deployment that sets none behaves as before.
// An unset parameter leaves its app setting out and the app keeps that control off.
@description('Total amount (KES, whole number) of the payouts cleared to be sent in one Kenya day (Controls__DailyAmountLimit); a payout that would pass it is held for approval. Unset: no limit.')
@minValue(0)
param dailyPayoutAmountLimit int?

@description('Number of payouts cleared to be sent in one Kenya day (Controls__DailyCountLimit); a payout past it is held for approval. Unset: no limit.')
@minValue(0)
param dailyPayoutCountLimit int?

@description('Amount (KES, whole number) cleared to one receiving mobile number in one Kenya day (Controls__MobileDailyAmountLimit); a payout that would pass it is held for approval. Unset: no limit.')
@minValue(0)
param mobileDailyPayoutAmountLimit int?

@description('Number of payouts cleared to one receiving mobile number in one Kenya day (Controls__MobileDailyCountLimit); a payout past it is held for approval. Unset: no limit.')
@minValue(0)
param mobileDailyPayoutCountLimit int?

@description('A payout above this amount (KES, whole number) is held for approval whatever the limits say (Controls__ApprovalThreshold). Unset: no threshold.')
@minValue(0)
param payoutApprovalThreshold int?

@description('How long a payout stays held before the app cancels it, as a TimeSpan such as 7.00:00:00 (Controls__HoldExpiry, more than zero and at most 365 days); empty keeps the app\'s default of 7 days.')
param payoutHoldExpiry string = ''

@description('Address that receives alert emails; empty creates the alerts without notifications.')
param alertEmail string = ''

@description('Rejected callbacks in 15 minutes above which the burst alert fires.')
@minValue(1)
param rejectedCallbackThreshold int = 10

@description('Most instances the app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of each app instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Redundancy of the storage account that holds the transactions and the audit trail.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSkuName string = 'Standard_ZRS'

@description('Days Log Analytics keeps logs.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Tags applied to every resource.')
param tags {
  *: string
} = {
  application: 'paypro-kenya'
}

@description('Name of the azd environment (azd sets AZURE_ENV_NAME, which main.bicepparam passes on); when set, every resource is tagged azd-env-name with it. Empty outside azd.')
@maxLength(64)
param environmentName string = ''

@description('Tags of every resource: the given ones, plus azd-env-name when azd deploys.')
var resourceTags = empty(environmentName) ? tags : union(tags, { 'azd-env-name': environmentName })

@description('Name of the app\'s service in azure.yaml, which azd finds the app by (its azd-service-name tag).')
var azdServiceName = 'functions'

@description('Suffix that makes the globally unique names (storage, vault, app) unique per resource group.')
var suffix = uniqueString(subscription().id, resourceGroup().id, namePrefix)

@description('Resource names, all derived from the prefix so a redeployment updates the same resources.')
var names = {
  identity: 'id-${namePrefix}-${suffix}'
  storage: take(toLower('st${namePrefix}${suffix}'), 24)
  keyVault: 'kv-${namePrefix}-${take(suffix, 8)}'
  logAnalytics: 'log-${namePrefix}-${suffix}'
  appInsights: 'appi-${namePrefix}-${suffix}'
  plan: 'plan-${namePrefix}-${suffix}'
  functionApp: 'func-${namePrefix}-${suffix}'
}

@description('Prefix of the app\'s table names; the app adds Transactions, Audit, Due and Controls.')
var tablePrefix = 'Paypro'

@description('Tables the app keeps transactions, the audit trail, the due index and the money controls (day counts, held payouts) in.')
var tableNames = [
  'PayproTransactions'
  'PayproAudit'
  'PayproDue'
  'PayproControls'
]

@description('Queue producers put payout requests on.')
var payoutsQueueName = 'paypro-payouts'

@description('Queue producers put payin requests on.')
var payinsQueueName = 'paypro-payins'

@description('Queue the app announces every final result on.')
var eventsQueueName = 'paypro-events'

@description('Every queue, with the poison queue the Functions host moves a message to after five failed attempts.')
var queueNames = [
  'paypro-payouts'
  'paypro-payouts-poison'
  'paypro-payins'
  'paypro-payins-poison'
  'paypro-events'
  'paypro-events-poison'
]

@description('Blob container of the Flex Consumption deployment package.')
var deploymentContainerName = 'app-package'

module identity 'modules/identity.bicep' = {
  params: {
    location: location
    identityName: names.identity
    tags: resourceTags
  }
}

module storage 'modules/storage.bicep' = {
  params: {
    location: location
    storageAccountName: names.storage
    skuName: storageSkuName
    deploymentContainerName: deploymentContainerName
    tableNames: tableNames
    queueNames: queueNames
    tags: resourceTags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  params: {
    location: location
    logAnalyticsWorkspaceName: names.logAnalytics
    appInsightsName: names.appInsights
    retentionInDays: logRetentionInDays
    tags: resourceTags
  }
}

module dashboard 'modules/dashboard.bicep' = {
  params: {
    location: location
    appInsightsName: names.appInsights
    displayName: 'Paypro Kenya payments (${namePrefix})'
    tags: resourceTags
  }
  dependsOn: [
    monitoring
  ]
}

module keyVault 'modules/keyvault.bicep' = {
  params: {
    location: location
    keyVaultName: names.keyVault
    logAnalyticsWorkspaceName: names.logAnalytics
    tags: resourceTags
  }
  dependsOn: [
    monitoring
  ]
}

module roles 'modules/roles.bicep' = {
  params: {
    identityName: names.identity
    storageAccountName: names.storage
    keyVaultName: names.keyVault
    appInsightsName: names.appInsights
  }
  dependsOn: [
    identity
    storage
    keyVault
    monitoring
  ]
}

// The app starts only once its identity may read storage and the vault, so the first start does
// not fail on missing permissions.
module functionApp 'modules/functionapp.bicep' = {
  params: {
    location: location
    planName: names.plan
    functionAppName: names.functionApp
    identityName: names.identity
    storageAccountName: names.storage
    deploymentContainerName: deploymentContainerName
    keyVaultName: names.keyVault
    appInsightsName: names.appInsights
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    payproBaseUrl: payproBaseUrl
    merchantNo: merchantNo
    saltPosition: saltPosition
    tablePrefix: tablePrefix
    payoutsQueueName: payoutsQueueName
    payinsQueueName: payinsQueueName
    eventsQueueName: eventsQueueName
    pollSchedule: pollSchedule
    auditPurgeSchedule: auditPurgeSchedule
    reconcileSchedule: reconcileSchedule
    reconcileDays: reconcileDays
    reconcileMaxConcurrency: reconcileMaxConcurrency
    auditRetentionDays: auditRetentionDays
    submitHttpEnabled: submitHttpEnabled
    submitAllowedIpRanges: submitAllowedIpRanges
    notifyUnsignedPolicy: notifyUnsignedPolicy
    notifyAllowedIpRanges: notifyAllowedIpRanges
    dailyPayoutAmountLimit: dailyPayoutAmountLimit
    dailyPayoutCountLimit: dailyPayoutCountLimit
    mobileDailyPayoutAmountLimit: mobileDailyPayoutAmountLimit
    mobileDailyPayoutCountLimit: mobileDailyPayoutCountLimit
    payoutApprovalThreshold: payoutApprovalThreshold
    payoutHoldExpiry: payoutHoldExpiry
    tags: resourceTags
    azdServiceName: azdServiceName
  }
  dependsOn: [
    roles
  ]
}

module alerts 'modules/alerts.bicep' = {
  params: {
    location: location
    namePrefix: namePrefix
    appInsightsName: names.appInsights
    alertEmail: alertEmail
    rejectedCallbackThreshold: rejectedCallbackThreshold
    tags: resourceTags
  }
  dependsOn: [
    monitoring
  ]
}

@description('Name of the function app (az functionapp commands take it with --name).')
output functionAppName string = names.functionApp

@description('Name of the function app again, under the name the azd Functions templates use (azd env get-value AZURE_FUNCTION_NAME).')
output AZURE_FUNCTION_NAME string = names.functionApp

@description('Default host name of the function app.')
output functionAppHostName string = functionApp.outputs.defaultHostName

@description('Shape of the notify URL to give Paypro; replace the placeholder with the PayproNotify function key.')
output notifyUrlTemplate string = 'https://${functionApp.outputs.defaultHostName}/api/paypro/notify?code=<function key>'

@description('Name of the Key Vault that must receive the paypro-app-secret and paypro-notify-url secrets.')
output keyVaultName string = names.keyVault

@description('Name of the storage account producers enqueue payout and payin requests on.')
output storageAccountName string = names.storage

@description('Resource id of the payments dashboard (an Azure Monitor workbook over Application Insights).')
output dashboardWorkbookId string = dashboard.outputs.workbookId
