using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Paypro.Functions;
using Paypro.Functions.Telemetry;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddPayproFunctions(builder.Configuration);
builder.Services.AddPayproTelemetry(builder.Configuration).UseFunctionsWorkerDefaults();
builder.Build().Run();
