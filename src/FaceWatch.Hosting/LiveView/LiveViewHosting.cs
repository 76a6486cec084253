using FaceWatch.Core.Configuration;
using FaceWatch.Pipeline.LiveView;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FaceWatch.Hosting.LiveView;

/// <summary>
/// Overlay windows (<c>Debug:Windows</c> / <c>run --show</c>) and face snapshots (<c>Snapshots:Enabled</c>): their
/// sections (strictly bound, validated at start) and, when switched on, their services. Frame sinks register as
/// <see cref="IFrameAnnotationSink"/>; the pipeline posts to every one.
/// </summary>
public static class LiveViewHosting
{
    public static IServiceCollection AddFaceWatchLiveView(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSection<OverlayWindowOptions>(configuration, OverlayWindowOptions.SectionName);
        if (ConfigurationChecks.IsTrue(configuration, $"{OverlayWindowOptions.SectionName}:{nameof(OverlayWindowOptions.Windows)}"))
        {
            services.AddSingleton<OverlayWindowSink>();
            services.AddSingleton<IFrameAnnotationSink>(sp => sp.GetRequiredService<OverlayWindowSink>());
            services.AddHostedService(sp => sp.GetRequiredService<OverlayWindowSink>());
        }

        services.AddSection<SnapshotOptions>(configuration, SnapshotOptions.SectionName);
        if (ConfigurationChecks.IsTrue(configuration, $"{SnapshotOptions.SectionName}:{nameof(SnapshotOptions.Enabled)}"))
        {
            services.AddSingleton<SnapshotCleaner>();
            services.AddSingleton<SnapshotSink>();
            services.AddSingleton<IFrameAnnotationSink>(sp => sp.GetRequiredService<SnapshotSink>());
            services.AddHostedService<SnapshotWriter>();
        }

        return services;
    }
}
