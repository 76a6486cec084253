using FaceWatch.Configuration;
using FaceWatch.Pipeline.Detection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

using FaceWatch.Core.Imaging;
using FaceWatch.Core.Models;
using FaceWatch.Hosting.Models;
namespace FaceWatch.Commands;

/// <summary>Builds an <see cref="MtcnnDetector"/> for the CLI verbs from the layered configuration.</summary>
internal static class DetectorSetup
{
    public static MtcnnDetector Create(string? configFile, Action<MtcnnOptions>? overrides = null)
    {
        var configuration = FaceWatchConfiguration.Build(configFile);
        var models = Bind<ModelsOptions>(configuration, ModelsOptions.SectionName);
        var detection = Bind<MtcnnOptions>(configuration, MtcnnOptions.SectionName);
        overrides?.Invoke(detection);
        MtcnnOptionsValidator.ThrowIfInvalid(detection);
        var factory = ModelFetcher.SessionsFor(models);
        return new MtcnnDetector(factory, Options.Create(detection));
    }

    /// <summary>The <c>Images</c> section (pixel limit of the photos read), validated.</summary>
    public static ImageOptions Images(string? configFile) =>
        FaceTools.Bind<ImageOptions>(FaceWatchConfiguration.Build(configFile), ImageOptions.SectionName);

    /// <summary>Errors that mean "fix your settings or models", reported as one line instead of a stack trace.</summary>
    public static bool IsSetupError(Exception e) =>
        e is OptionsValidationException or IOException or InvalidDataException or InvalidOperationException or UnauthorizedAccessException;

    private static T Bind<T>(IConfiguration configuration, string section)
        where T : class, new() => FaceTools.Bind<T>(configuration, section);
}
