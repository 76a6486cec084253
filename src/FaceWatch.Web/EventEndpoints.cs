using System.Text.Json;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Workers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FaceWatch.Web;

/// <summary>What <c>POST /api/events/{id}/reject</c> did: the person the event named and how many negatives they have now.</summary>
public sealed record RejectResult(string EventId, string Person, bool AlreadyRejected, int Negatives, string Message);

/// <summary>
/// The identity events: <c>/api/events</c> (the recent ones, newest first), <c>/api/events/stream</c> (server-sent
/// events) and <c>POST /api/events/{id}/reject</c> ("that was not me": the visit's face becomes a negative of the
/// person the event named, <see cref="Gallery.Negatives"/>).
/// </summary>
internal static class EventEndpoints
{
    /// <summary>Event ids are 32 hex digits; anything much longer is not one (and is not echoed whole).</summary>
    private const int MaxEventIdLength = 64;

    public static IEndpointRouteBuilder MapEvents(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/events", (RecentEvents events) => Results.Json(events.Snapshot(), WebJsonContext.Default.IReadOnlyListIdentityEvent));
        endpoints.MapGet("/api/events/stream", StreamAsync);
        endpoints.MapPost("/api/events/{eventId}/reject", RejectAsync).AsWrite();
        return endpoints;
    }

    private static async Task<IResult> RejectAsync(
        string eventId, RecentEvents events, IServiceProvider services, TimeProvider time, ILoggerFactory loggers, CancellationToken ct)
    {
        if (eventId.Length > MaxEventIdLength || !eventId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            return Results.Problem($"'{Shown(eventId)}' is not an event id (up to {MaxEventIdLength} letters, digits, '-' or '_').", statusCode: StatusCodes.Status400BadRequest);
        }

        if (events.Find(eventId) is not { } e)
        {
            return Results.Problem(
                $"Event '{eventId}' is not among the last {RecentEvents.Decisions} decisions of this daemon (a wrong id, or the daemon restarted since).",
                statusCode: StatusCodes.Status404NotFound);
        }

        if (e.Event is not (IdentityEventKind.Arrived or IdentityEventKind.Changed) || !e.Known)
        {
            return Results.Problem(
                $"Event '{eventId}' is '{e.Event}' of '{e.Name}': only an arrived or changed event that named an enrolled person can be rejected.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        if (e.Embedding is not { } embedding)
        {
            return Results.Problem($"Event '{eventId}' carries no face evidence to store.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (services.GetService<GalleryWatcher>() is not { } gallery)
        {
            return Results.Problem("This FaceWatch has no gallery to store a rejection in.", statusCode: StatusCodes.Status409Conflict);
        }

        var source = $"event:{eventId}";
        var already = false;
        Gallery changed;
        try
        {
            changed = await gallery.EditAsync(
                g =>
                {
                    already = g.Negatives.Any(n => n.Source == source);
                    return already ? g : g.WithNegatives([new NegativeFace(e.Name, source, embedding)], time.GetUtcNow());
                },
                ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            // No gallery file, or the person is no longer enrolled.
            return Results.Problem($"Event '{eventId}' cannot be rejected: {ex.Message}", statusCode: StatusCodes.Status409Conflict);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return Results.Problem($"Event '{eventId}' cannot be rejected: the gallery file could not be changed ({ex.Message}).", statusCode: StatusCodes.Status500InternalServerError);
        }

        var count = changed.Negatives.Count(n => n.Person == e.Name);
        if (!already)
        {
            Log.MatchRejected(loggers.CreateLogger(typeof(EventEndpoints).FullName!), eventId, e.Name, count);
        }

        var message = already
            ? $"Event '{eventId}' was already rejected: that face is a negative of '{e.Name}' ({count} in all)."
            : $"Event '{eventId}' rejected: that face no longer matches '{e.Name}' ({count} negative{(count == 1 ? "" : "s")} of '{e.Name}').";
        return Results.Json(new RejectResult(eventId, e.Name, already, count, message), WebJsonContext.Default.RejectResult);
    }

    private static string Shown(string text) => PersonName.Escape(text.Length > MaxEventIdLength ? text[..MaxEventIdLength] + "..." : text);

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
