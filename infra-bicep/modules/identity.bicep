metadata description = 'The user-assigned managed identity the function app runs as.'

@description('Azure region of the identity.')
param location string

@description('Name of the user-assigned managed identity.')
param identityName string

@description('Tags applied to the identity.')
param tags {
  *: string
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: identityName
  location: location
  tags: tags
}
