using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Publishing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

using FaceWatch.Core.Health;
using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Web;

/// <summary>
/// The web live view: a small Kestrel app inside the daemon's host (started and stopped with it),
/// reading the same frames, events and health as everything else.
/// </summary>
public sealed class WebLiveViewServer : IHostedService, IAsyncDisposable
{
    internal const string Boundary = "facewatchframe";
    private const string TokenCookie = "facewatch_token";
    private static readonly byte[] CrLf = "\r\n"u8.ToArray();

    private readonly WebOptions _options;
    private readonly WebFrameSink _frames;
    private readonly RecentEvents _events;
    private readonly CameraHealthRegistry _cameras;
    private readonly HealthReporter _health;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<WebLiveViewServer> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly byte[] _token;
    private readonly string _cookieValue;
    private readonly byte[] _cookieBytes;
    private readonly LogThrottle _throttle;
    private WebApplication? _app;

    public WebLiveViewServer(
        IOptions<WebOptions> options,
        WebFrameSink frames,
        RecentEvents events,
        CameraHealthRegistry cameras,
        HealthReporter health,
        TimeProvider time,
        ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = options.Value;
        _token = Encoding.UTF8.GetBytes(_options.Token ?? "");
        // The cookie holds a value derived from the token, not the token: a stolen cookie is no Bearer token.
        _cookieValue = Convert.ToBase64String(HMACSHA256.HashData(_token, "facewatch web session v1"u8))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _cookieBytes = Encoding.UTF8.GetBytes(_cookieValue);
        _throttle = new LogThrottle(time);
        _frames = frames;
        _events = events;
        _cameras = cameras;
        _health = health;
        _time = time;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<WebLiveViewServer>();
    }

