using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Paypro.Load;

// The smallest isolated worker that serves HTTP as the app does (ASP.NET Core integration), with the bare notify's
// clients: AzureWebJobsStorage, and the tables and queue the load tool names (Bare:TablePrefix, Bare:EventsQueue).
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
var connection = builder.Configuration["AzureWebJobsStorage"]
    ?? throw new InvalidOperationException("AzureWebJobsStorage is not set.");
var prefix = builder.Configuration["Bare:TablePrefix"] ?? throw new InvalidOperationException("Bare:TablePrefix is not set.");
// Without an events queue, the bare notify makes three table round trips instead of the four operations.
var eventsQueue = builder.Configuration["Bare:EventsQueue"];
var tables = new TableServiceClient(connection, BareNotify.ClientOptions(new TableClientOptions()));
var events = string.IsNullOrEmpty(eventsQueue)
    ? null
    : new QueueClient(
        connection,
        eventsQueue,
        BareNotify.ClientOptions(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }));
builder.Services.AddSingleton(new BareNotify(
    tables.GetTableClient(prefix + "Transactions"),
    tables.GetTableClient(prefix + "Audit"),
    tables.GetTableClient(prefix + "Due"),
    events));
builder.Build().Run();
