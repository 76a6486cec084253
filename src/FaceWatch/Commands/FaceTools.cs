using System.ComponentModel.DataAnnotations;
using FaceWatch.Configuration;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identification;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

using FaceWatch.Core.Imaging;
using FaceWatch.Core.Models;
using FaceWatch.Core.Configuration;
using FaceWatch.Hosting.Models;
namespace FaceWatch.Commands;

/// <summary>
/// What the face verbs (enroll, evaluate, identify, embed) share: settings from the one configuration scheme,
/// the detector (only when needed), the embedder, the photo reader and the gallery path. Owns the sessions.
/// </summary>
internal sealed class FaceTools : IDisposable
{
    /// <summary>Setting with the default gallery file; the verbs fall back to <see cref="DefaultGalleryFile"/>.</summary>
    public const string GalleryPathKey = "Gallery:Path";

    public const string DefaultGalleryFile = "gallery.json";

    private readonly MtcnnDetector? _detector;
    private readonly string? _configuredGallery;
    private GalleryCalibration? _calibration;

    private FaceTools(IConfiguration config, bool needDetector)
    {
        var models = Bind<ModelsOptions>(config, ModelsOptions.SectionName);
        var embedding = Bind<EmbeddingOptions>(config, EmbeddingOptions.SectionName);
        var images = Bind<ImageOptions>(config, ImageOptions.SectionName);
        // Only the path is read here: the daemon owns the Gallery section's options class.
        _configuredGallery = config[GalleryPathKey];
        var sessions = ModelFetcher.SessionsFor(models);
        Embedder = new OnnxFaceEmbedder(sessions, Options.Create(embedding));
        try
        {
            if (needDetector)
            {
                _detector = new MtcnnDetector(sessions, Options.Create(Bind<MtcnnOptions>(config, MtcnnOptions.SectionName)));
            }

            var size = Embedder.InputSize;
            Reader = new PhotoFaceReader(
                (IFaceDetector?)_detector ?? NoDetector.Instance, (image, face) => FaceAligner.Align(image, face.Landmarks, size), images.MaxPixels);
        }
        catch
        {
            _detector?.Dispose();
            Embedder.Dispose();
            throw;
        }
    }

    public OnnxFaceEmbedder Embedder { get; }

    public PhotoFaceReader Reader { get; }

    /// <summary>The MTCNN detector (only when made with <c>needDetector</c>).</summary>
    public IFaceDetector Detector => _detector ?? throw new InvalidOperationException("No detector loaded (aligned mode).");

    public static FaceTools Create(string? configFile, bool needDetector) =>
        new(FaceWatchConfiguration.Build(configFile), needDetector);

    /// <summary>For a verb that reads more of the configuration itself (<c>enroll --camera</c> reads <c>Cameras</c>).</summary>
    public static FaceTools Create(IConfiguration config, bool needDetector) => new(config, needDetector);

    /// <summary><c>--gallery</c> if given, else <c>Gallery:Path</c>, else <c>gallery.json</c> in the working directory.</summary>
    public string GalleryPath(string? option) =>
        Path.GetFullPath(!string.IsNullOrWhiteSpace(option) ? option
            : !string.IsNullOrWhiteSpace(_configuredGallery) ? _configuredGallery : DefaultGalleryFile);

    public Gallery LoadGallery(string? option) => GalleryStore.Load(GalleryPath(option), Embedder.Identity, Calibration.Prior);

    /// <summary>The embedding model's prior: <c>MODEL.prior.json</c> beside the model if it matches, else the shipped one (or none).</summary>
    public GalleryCalibration Calibration => _calibration ??= new(ScorePrior.For(Embedder.ModelId, Embedder.ModelPath));

    public FolderEnroller Enroller(GalleryCalibration? calibration = null) => new(Reader, Embedder, Embedder.Identity, TimeProvider.System, calibration ?? Calibration);

    /// <summary>The embedding of every face of <paramref name="photo"/>, in its face order (none for no face).</summary>
    public float[][] Embed(PhotoFaces photo) => Embedder.Embed(photo.Faces.Select(f => f.Crop).ToArray());

    public void Dispose()
    {
        _detector?.Dispose();
        Embedder.Dispose();
    }

    /// <summary>One options section for the CLI verbs, checked as the daemon checks it (key named, value told in words).</summary>
    internal static T Bind<T>(IConfiguration config, string section)
        where T : class, new()
    {
        // The daemon's checks: unknown keys and wrong-typed values named by key, in words, before the binder sees them.
        ConfigurationChecks.ThrowIfInvalid<T>(config.GetSection(section));
        var options = config.GetSection(section).Get<T>(o => o.ErrorOnUnknownConfiguration = true) ?? new T();
        var failures = ConfigurationChecks.AnnotationFailures(options, section).ToList();
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(section, typeof(T), failures);
        }

        return options;
    }

    /// <summary>For <c>--aligned</c> runs: the reader never asks a detector.</summary>
    private sealed class NoDetector : IFaceDetector
    {
        public static readonly NoDetector Instance = new();

        public IReadOnlyList<FaceDetection> Detect(OpenCvSharp.Mat image, int? minFaceSize = null) =>
            throw new InvalidOperationException("No detector loaded (aligned mode).");
    }
}
