using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Herald.Server.Health;

/// <summary>
/// <c>GET /health/live</c> answers 200 while the process can serve HTTP at all (restart it otherwise);
/// <c>GET /health/ready</c> answers 200 once every hosted service and listener has started and until shutdown
/// begins, 503 otherwise (send it no traffic). The body is a small JSON object: <c>{"status":"ready"}</c>.
/// </summary>
internal static class HealthEndpoints
{
    public static void MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/health/live", WriteLiveAsync);
        endpoints.MapGet("/health/ready", WriteReadyAsync);
    }

    private static Task WriteLiveAsync(HttpContext context) => WriteAsync(context, StatusCodes.Status200OK, "live");

    private static Task WriteReadyAsync(HttpContext context)
    {
        var lifetime = context.RequestServices.GetRequiredService<IHostApplicationLifetime>();
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "stopping");
        }

        return lifetime.ApplicationStarted.IsCancellationRequested
            ? WriteAsync(context, StatusCodes.Status200OK, "ready")
            : WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "starting");
    }

    private static Task WriteAsync(HttpContext context, int statusCode, string status)
    {
        context.Response.StatusCode = statusCode;
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsJsonAsync(new HealthStatus(status), HealthJsonContext.Default.HealthStatus, contentType: null, context.RequestAborted);
    }
}

internal sealed record HealthStatus(string Status);

/// <summary>Source-generated serialization for the health bodies, so they need no reflection.</summary>
[JsonSerializable(typeof(HealthStatus))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class HealthJsonContext : JsonSerializerContext;
