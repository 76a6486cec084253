using FaceWatch.Core.Configuration;
using FaceWatch.Core.Models;
using FaceWatch.Pipeline.Capture;
using Microsoft.Extensions.Options;

namespace FaceWatch.Hosting;

/// <summary>Each camera's annotations, names unique, URLs readable, sizes complete; every failure names its key.</summary>
public sealed class CamerasOptionsValidator : IValidateOptions<CamerasOptions>
{
    public ValidateOptionsResult Validate(string? name, CamerasOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var topicLevels = new Dictionary<string, int>(StringComparer.Ordinal);
        var discoveryIds = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Items.Count; i++)
        {
            var camera = options.Items[i];
            var key = $"{CamerasOptions.SectionName}:{i}";
            failures.AddRange(ConfigurationChecks.AnnotationFailures(camera, key));

            if (!string.IsNullOrEmpty(camera.Name))
            {
                if (seen.TryGetValue(camera.Name, out var first))
                {
                    failures.Add($"{key}:Name: camera name '{camera.Name}' is already used by {CamerasOptions.SectionName}:{first}");
                }
                else
                {
                    seen[camera.Name] = i;
                    // names that differ only in what topics and Home Assistant ids cannot hold would share topics/entities
                    var level = Pipeline.Publishing.MqttTopics.SanitizeSegment(camera.Name);
                    var id = Pipeline.Publishing.MqttTopics.DiscoveryId(camera.Name);
                    if (topicLevels.TryGetValue(level, out var sameLevel))
                    {
                        failures.Add($"{key}:Name: camera name '{camera.Name}' gives the MQTT topic level '{level}', as {CamerasOptions.SectionName}:{sameLevel} does; rename one");
                    }
                    else if (discoveryIds.TryGetValue(id, out var sameId))
                    {
                        failures.Add($"{key}:Name: camera name '{camera.Name}' gives the Home Assistant id '{id}', as {CamerasOptions.SectionName}:{sameId} does; rename one");
                    }

                    topicLevels.TryAdd(level, i);
                    discoveryIds.TryAdd(id, i);
                }
            }

            if (!string.IsNullOrEmpty(camera.Source) && SourceClassifier.Classify(camera.Source) == SourceKind.Url
                && SourceClassifier.ValidateUrl(camera.Source) is { } urlProblem)
            {
                failures.Add($"{key}:Source: {urlProblem}");
            }

            if ((camera.Width > 0) != (camera.Height > 0))
            {
                failures.Add($"{key}:Width: set both Width and Height, or neither");
            }
            else if (camera.Width > 0 && camera.MinFaceSize > Math.Min(camera.Width, camera.Height))
            {
                failures.Add($"{key}:MinFaceSize: {camera.MinFaceSize} is larger than the frame's shorter side ({camera.Width}x{camera.Height}); no face could ever be found");
            }

            for (var m = 0; m < camera.MotionMasks.Count; m++)
            {
                var mask = camera.MotionMasks[m];
                var maskKey = $"{key}:MotionMasks:{m}";
                var maskFailures = ConfigurationChecks.AnnotationFailures(mask, maskKey).ToList();
                failures.AddRange(maskFailures);
                if (maskFailures.Count == 0 && (mask.Width <= 0 || mask.Height <= 0 || mask.X + mask.Width > 1.0001 || mask.Y + mask.Height > 1.0001))
                {
                    failures.Add($"{maskKey}: a mask is X, Y, Width, Height in fractions of the frame, non-empty and inside it (X + Width <= 1, Y + Height <= 1); was {mask.X}, {mask.Y}, {mask.Width}, {mask.Height}");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>A configured gallery file must exist.</summary>
public sealed class GalleryOptionsValidator : IValidateOptions<GalleryOptions>
{
    public ValidateOptionsResult Validate(string? name, GalleryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Path) || File.Exists(options.Path))
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(
            $"{GalleryOptions.SectionName}:Path: gallery file '{Path.GetFullPath(options.Path)}' does not exist; create it with 'facewatch enroll <folder> --gallery {options.Path}'");
    }
}

/// <summary>The daemon's model files must be in the models folder.</summary>
public sealed class DaemonModelsValidator : IValidateOptions<ModelsOptions>
{
    private static readonly string[] Required = [ModelFiles.PNet, ModelFiles.RNet, ModelFiles.ONet];

    public ValidateOptionsResult Validate(string? name, ModelsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var dir = InferenceSessionFactory.ResolveModelsDirectory(options.Dir);
        var missing = Required.Select(f => Path.Combine(dir, f)).Where(p => !File.Exists(p)).ToList();
        return missing.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"{ModelsOptions.SectionName}:Dir: model file(s) {string.Join(", ", missing.Select(m => $"'{m}'"))} missing; run 'facewatch models fetch --dir {dir}' or set Models:Dir");
    }
}