    /// <summary>The addresses Kestrel actually bound (a port of 0 resolved), after start.</summary>
    public IReadOnlyList<string> BoundUrls { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggerFactory);
        // The daemon's host owns Ctrl-C/SIGTERM and service stop; this inner app is started and stopped by it.
        builder.Services.AddSingleton<IHostLifetime, InnerLifetime>();
        builder.WebHost.UseUrls(WebOptionsValidator.SplitUrls(_options.Urls));
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(FaceWatchMetrics.MeterName, FaceWatchMetrics.MeterName + ".*")
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));

        var app = builder.Build();
        if (!string.IsNullOrEmpty(_options.Token))
        {
            app.Use(RequireTokenAsync);
        }

        MapEndpoints(app);
        app.MapPrometheusScrapingEndpoint("/metrics");
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A port in use fails here: the app (its server, container and meter provider) is not kept, so dispose it now.
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _app = app;
        BoundUrls = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];
        Log.Listening(_logger, string.Join(", ", BoundUrls));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Streams never end by themselves: end them first so Kestrel's graceful stop is quick.
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
            Log.Stopped(_logger);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private void MapEndpoints(WebApplication app)
    {
        app.MapGet("/", () => Results.Content(LivePage.Render(CameraNames(), _cameras, _events.Snapshot()), "text/html; charset=utf-8"));
        app.MapGet("/healthz", () =>
        {
            var report = _health.Report();
            return Results.Json(report, WebJsonContext.Default.HealthDto, statusCode: report.Status == "down" ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
        });
        app.MapGet("/api/cameras", () => Results.Json(CameraTiles(), WebJsonContext.Default.IReadOnlyListCameraTileDto));
        app.MapGet("/api/events", () => Results.Json(_events.Snapshot(), WebJsonContext.Default.IReadOnlyListIdentityEvent));
        app.MapGet("/api/events/stream", StreamEventsAsync);
        app.MapGet("/cameras/{name}/stream.mjpg", StreamCameraAsync);
        app.MapGet("/cameras/{name}/snapshot.jpg", (string name) =>
            _frames.Feed(name)?.Latest is { } latest
                ? Results.File(latest.Jpeg, "image/jpeg")
                : Results.NotFound($"No frame from camera '{name}' yet."));
    }

    private string[] CameraNames() =>
        _cameras.Snapshot().Select(c => c.Camera).Union(_frames.Cameras, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    private List<CameraTileDto> CameraTiles() =>
        CameraNames().Select(name =>
        {
            var h = _cameras.Get(name);
            var feed = _frames.Feed(name);
            return new CameraTileDto(name, h?.Online ?? false, Math.Round(h?.ProcessedFps ?? 0, 2), h?.FramesDropped ?? 0, h?.LastError,
                feed?.Viewers ?? 0, feed?.Encoded ?? 0, Math.Round(feed?.LastEncodeMs ?? 0, 2));
        }).ToList();

    private async Task StreamCameraAsync(string name, HttpContext context)
    {
        var feed = _frames.Feed(name);
        if (feed is null && _cameras.Get(name) is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsync($"No camera named '{name}'.", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        var ct = cts.Token;
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        context.Response.ContentType = "multipart/x-mixed-replace; boundary=" + Boundary;
        context.Response.Headers.CacheControl = "no-cache, no-store";
        var minInterval = TimeSpan.FromSeconds(1.0 / _options.MaxStreamFps);
        try
        {
            // A camera may post its first frame only after the page opened.
            while (feed is null)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), _time, ct).ConfigureAwait(false);
                feed = _frames.Feed(name);
            }

            using var watching = feed.Watch();
            long version = 0;
            var body = context.Response.Body;
            while (!ct.IsCancellationRequested)
            {
                var sent = _time.GetTimestamp();
                var frame = await feed.NextAsync(version, ct).ConfigureAwait(false);
                version = frame.Version;
                await body.WriteAsync(frame.PartHeader, ct).ConfigureAwait(false);
                await body.WriteAsync(frame.Jpeg, ct).ConfigureAwait(false);
                await body.WriteAsync(CrLf, ct).ConfigureAwait(false);
                await body.FlushAsync(ct).ConfigureAwait(false);

                var wait = minInterval - _time.GetElapsedTime(sent);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Viewer left or the daemon is stopping.
        }
    }

    private async Task StreamEventsAsync(HttpContext context)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        var ct = cts.Token;
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var (reader, lease) = _events.Listen();
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

    /// <summary>
    /// With <c>Web:Token</c> set every path needs it: <c>Authorization: Bearer</c>, the session cookie, or <c>?token=</c>
    /// (which sets the cookie and redirects to the same address without the token, so it stays out of the address bar
    /// and the history).
    /// </summary>
    private async Task RequireTokenAsync(HttpContext context, RequestDelegate next)
    {
        var fromQuery = false;
        bool valid;
        var auth = context.Request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            valid = Matches(auth["Bearer ".Length..].Trim(), _token);
        }
        else if (context.Request.Query.TryGetValue("token", out var query))
        {
            valid = Matches(query.ToString(), _token);
            fromQuery = true;
        }
        else if (context.Request.Cookies.TryGetValue(TokenCookie, out var cookie))
        {
            valid = Matches(cookie, _cookieBytes);
        }
        else
        {
            valid = false;
        }

        if (!valid)
        {
            // anyone on the network can send these: one line a minute with a count, not one per request
            if (_throttle.ShouldLog("unauthorized", out var suppressed))
            {
                Log.Unauthorized(_logger, context.Connection.RemoteIpAddress?.ToString(), LogText.Printable(context.Request.Path.Value, 100), suppressed);
            }

            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"facewatch\"";
            await context.Response.WriteAsync("Web:Token required (Authorization: Bearer <token>, or open /?token=<token> once).", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (fromQuery)
        {
            context.Response.Cookies.Append(TokenCookie, _cookieValue, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = context.Request.IsHttps, Path = "/" });
            if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
            {
                var rest = QueryString.Create(context.Request.Query.Where(q => !string.Equals(q.Key, "token", StringComparison.OrdinalIgnoreCase)));
                context.Response.StatusCode = StatusCodes.Status303SeeOther;
                context.Response.Headers.Location = context.Request.PathBase + context.Request.Path + rest;
                context.Response.Headers.CacheControl = "no-store";
                return;
            }
        }

        await next(context).ConfigureAwait(false);
    }

    private static bool Matches(string? given, byte[] expected) =>
        given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), expected);
}

