using './main.bicep'

// Values that differ per merchant come from environment variables, so this file holds nothing
// that identifies an account and no secret; a missing variable stops the deployment by name.
//   PAYPRO_MERCHANT_NO   your 10-digit Paypro merchant number
//   PAYPRO_BASE_URL      the Paypro API base URL Paypro gave you
//   PAYPRO_ALERT_EMAIL   optional: who receives alert emails
// azd deploys this file rather than main.bicep and passes its environment's values (set them with
// `azd env set`), among them AZURE_ENV_NAME, which is empty outside azd.
param merchantNo = readEnvironmentVariable('PAYPRO_MERCHANT_NO')
param payproBaseUrl = readEnvironmentVariable('PAYPRO_BASE_URL')
param alertEmail = readEnvironmentVariable('PAYPRO_ALERT_EMAIL', '')
param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', '')

param namePrefix = 'paypro'
param pollSchedule = '0 */1 * * * *'
param auditPurgeSchedule = '0 30 2 * * *'
param reconcileSchedule = '0 */5 22-23,0-2 * * *'
param reconcileDays = '1,8'
param reconcileMaxConcurrency = 4
param auditRetentionDays = 400
param submitHttpEnabled = false
param submitAllowedIpRanges = ''
param saltPosition = 'Append'
param notifyUnsignedPolicy = 'ConfirmByQuery'
param notifyAllowedIpRanges = ''
param storageSkuName = 'Standard_ZRS'

// Money controls on payouts, all off while unset: uncomment a line to set that control (amounts in
// KES, whole numbers). A payout over the threshold, or that would pass a limit, is held for approval.
// param dailyPayoutAmountLimit = 1000000
// param dailyPayoutCountLimit = 500
// param mobileDailyPayoutAmountLimit = 150000
// param mobileDailyPayoutCountLimit = 10
// param payoutApprovalThreshold = 100000
// param payoutHoldExpiry = '7.00:00:00'
