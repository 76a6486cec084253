using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace FaceWatch.Pipeline.Models;

/// <summary>
/// Makes ONNX Runtime sessions from <see cref="ModelsOptions"/>: one place decides the models folder,
/// the execution provider and the thread count. Sessions are shared by all cameras, one per model.
/// </summary>
public sealed class InferenceSessionFactory
{
    private readonly ModelsOptions _options;

    public InferenceSessionFactory(IOptions<ModelsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        ModelsDirectory = ResolveModelsDirectory(_options.Dir);
    }

    /// <summary>The folder the models are read from.</summary>
    public string ModelsDirectory { get; }

    /// <summary>The execution provider sessions run on.</summary>
    public string ProviderInUse => "CPU";

    public string PathOf(string fileName) => Path.Combine(ModelsDirectory, fileName);

    /// <summary>Opens <paramref name="fileName"/> from the models folder (or an absolute path).</summary>
    public InferenceSession Create(string fileName, int? threads = null)
    {
        var path = Path.IsPathRooted(fileName) ? fileName : PathOf(fileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"Model file '{path}' is missing. Run 'facewatch models fetch --dir {ModelsDirectory}' to fetch and convert the models.",
                path);
        }

        using var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = threads ?? (_options.Threads > 0 ? _options.Threads : Environment.ProcessorCount),
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        return new InferenceSession(path, sessionOptions);
    }

    /// <summary><c>Models:Dir</c> if set; else <c>models/</c> in the working directory; else next to the executable.</summary>
    public static string ResolveModelsDirectory(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(configured);
        }

        var inWorkingDir = Path.GetFullPath("models");
        if (Directory.Exists(inWorkingDir))
        {
            return inWorkingDir;
        }

        return Path.Combine(AppContext.BaseDirectory, "models");
    }
}
