using FaceWatch.Configuration;
using FaceWatch.Pipeline;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Imaging;
using FaceWatch.Pipeline.Models;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Tracking;
using FaceWatch.Pipeline.Workers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceWatch.Hosting;

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

        // MQTT first: hosts stop services in reverse order, so the publisher outlives the pipeline and flushes its last events.
        builder.Services.AddFaceWatchMqtt(builder.Configuration, sp =>
        {
            var cameras = sp.GetRequiredService<IOptions<CamerasOptions>>().Value.Items;
            return cameras.Count == 0 ? [PipelineService.DemoCameraName] : cameras.Where(c => c.Enabled).Select(c => c.Name);
        });
        AddDaemon(builder.Services, configuration);
        return builder;
    }

    /// <summary>Options, shared stages and the pipeline service.</summary>
    public static IServiceCollection AddDaemon(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CameraHealthRegistry>();
        services.TryAddSingleton<IdentityEventHub>();

        services.AddOptions<CamerasOptions>()
            .Configure(o =>
            {
                var unknown = StrictBinder.UnknownSections(configuration).Select(k => $"{k}: unknown section").Concat(StrictBinder.LoggingProblems(configuration)).ToList();
                if (unknown.Count > 0)
                {
                    throw new OptionsValidationException("", typeof(CamerasOptions), unknown);
                }

                StrictBinder.BindList(configuration, CamerasOptions.SectionName, o.Items);
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<CamerasOptions>, CamerasOptionsValidator>();
        AddSection<CaptureOptions>(services, configuration, CaptureOptions.SectionName);
        AddSection<PipelineOptions>(services, configuration, PipelineOptions.SectionName);
        AddSection<TrackingOptions>(services, configuration, TrackingOptions.SectionName);
        AddSection<RecognitionOptions>(services, configuration, RecognitionOptions.SectionName);
        AddSection<IdentityOptions>(services, configuration, IdentityOptions.SectionName);
        services.AddSingleton<IValidateOptions<IdentityOptions>, IdentityOptionsValidator>();
        AddSection<GalleryOptions>(services, configuration, GalleryOptions.SectionName);
        services.AddSingleton<IValidateOptions<GalleryOptions>, GalleryOptionsValidator>();
        AddSection<DemoOptions>(services, configuration, DemoOptions.SectionName);
        AddSection<ModelsOptions>(services, configuration, ModelsOptions.SectionName);
        services.AddSingleton<IValidateOptions<ModelsOptions>, DaemonModelsValidator>();
        AddSection<MtcnnOptions>(services, configuration, MtcnnOptions.SectionName);
        services.AddSingleton<IValidateOptions<MtcnnOptions>, MtcnnOptionsValidator>();
        AddSection<GatingOptions>(services, configuration, GatingOptions.SectionName);
        services.AddSingleton<IValidateOptions<GatingOptions>, GatingOptionsValidator>();
        AddSection<EmbeddingOptions>(services, configuration, EmbeddingOptions.SectionName);
        AddSection<ImageOptions>(services, configuration, ImageOptions.SectionName);

        services.TryAddSingleton<InferenceSessionFactory>();
        services.TryAddSingleton<IFrameSourceFactory, FrameSourceFactory>();
        services.TryAddSingleton<MtcnnDetector>();
        services.TryAddSingleton<IFaceDetector>(sp => sp.GetRequiredService<MtcnnDetector>());
        services.TryAddSingleton<OnnxFaceEmbedder>();
        services.TryAddSingleton<IFaceEmbedder>(sp => sp.GetRequiredService<OnnxFaceEmbedder>());
        services.AddSingleton<PipelineService>();
        services.AddHostedService(sp => sp.GetRequiredService<PipelineService>());
        return services;
    }

    /// <summary>Binds a section strictly (unknown keys and mistyped values fail), with data annotations checked at start (failures name the key).</summary>
    public static OptionsBuilder<T> AddSection<T>(IServiceCollection services, IConfiguration configuration, string sectionName)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IValidateOptions<T>>(new KeyedAnnotationsValidator<T>(sectionName));
        return services.AddOptions<T>()
            .Configure(o => StrictBinder.Bind(configuration, sectionName, o))
            .ValidateOnStart();
    }
}
