metadata description = 'Log alerts a payments team needs, on the log markers the app writes and on failed invocations, and the action group that emails them.'

@description('Azure region of the alert rules.')
param location string

@description('Name prefix of the alert rules and the action group.')
param namePrefix string

@description('Name of the Application Insights component the alerts query.')
param appInsightsName string

@description('Address that receives alert emails; empty creates no action group, so alerts show only in the portal.')
param alertEmail string

@description('Rejected callbacks in 15 minutes above which the burst alert fires.')
@minValue(1)
param rejectedCallbackThreshold int

@description('Tags applied to the alert rules and the action group.')
param tags {
  *: string
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-${namePrefix}-payments'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take('${namePrefix}pay', 12)
    enabled: true
    emailReceivers: [
      {
        name: 'payments-team'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

@description('Action groups every alert notifies.')
var actionGroups = empty(alertEmail) ? [] : [actionGroup.id]

// 2023-12-01 is the newest scheduledQueryRules version the resource provider is known to serve in
// every region; newer published versions have been refused at deployment time
// (https://github.com/Azure/bicep/issues/19143).
#disable-next-line use-recent-api-versions
resource poisonMessages 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-poison-messages'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Paypro: messages moved to a poison queue'
    description: 'A payout or payin request failed five times and now sits in a -poison queue. Nothing retries it: inspect the message, fix the cause, and re-enqueue it with the same tradeNo (the app never pays a tradeNo twice).'
    severity: 1
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          // The app logs the marker; the Functions host logs its own line when it moves a message.
          query: 'traces | where message has "PAYPRO_POISON_MESSAGE" or (message has "MaxDequeueCount" and message contains "-poison")'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroups
    }
  }
}

#disable-next-line use-recent-api-versions
resource stuckTransactions 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-stuck-transactions'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Paypro: transactions stuck pending'
    description: 'A transaction has been pending at Paypro for longer than Poll__StuckAfter. Check it with GET /api/payouts/{tradeNo} and ask Paypro about it; the poll keeps checking it.'
    severity: 2
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: 'traces | where message has "PAYPRO_TRANSACTION_STUCK"'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroups
    }
  }
}

#disable-next-line use-recent-api-versions
resource rejectedCallbacks 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-rejected-callbacks'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Paypro: burst of rejected callbacks'
    description: 'Many notify callbacks failed signature or format checks. Either someone is forging callbacks or the app secret in Key Vault no longer matches the one Paypro signs with.'
    severity: 2
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'traces | where message has "PAYPRO_CALLBACK_REJECTED"'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: rejectedCallbackThreshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroups
    }
  }
}

#disable-next-line use-recent-api-versions
resource anomalies 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-anomalies'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Paypro: contradicting transaction result'
    description: 'Paypro reported a result that contradicts a final state (success after failure, another amount). The record keeps its state and the anomaly; reconcile it with Paypro by hand.'
    severity: 1
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'traces | where message has "PAYPRO_ANOMALY"'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroups
    }
  }
}

#disable-next-line use-recent-api-versions
resource queriesFailing 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-queries-failing'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Paypro: status queries failing as a whole'
    description: 'No status query has found a transaction within Poll__QueryChannelWindow, or Paypro answered that it does not know a transaction it had accepted. Until a query finds one again, no transaction is declared never sent: lost create answers stay unknown. Check Paypro__MerchantNo, Paypro__SaltPosition and the app secret in Key Vault against what Paypro has.'
    severity: 1
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'traces | where message has "PAYPRO_QUERIES_FAILING"'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroups
    }
  }
}

#disable-next-line use-recent-api-versions
resource paidNotSent 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-paid-not-sent'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Paypro: a payout failed as never sent was paid'
    description: 'A transaction recorded failed with notSent, which invites a retry with a new tradeNo, is reported paid by Paypro: a retry pays twice. Stop any retry of it at once and take it up with Paypro (docs/operations.md, When an alert fires).'
    severity: 0
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'traces | where message has "PAYPRO_PAID_NOT_SENT"'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroups
    }
  }
}

#disable-next-line use-recent-api-versions
resource reconciliationDisagreements 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-reconciliation-disagreements'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Paypro: reconciliation found disagreements'
    description: 'The daily reconciliation found final results that Paypro records otherwise (another state, amount or platFormTradeNo, or a tradeNo Paypro does not know). Each is kept as an anomaly; GET /api/reconciliation/{date} lists them.'
    severity: 1
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: 'customMetrics | where name == "paypro.reconciliation.disagreements" and valueSum > 0'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroups
    }
  }
}

#disable-next-line use-recent-api-versions
resource reconciliationIncomplete 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-reconciliation-incomplete'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Paypro: a day could not be reconciled'
    description: 'Reconciliation could not check some transactions of a Kenya day; the log line says why (status queries not known to work, Paypro not answering). Each run tries them again; the day report says what is left.'
    severity: 2
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: 'traces | where message has "PAYPRO_RECONCILIATION_INCOMPLETE"'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroups
    }
  }
}

// One alert per held payout: the window equals the frequency, so each log line is counted once.
#disable-next-line use-recent-api-versions
resource payoutHeld 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-payout-held'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Paypro: payout held'
    description: 'A payout was held by the money controls (over Controls__ApprovalThreshold, or it would pass a day limit or a limit per mobile number); nothing is sent until an operator decides, and the log line says which limit. List the held payouts with GET /api/transactions/held, then release one with POST /api/payouts/{tradeNo}/release or cancel it with POST /api/payouts/{tradeNo}/cancel and a body {"reason": "..."}, both with the master key. A payout still held after Controls__HoldExpiry (7 days by default) is cancelled. Runbook: docs/operations.md, A held payout.'
    severity: 2
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: 'traces | where message has "PAYPRO_PAYOUT_HELD"'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroups
    }
  }
}

#disable-next-line use-recent-api-versions
resource functionFailures 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-function-failures'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Paypro: function failures'
    description: 'Invocations failed or threw (storage or Key Vault unreachable, a bug, a timeout). Rejected client input (4xx) is left out: the rejected-callback alert covers forged callbacks.'
    severity: 2
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'union (requests | where success == false and not(resultCode startswith "4")), exceptions'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroups
    }
  }
}
