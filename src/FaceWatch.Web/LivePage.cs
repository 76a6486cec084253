using System.Globalization;
using System.Net;
using System.Text;
using FaceWatch.Core.Health;
using FaceWatch.Pipeline.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FaceWatch.Web;

/// <summary>
/// The one HTML page (<c>Page/live.html</c>, one <c>Page/tile.html</c> per camera): rendered on the server (tiles and
/// recent events work without script), live-updated by its small script.
/// </summary>
internal static class LivePage
{
    private const string NoCameras = "<p id=\"no-cameras\">No camera has delivered a frame yet.</p>";

    private static readonly HtmlTemplate Page = HtmlTemplate.Load("FaceWatch.Web.Page.live.html", "tiles", "events");
    private static readonly HtmlTemplate Tile = HtmlTemplate.Load("FaceWatch.Web.Page.tile.html", "camera", "url", "status", "identity", "stats");

    /// <summary><c>/</c>: the page.</summary>
    public static IEndpointRouteBuilder MapLivePage(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/", (WebFrameSink frames, CameraHealthRegistry cameras, RecentEvents events) =>
            Results.Content(Render(CameraEndpoints.Names(frames, cameras), cameras, events.Snapshot()), "text/html; charset=utf-8"));
        return endpoints;
    }

    public static string Render(IReadOnlyList<string> cameras, CameraHealthRegistry health, IReadOnlyList<IdentityEvent> recent)
    {
        var tiles = new StringBuilder(1024);
        if (cameras.Count == 0)
        {
            tiles.Append(NoCameras);
        }

        foreach (var camera in cameras)
        {
            var h = health.Get(camera);
            var status = h?.Online ?? false ? "online" : "offline";
            var latest = recent.FirstOrDefault(e => e.Camera == camera && e.Event != IdentityEventKind.Left);
            Tile.Render(tiles, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["camera"] = camera,
                ["url"] = "/cameras/" + Uri.EscapeDataString(camera),
                ["status"] = status,
                ["identity"] = latest is null ? "" : Describe(latest),
                ["stats"] = Stats(h),
            });
        }

        var events = new StringBuilder(1024);
        foreach (var e in recent)
        {
            events.Append("<li>").Append(WebUtility.HtmlEncode(Line(e)));
            if (Rejectable(e))
            {
                // "That was not me": the page's script posts the reject (same origin, the session cookie carries the token).
                events.Append(" <button class=\"reject\" data-event=\"").Append(WebUtility.HtmlEncode(e.EventId)).Append("\">")
                    .Append(WebUtility.HtmlEncode("Not " + e.Name)).Append("</button>");
            }

            events.Append("</li>");
        }

        var html = new StringBuilder(4096);
        Page.Render(html, text: null, markup: new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["tiles"] = tiles.ToString(),
            ["events"] = events.ToString(),
        });
        return html.ToString();
    }

    /// <summary>Whether the event named an enrolled person (<c>arrived</c>/<c>changed</c>), so the page offers "Not &lt;name&gt;".</summary>
    internal static bool Rejectable(IdentityEvent e) => e.Known && e.Event is IdentityEventKind.Arrived or IdentityEventKind.Changed;

    private static string Stats(CameraHealth? h) =>
        (h is null ? "" : string.Create(CultureInfo.InvariantCulture, $"{h.ProcessedFps:0.0} fps, dropped {h.FramesDropped}, reconnects {h.Reconnects}{(h.FailedAttempts > 0 ? $", failed attempts {h.FailedAttempts} of {h.Attempts}" : "")}"))
        + (h?.LastError is { } err ? " — " + err : "");

    private static string Describe(IdentityEvent e) =>
        string.Create(CultureInfo.InvariantCulture, $"{e.Name} ({e.Confidence:0.00})");

    private static string Line(IdentityEvent e) =>
        string.Create(CultureInfo.InvariantCulture, $"{e.Timestamp.UtcDateTime:HH:mm:ss} {e.Camera} #{e.TrackId} {e.Event}: {e.Name} ({e.Confidence:0.00})");
}
