metadata description = 'The Key Vault that holds the Paypro app secret and the notify URL. The template creates no secret: their values never pass through a template, a parameter file or a deployment record.'

@description('Azure region of the vault.')
param location string

@description('Name of the vault (3-24 letters, digits and hyphens; globally unique).')
@minLength(3)
@maxLength(24)
param keyVaultName string

@description('Log Analytics workspace that receives the vault\'s audit log (who read or changed which secret).')
param logAnalyticsWorkspaceName string

@description('Tags applied to the vault.')
param tags {
  *: string
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2026-03-01' existing = {
  name: logAnalyticsWorkspaceName
}

resource vault 'Microsoft.KeyVault/vaults@2026-05-15' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    // Access is granted with Azure roles (Key Vault Secrets User for the app), never access policies.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // A deleted or overwritten app secret can be recovered, and nobody can purge it early.
    enablePurgeProtection: true
    // A Flex Consumption app without a virtual network resolves Key Vault references over the
    // public endpoint.
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

// The linter offers only 2016-09-01, an older schema for another resource shape; 2021-05-01-preview
// is the newest version of diagnostic settings (https://github.com/Azure/bicep/issues/10740).
#disable-next-line use-recent-api-versions
resource audit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: vault
  properties: {
    workspaceId: workspace.id
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
  }
}
