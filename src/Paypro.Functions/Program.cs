using Microsoft.Azure.Functions.Worker.Builder;
using Paypro.Functions;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddPayproFunctions(builder.Configuration);
builder.Build().Run();
