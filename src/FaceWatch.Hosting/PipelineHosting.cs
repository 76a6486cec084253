using FaceWatch.Core.Configuration;
using FaceWatch.Core.Health;
using FaceWatch.Core.Imaging;
using FaceWatch.Core.Models;
using FaceWatch.Hosting.Models;
using FaceWatch.Hosting.Strangers;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.LiveView;
using FaceWatch.Pipeline.Motion;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Tracking;
using FaceWatch.Pipeline.Workers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceWatch.Hosting;

/// <summary>
/// The pipeline's composition root: options (one class per section, validated at start), the shared stages (one ONNX
/// session per model), the gallery, the metrics, the pipeline and the service that runs it. Nothing else builds them.
/// </summary>
public static class PipelineHosting
{
    public static IServiceCollection AddFaceWatchPipeline(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CameraHealthRegistry>();
        services.TryAddSingleton<IdentityEventHub>();
        services.TryAddSingleton<FaceWatchMetrics>();
        services.TryAddSingleton<DetectionMetrics>();
        AddOptions(services, configuration);

        services.TryAddSingleton<IModelFetcher>(sp => new ModelFetcher(sp.GetRequiredService<ILogger<ModelFetcher>>()));
        services.TryAddSingleton<InferenceSessionFactory>();
        services.TryAddSingleton<IFrameSourceFactory, FrameSourceFactory>();
        services.TryAddSingleton<MtcnnDetector>();
        services.TryAddSingleton<IFaceDetector>(sp => sp.GetRequiredService<MtcnnDetector>());
        services.TryAddSingleton<OnnxFaceEmbedder>();
        // Every embedding batch lands in facewatch.embedding.duration.
        services.TryAddSingleton<IFaceEmbedder>(sp => new TimedFaceEmbedder(sp.GetRequiredService<OnnxFaceEmbedder>(), sp.GetRequiredService<FaceWatchMetrics>()));

        services.TryAddSingleton<DaemonCameras>();
        services.TryAddSingleton<IConfiguredCameras>(sp => sp.GetRequiredService<DaemonCameras>());
        services.TryAddSingleton(sp => new GalleryWatcher(
            sp.GetRequiredService<IOptions<GalleryOptions>>().Value.Path,
            DemoGallery.ModelOf(sp.GetRequiredService<IFaceEmbedder>()),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<GalleryWatcher>>()));
        services.TryAddSingleton<IGalleryStatus>(sp => sp.GetRequiredService<GalleryWatcher>());
        services.TryAddSingleton<IEnrolledPeople>(sp => sp.GetRequiredService<GalleryWatcher>());
        services.TryAddSingleton<DemoGalleryLoader>();
        // The review of remembered strangers (web view, `facewatch strangers`); without a stranger store it answers "disabled".
        services.TryAddSingleton(sp => new StrangerActions(
            sp.GetService<IStrangerBook>(), sp.GetRequiredService<GalleryWatcher>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(Settings);
        services.TryAddSingleton(Stages);
        services.TryAddSingleton<FaceWatchPipeline>();
        // Before the pipeline service: the host stops it after the pipeline, so the last strangers' visits are kept.
        services.AddFaceWatchStrangers(configuration);
        services.AddSingleton<PipelineService>();
        services.AddHostedService(sp => sp.GetRequiredService<PipelineService>());
        services.AddHostedService<PipelineQueueMetrics>();
        return services;
    }

    private static void AddOptions(IServiceCollection services, IConfiguration configuration)
    {
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
        services.AddSection<CaptureOptions>(configuration, CaptureOptions.SectionName);
        services.AddSingleton<IValidateOptions<CaptureOptions>, CaptureOptionsValidator>();
        services.AddSection<PipelineOptions>(configuration, PipelineOptions.SectionName);
        services.AddSection<TrackingOptions>(configuration, TrackingOptions.SectionName);
        services.AddSection<RecognitionOptions>(configuration, RecognitionOptions.SectionName);
        services.AddSingleton<IValidateOptions<RecognitionOptions>, RecognitionOptionsValidator>();
        services.AddSection<IdentityOptions>(configuration, IdentityOptions.SectionName);
        services.AddSingleton<IValidateOptions<IdentityOptions>, IdentityOptionsValidator>();
        services.AddSection<GalleryOptions>(configuration, GalleryOptions.SectionName);
        services.AddSingleton<IValidateOptions<GalleryOptions>, GalleryOptionsValidator>();
        services.AddSection<DemoOptions>(configuration, DemoOptions.SectionName);
        services.AddSection<ModelsOptions>(configuration, ModelsOptions.SectionName);
        services.AddSingleton<IValidateOptions<ModelsOptions>, DaemonModelsValidator>();
        services.AddSection<MtcnnOptions>(configuration, MtcnnOptions.SectionName);
        services.AddSingleton<IValidateOptions<MtcnnOptions>, MtcnnOptionsValidator>();
        services.AddSection<GatingOptions>(configuration, GatingOptions.SectionName);
        services.AddSingleton<IValidateOptions<GatingOptions>, GatingOptionsValidator>();
        services.AddSection<EmbeddingOptions>(configuration, EmbeddingOptions.SectionName);
        services.AddSection<ImageOptions>(configuration, ImageOptions.SectionName);
    }

    private static PipelineSettings Settings(IServiceProvider sp) => new(
        sp.GetRequiredService<DaemonCameras>().Cameras,
        Option<CaptureOptions>(sp),
        Option<PipelineOptions>(sp),
        Option<TrackingOptions>(sp),
        Option<RecognitionOptions>(sp),
        Option<IdentityOptions>(sp))
    {
        Gating = Option<GatingOptions>(sp),
        StrangerFaces = StrangersHosting.FacesPerVisit(Option<StrangerOptions>(sp)),
    };

    private static PipelineStages Stages(IServiceProvider sp)
    {
        var embedder = sp.GetRequiredService<IFaceEmbedder>();
        return new PipelineStages(
            sp.GetRequiredService<IFrameSourceFactory>(),
            sp.GetRequiredService<IFaceDetector>(),
            (frame, face) => FaceAligner.Align(frame, face.Landmarks, embedder.InputSize),
            embedder,
            sp.GetRequiredService<GalleryWatcher>(),
            [.. sp.GetServices<IFrameAnnotationSink>()]);
    }

    private static T Option<T>(IServiceProvider sp)
        where T : class => sp.GetRequiredService<IOptions<T>>().Value;
}
