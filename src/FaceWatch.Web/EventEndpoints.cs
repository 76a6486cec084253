using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace FaceWatch.Web;

/// <summary>The identity events: <c>/api/events</c> (the recent ones, newest first) and <c>/api/events/stream</c> (server-sent events).</summary>
internal static class EventEndpoints
{
    public static IEndpointRouteBuilder MapEvents(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/events", (RecentEvents events) => Results.Json(events.Snapshot(), WebJsonContext.Default.IReadOnlyListIdentityEvent));
        endpoints.MapGet("/api/events/stream", StreamAsync);
        return endpoints;
    }

    private static async Task StreamAsync(HttpContext context, RecentEvents events, IHostApplicationLifetime lifetime)
    {
        // Streams never end by themselves: the web app's stopping ends them first, so Kestrel's graceful stop is quick.
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var ct = cts.Token;
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var (reader, lease) = events.Listen();
        using (lease)
        {
            try
            {
                await context.Response.WriteAsync(": facewatch events\n\n", ct).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
                await foreach (var e in reader.ReadAllAsync(ct).ConfigureAwait(false))
                {
                    var json = JsonSerializer.Serialize(e, WebJsonContext.Default.IdentityEvent);
                    await context.Response.WriteAsync($"event: identity\ndata: {json}\n\n", ct).ConfigureAwait(false);
                    await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // Viewer left or the daemon is stopping.
            }
        }
    }
}
