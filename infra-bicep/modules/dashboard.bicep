metadata description = 'The payments team\'s dashboard: an Azure Monitor workbook over the app\'s telemetry in Application Insights.'

@description('Azure region of the workbook.')
param location string

@description('Name of the Application Insights component the workbook reads.')
param appInsightsName string

@description('Display name of the workbook in the portal.')
param displayName string

@description('Tags applied to the workbook.')
param tags {
  *: string
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name is a GUID; derived from the component so a redeployment updates the same workbook.
  name: guid(appInsights.id, 'paypro-dashboard')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: appInsights.id
    // The panels' queries name the app's metrics and log markers; a test checks each name against the app.
    serializedData: loadTextContent('../dashboard/paypro-workbook.json')
  }
}

@description('Resource id of the workbook (Azure portal: Monitor > Workbooks, or the Application Insights component > Workbooks).')
output workbookId string = workbook.id
