using FaceWatch.Cluster;
using FaceWatch.Configuration;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Tracking;
using FaceWatch.Pipeline.Workers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

using FaceWatch.Core.Configuration;
using FaceWatch.Core.Health;
using FaceWatch.Core.Imaging;
using FaceWatch.Core.Models;
using FaceWatch.Hosting;
using FaceWatch.Hosting.Cluster;
using FaceWatch.Pipeline.Motion;
using FaceWatch.Hosting.LiveView;
using FaceWatch.Hosting.Mqtt;
using FaceWatch.Web;
namespace FaceWatch;

/// <summary>
/// Builds the daemon's host: our configuration scheme (defaults, then the <c>--config</c> JSON, then <c>FACEWATCH_</c>
/// environment variables), console logging, service lifetimes, typed options validated at start, the shared stages
/// (one ONNX session per model) and the pipeline service.
/// </summary>
public static class DaemonHost
{
    /// <summary>The builder for <c>facewatch run</c>; others add their services (MQTT, web) before <c>Build()</c>.</summary>
    public static HostApplicationBuilder CreateBuilder(string? configFile) => CreateBuilder(FaceWatchConfiguration.Build(configFile));

    /// <summary>The builder over a given configuration (tests pass an in-memory one).</summary>
    public static HostApplicationBuilder CreateBuilder(IConfiguration configuration)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        builder.Configuration.AddKeepingEmptyValues(configuration);
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
            o.UseUtcTimestamp = true;
        });
        builder.Services.AddSystemd();
        builder.Services.AddWindowsService(o => o.ServiceName = "FaceWatch");
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(15);
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;
        });
        // Start failures are printed once, plainly, by DaemonRunner (with the failing key), not as a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);

        // Nothing said about MQTT (the zero-config demo, or cameras only): publish to our own broker on loopback.
        // Any Mqtt setting (a Host, Enabled=false, Embedded) means the user decides.
        if (!configuration.GetSection("Mqtt").Exists())
        {
            builder.Configuration["Mqtt:Embedded:Enabled"] = "true";
        }

        // The one composition of the daemon. MQTT first: hosts stop services in reverse order, so the publisher
        // outlives the pipeline and flushes its last events (the web view puts itself first: see AddFaceWatchWeb).
        builder.Services
            .AddFaceWatchMqtt(builder.Configuration)
            .AddFaceWatchPipeline(configuration)
            .AddFaceWatchLiveView(builder.Configuration)
            .AddFaceWatchCluster(configuration); // the Cluster options always; the cluster parts only when Cluster:Nats:Url is set
        builder.AddFaceWatchWeb();
        return builder;
    }
}
