using FaceWatch.Core.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace FaceWatch.Web;

/// <summary>
/// The web live view: a small Kestrel app inside the daemon's host (started and stopped with it),
/// reading the same frames, events and health as everything else. This class only composes it: the token check
/// is <see cref="WebTokenMiddleware"/>, the routes are <see cref="LivePage"/>, <see cref="HealthEndpoints"/>,
/// <see cref="CameraEndpoints"/>, <see cref="EventEndpoints"/> and <see cref="StrangerEndpoints"/>.
/// </summary>
public sealed class WebLiveViewServer : IHostedService, IAsyncDisposable
{
    private readonly WebOptions _options;
    private readonly WebViewSources _sources;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<WebLiveViewServer> _logger;
    private WebApplication? _app;

    public WebLiveViewServer(IOptions<WebOptions> options, WebViewSources sources, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = options.Value;
        _sources = sources;
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
        // Instances, not factories: the daemon's container owns (and disposes) them.
        builder.Services.AddSingleton(_options);
        builder.Services.AddSingleton(_sources.Frames);
        builder.Services.AddSingleton(_sources.Cameras);
        builder.Services.AddSingleton(_sources.Events);
        builder.Services.AddSingleton(_sources.Health);
        builder.Services.AddSingleton(_sources.Time);
        builder.Services.AddSingleton(new StrangerReview(_sources.Strangers));
        if (_sources.Gallery is { } gallery)
        {
            builder.Services.AddSingleton(gallery);
        }
        builder.WebHost.UseUrls(WebOptionsValidator.SplitUrls(_options.Urls));
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(FaceWatchMetrics.MeterName, FaceWatchMetrics.MeterName + ".*")
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));

        var app = builder.Build();
        if (!string.IsNullOrEmpty(_options.Token))
        {
            app.UseMiddleware<WebTokenMiddleware>();
        }

        app.MapLivePage();
        app.MapHealth();
        app.MapCameras();
        app.MapEvents();
        app.MapStrangers();
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
        // The app's ApplicationStopping fires before Kestrel stops: it ends the MJPEG and SSE streams first.
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
    }
}

/// <summary>A lifetime that waits for nothing and listens to no signal: the outer host stops the web app.</summary>
internal sealed class InnerLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
