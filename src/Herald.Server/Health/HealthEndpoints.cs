using System.Text.Json.Serialization;
using Herald.Broker.Resources;
using Herald.Server.Broker;
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
/// <c>GET /health/alarms</c> is RabbitMQ's local-alarms health check: 200 with <c>"status":"ok"</c> while no resource
/// alarm is in effect, 503 with <c>"status":"failed"</c> and the alarms (<c>"memory"</c>, <c>"disk"</c>) while
/// publishers are blocked, plus the last measurement and limits in bytes.
/// </summary>
internal static class HealthEndpoints
{
    public static void MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/health/live", WriteLiveAsync);
        endpoints.MapGet("/health/ready", WriteReadyAsync);
        endpoints.MapGet("/health/alarms", WriteAlarmsAsync);
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

    private static Task WriteAlarmsAsync(HttpContext context)
    {
        var usage = context.RequestServices.GetRequiredService<BrokerService>().Resources.Usage;
        var alarms = new List<string>(2);
        if ((usage.Alarms & ResourceAlarm.Memory) != 0)
        {
            alarms.Add("memory");
        }
        if ((usage.Alarms & ResourceAlarm.Disk) != 0)
        {
            alarms.Add("disk");
        }
        var body = new AlarmStatus(alarms.Count == 0 ? "ok" : "failed", alarms,
            usage.MemoryUsedBytes, usage.MemoryLimitBytes, usage.DiskFreeBytes, usage.DiskFreeLimitBytes);
        context.Response.StatusCode = alarms.Count == 0 ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsJsonAsync(body, HealthJsonContext.Default.AlarmStatus, contentType: null, context.RequestAborted);
    }

    private static Task WriteAsync(HttpContext context, int statusCode, string status)
    {
        context.Response.StatusCode = statusCode;
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsJsonAsync(new HealthStatus(status), HealthJsonContext.Default.HealthStatus, contentType: null, context.RequestAborted);
    }
}

internal sealed record HealthStatus(string Status);

internal sealed record AlarmStatus(string Status, IReadOnlyList<string> Alarms, long MemoryUsedBytes, long MemoryLimitBytes,
    long DiskFreeBytes, long DiskFreeLimitBytes);

/// <summary>Source-generated serialization for the health bodies, so they need no reflection.</summary>
[JsonSerializable(typeof(HealthStatus))]
[JsonSerializable(typeof(AlarmStatus))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class HealthJsonContext : JsonSerializerContext;
