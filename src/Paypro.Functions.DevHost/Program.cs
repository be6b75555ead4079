using Paypro.Functions.DevHost;

var app = DevelopmentHost.Build(args);
await app.RunAsync();
