
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.LiveView;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

using FaceWatch.Core.Health;
using FaceWatch.Core.Models;
using FaceWatch.Core.Configuration;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Workers;

namespace FaceWatch.Web;

public static class WebHosting
{
    /// <summary>
    /// Binds and validates <c>Web</c> (at start: a non-loopback bind without <c>Web:Token</c> stops the host);
    /// when <c>Web:Enabled</c>, adds the web frame sink, the recent-events reader and the Kestrel server.
    /// </summary>
    public static IHostApplicationBuilder AddFaceWatchWeb(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddSection<WebOptions>(builder.Configuration, WebOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebOptions>, WebOptionsValidator>());
        if (!ConfigurationChecks.IsTrue(builder.Configuration, $"{WebOptions.SectionName}:{nameof(WebOptions.Enabled)}"))
        {
            return builder;
        }

        // Per-request lines are noise in a daemon's log; warnings (bind failures, bad requests) stay.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Shared with the pipeline (AddFaceWatchPipeline registers them first; a web-only host gets its own).
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CameraHealthRegistry>();
        services.TryAddSingleton<IdentityEventHub>();
        services.TryAddSingleton<FaceWatchMetrics>();
        services.AddSingleton<WebFrameSink>();
        services.AddSingleton<IFrameAnnotationSink>(sp => sp.GetRequiredService<WebFrameSink>());
        services.AddSingleton<RecentEvents>();
        services.AddHostedService(sp => sp.GetRequiredService<RecentEvents>());
        services.AddSingleton<HealthReporter>();
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<WebViewSources>(sp) with { Gallery = sp.GetService<GalleryWatcher>() });
        services.AddSingleton<WebLiveViewServer>();
        // First of all hosted services: a port already in use fails the start before any camera or model is
        // running (and the view stays up while the pipeline drains at stop, as hosted services stop in reverse).
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(sp => sp.GetRequiredService<WebLiveViewServer>()));
        return builder;
    }
}
