using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.LiveView;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Telemetry;
using FaceWatch.Web;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceWatch.Hosting;

/// <summary>
/// Host setup for running FaceWatch unattended: systemd (<c>Type=notify</c>) and Windows service
/// lifetimes, a bounded graceful stop, and a crashed worker that stops the whole process with a
/// non-zero exit code so the service manager restarts it.
/// </summary>
internal static class ServiceHosting
{
    /// <summary>Default time the host gives workers to stop; below systemd's <c>TimeoutStopSec=30</c> in the unit.</summary>
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Exit code of a run whose worker crashed (systemd <c>Restart=on-failure</c> restarts on it).</summary>
    public const int CrashedExitCode = 70; // EX_SOFTWARE

    /// <summary>Exit code when the host failed to start (bad config, port in use): fix, then start again.</summary>
    public const int StartFailedExitCode = 78; // EX_CONFIG

    /// <summary>
    /// Service lifetimes (no-ops when run from a terminal), <see cref="HostOptions"/> for a bounded stop that
    /// stops the host when a background service throws, the shared <see cref="FaceWatchMetrics"/>, the
    /// overlay windows when <c>Debug:Windows</c> is true, and the web live view when <c>Web:Enabled</c> is true.
    /// Frame sinks are registered as <see cref="IFrameAnnotationSink"/>: the pipeline posts to every one of
    /// <c>IEnumerable&lt;IFrameAnnotationSink&gt;</c>.
    /// </summary>
    public static IHostApplicationBuilder AddFaceWatchServiceHosting(this IHostApplicationBuilder builder, TimeSpan? shutdownTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddSystemd();
        services.AddWindowsService(options => options.ServiceName = "FaceWatch");
        services.Configure<HostOptions>(options =>
        {
            options.ShutdownTimeout = shutdownTimeout ?? DefaultShutdownTimeout;
            options.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;
        });
        services.AddMetrics();
        services.TryAddSingleton<CameraHealthRegistry>();
        services.TryAddSingleton<FaceWatchMetrics>();
        services.TryAddSingleton(TimeProvider.System);

        services.AddOptions<OverlayWindowOptions>().Bind(builder.Configuration.GetSection(OverlayWindowOptions.SectionName));
        if (builder.Configuration.GetValue<bool>($"{OverlayWindowOptions.SectionName}:{nameof(OverlayWindowOptions.Windows)}"))
        {
            services.AddSingleton<OverlayWindowSink>();
            services.AddSingleton<IFrameAnnotationSink>(sp => sp.GetRequiredService<OverlayWindowSink>());
            services.AddHostedService(sp => sp.GetRequiredService<OverlayWindowSink>());
        }

        services.AddOptions<SnapshotOptions>()
            .Bind(builder.Configuration.GetSection(SnapshotOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        if (builder.Configuration.GetValue<bool>($"{SnapshotOptions.SectionName}:{nameof(SnapshotOptions.Enabled)}"))
        {
            services.TryAddSingleton<IdentityEventHub>();
            services.AddSingleton<SnapshotCleaner>();
            services.AddHostedService<SnapshotWriter>();
        }

        builder.AddFaceWatchWeb();
        return builder;
    }

    /// <summary>
    /// Runs the host until SIGTERM / Ctrl-C / service stop and returns the process exit code:
    /// 0 after a clean stop, <see cref="CrashedExitCode"/> when a background service died,
    /// <see cref="StartFailedExitCode"/> when start failed (the error, naming the setting, goes to stderr).
    /// Also sets <see cref="Environment.ExitCode"/>.
    /// </summary>
    public static async Task<int> RunServiceAsync(this IHost host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        int code;
        try
        {
            await host.RunAsync(cancellationToken).ConfigureAwait(false);
            code = CrashedWorkers(host).Count > 0 ? CrashedExitCode : 0;
        }
        catch (OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync($"facewatch: invalid configuration: {string.Join("; ", ex.Failures)}").ConfigureAwait(false);
            code = StartFailedExitCode;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            // Kestrel's "address already in use" is an IOException; an unusable setting an InvalidOperationException.
            await Console.Error.WriteLineAsync($"facewatch: could not start: {ex.Message}").ConfigureAwait(false);
            code = StartFailedExitCode;
        }

        Environment.ExitCode = code;
        return code;
    }

    /// <summary>Background services whose <c>ExecuteAsync</c> ended with an exception.</summary>
    public static IReadOnlyList<BackgroundService> CrashedWorkers(IHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return host.Services.GetServices<IHostedService>()
            .OfType<BackgroundService>()
            .Where(s => s.ExecuteTask is { IsFaulted: true })
            .ToArray();
    }
}