/// <summary>A lifetime that waits for nothing and listens to no signal: the outer host stops the web app.</summary>
internal sealed class InnerLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The one HTML page: rendered on the server (tiles and recent events work without script), live-updated by a small script.</summary>
internal static class LivePage
{
    public static string Render(IReadOnlyList<string> cameras, CameraHealthRegistry health, IReadOnlyList<IdentityEvent> recent)
    {
        var html = new StringBuilder(4096);
        html.Append("""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>FaceWatch live</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <style>
            body{font-family:system-ui,sans-serif;background:#111;color:#eee;margin:1rem}
            h1{font-size:1.3rem;margin:0 0 1rem}
            #tiles{display:flex;flex-wrap:wrap;gap:1rem}
            .tile{background:#222;padding:.5rem;border-radius:6px;max-width:660px}
            .tile h2{font-size:1rem;margin:.2rem 0 .5rem}
            .tile img{display:block;max-width:640px;width:100%;background:#000;min-height:120px}
            .status.online{color:#4c4}.status.offline{color:#e44}
            .identity{font-weight:bold;margin:.4rem 0}
            .stats{color:#aaa;font-size:.85rem;margin:.2rem 0}
            #events{font-family:monospace;font-size:.85rem}
            </style></head><body>
            <h1>FaceWatch live</h1>
            <div id="tiles">
            """);
        if (cameras.Count == 0)
        {
            html.Append("<p id=\"no-cameras\">No camera has delivered a frame yet.</p>");
        }

        foreach (var camera in cameras)
        {
            var h = health.Get(camera);
            var online = h?.Online ?? false;
            var latest = recent.FirstOrDefault(e => e.Camera == camera && e.Event != IdentityEventKind.Left);
            var enc = WebUtility.HtmlEncode(camera);
            var url = "/cameras/" + Uri.EscapeDataString(camera);
            html.Append(CultureInfo.InvariantCulture, $"""
                <section class="tile" data-camera="{enc}">
                <h2>{enc} <span class="status {(online ? "online" : "offline")}">{(online ? "online" : "offline")}</span></h2>
                <img class="stream" src="{url}/stream.mjpg" alt="{enc} live" onload="this.dataset.decoded='1';this.dataset.width=this.naturalWidth;this.dataset.height=this.naturalHeight">
                <p class="identity">{(latest is null ? "" : WebUtility.HtmlEncode(Describe(latest)))}</p>
                <p class="stats">{(h is null ? "" : string.Create(CultureInfo.InvariantCulture, $"{h.ProcessedFps:0.0} fps, dropped {h.FramesDropped}, reconnects {h.Reconnects}{(h.FailedAttempts > 0 ? $", failed attempts {h.FailedAttempts} of {h.Attempts}" : "")}"))}{(h?.LastError is { } err ? " — " + WebUtility.HtmlEncode(err) : "")}</p>
                </section>
                """);
        }

        html.Append("</div>\n<h2>Latest events</h2>\n<ol id=\"events\">");
        foreach (var e in recent)
        {
            html.Append("<li>").Append(WebUtility.HtmlEncode(Line(e))).Append("</li>");
        }

        html.Append("""
            </ol>
            <script>
            const fmt = e => `${new Date(e.timestamp).toISOString().slice(11, 19)} ${e.camera} #${e.trackId} ${e.event}: ${e.name} (${e.confidence.toFixed(2)})`;
            const es = new EventSource('/api/events/stream');
            es.addEventListener('identity', m => {
              const e = JSON.parse(m.data);
              const li = document.createElement('li'); li.textContent = fmt(e);
              const list = document.getElementById('events'); list.prepend(li);
              while (list.children.length > 50) list.lastChild.remove();
              if (e.event !== 'left') {
                const tile = [...document.querySelectorAll('.tile')].find(t => t.dataset.camera === e.camera);
                if (tile) tile.querySelector('.identity').textContent = `${e.name} (${e.confidence.toFixed(2)})`;
                else location.reload();
              }
            });
            async function poll() {
              try {
                const cams = await (await fetch('/api/cameras')).json();
                const tiles = document.querySelectorAll('.tile');
                if (cams.length !== tiles.length) { location.reload(); return; }
                for (const c of cams) {
                  const tile = [...tiles].find(t => t.dataset.camera === c.name);
                  if (!tile) continue;
                  const s = tile.querySelector('.status');
                  s.textContent = c.online ? 'online' : 'offline'; s.className = 'status ' + (c.online ? 'online' : 'offline');
                  tile.querySelector('.stats').textContent = `${c.processedFps.toFixed(1)} fps, dropped ${c.framesDropped}` + (c.lastError ? ` — ${c.lastError}` : '');
                }
              } catch (_) { }
            }
            setInterval(poll, 2000);
            </script>
            </body></html>
            """);
        return html.ToString();
    }

    private static string Describe(IdentityEvent e) =>
        string.Create(CultureInfo.InvariantCulture, $"{e.Name} ({e.Confidence:0.00})");

    private static string Line(IdentityEvent e) =>
        string.Create(CultureInfo.InvariantCulture, $"{e.Timestamp.UtcDateTime:HH:mm:ss} {e.Camera} #{e.TrackId} {e.Event}: {e.Name} ({e.Confidence:0.00})");
}
