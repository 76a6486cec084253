using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.LiveView;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Telemetry;
using FaceWatch.Web;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace FaceWatch.Hosting;

/// <summary>
/// What makes a running daemon visible: the shared <see cref="FaceWatchMetrics"/>, overlay windows
/// (<c>Debug:Windows</c> / <c>run --show</c>), face snapshots (<c>Snapshots:Enabled</c>) and the web live view
/// with <c>/healthz</c> and <c>/metrics</c> (<c>Web:Enabled</c>). Service lifetimes, the bounded stop and the
/// crash exit code live in <see cref="DaemonHost"/> and <see cref="DaemonRunner"/>.
/// </summary>
internal static class ServiceHosting
{
    /// <summary>
    /// Adds the sections <c>Debug</c>, <c>Snapshots</c> and <c>Web</c> (strictly bound, validated at start) and, when
    /// switched on, their services. Frame sinks register as <see cref="IFrameAnnotationSink"/>; the pipeline posts
    /// to every one. Call after <see cref="DaemonHost.AddDaemon"/> (the embedder gets timed for the latency histogram).
    /// </summary>
    public static IHostApplicationBuilder AddFaceWatchLiveView(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CameraHealthRegistry>();
        services.TryAddSingleton<IdentityEventHub>();
        services.TryAddSingleton<FaceWatchMetrics>();
        TimeEmbedder(services);
        services.AddHostedService<PipelineQueueMetrics>();

        DaemonHost.AddSection<OverlayWindowOptions>(services, configuration, OverlayWindowOptions.SectionName);
        if (Pipeline.ConfigurationChecks.IsTrue(configuration, $"{OverlayWindowOptions.SectionName}:{nameof(OverlayWindowOptions.Windows)}"))
        {
            services.AddSingleton<OverlayWindowSink>();
            services.AddSingleton<IFrameAnnotationSink>(sp => sp.GetRequiredService<OverlayWindowSink>());
            services.AddHostedService(sp => sp.GetRequiredService<OverlayWindowSink>());
        }

        DaemonHost.AddSection<SnapshotOptions>(services, configuration, SnapshotOptions.SectionName);
        if (Pipeline.ConfigurationChecks.IsTrue(configuration, $"{SnapshotOptions.SectionName}:{nameof(SnapshotOptions.Enabled)}"))
        {
            services.AddSingleton<SnapshotCleaner>();
            services.AddSingleton<SnapshotSink>();
            services.AddSingleton<IFrameAnnotationSink>(sp => sp.GetRequiredService<SnapshotSink>());
            services.AddHostedService<SnapshotWriter>();
        }

        builder.AddFaceWatchWeb();
        return builder;
    }

    /// <summary>Wraps the registered <see cref="IFaceEmbedder"/> so every batch lands in <c>facewatch.embedding.duration</c>.</summary>
    private static void TimeEmbedder(IServiceCollection services)
    {
        var original = services.LastOrDefault(d => d.ServiceType == typeof(IFaceEmbedder) && !d.IsKeyedService);
        if (original is null)
        {
            return;
        }

        services.Remove(original);
        services.AddSingleton<IFaceEmbedder>(sp => new TimedFaceEmbedder(Resolve(original, sp), sp.GetRequiredService<FaceWatchMetrics>()));
    }

    private static IFaceEmbedder Resolve(ServiceDescriptor original, IServiceProvider sp) =>
        (IFaceEmbedder)(original.ImplementationInstance
            ?? original.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.CreateInstance(sp, original.ImplementationType!));
}
