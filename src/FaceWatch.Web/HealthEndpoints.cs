using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FaceWatch.Web;

/// <summary>Health: <c>/healthz</c> (JSON; 503 when no camera is online) and <c>/metrics</c> (Prometheus text of meter <c>FaceWatch</c>).</summary>
internal static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", (HealthReporter health) =>
        {
            var report = health.Report();
            return Results.Json(report, WebJsonContext.Default.HealthDto, statusCode: report.Status == "down" ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
        });
        endpoints.MapPrometheusScrapingEndpoint("/metrics");
        return endpoints;
    }
}
