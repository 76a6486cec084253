using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace FaceWatch.Core.Models;

// Size: every ONNX Runtime session option (provider choice, threads, arena, memory pattern, fixed shapes, hash check) is decided here once; the 7-parameter constructor is internal, for tests injecting providers and a fetcher.
/// <summary>
/// Makes ONNX Runtime sessions from <see cref="ModelsOptions"/>: one place decides the models folder,
/// the execution provider and the thread count. Sessions are shared by all cameras, one per model.
/// Missing models are fetched on first use (<c>Models:AutoFetch</c>); every file is hash-checked before it loads.
/// </summary>
public sealed class InferenceSessionFactory
{
    public const string CpuProvider = "CPUExecutionProvider";
    public const string CudaProvider = "CUDAExecutionProvider";
    public const string DirectMLProvider = "DmlExecutionProvider";

    private static readonly Lock SharedArenaGate = new();
    private static bool s_sharedArenaRegistered;

    private readonly ModelsOptions _options;
    private readonly ILogger _logger;
    private readonly IModelFetcher? _fetcher;
    private readonly Lock _fetchLock = new();
    private readonly Func<SessionOptions, string, bool> _appendProvider;

    public InferenceSessionFactory(IOptions<ModelsOptions> options)
        : this(options, NullLoggerFactory.Instance)
    {
    }

    /// <param name="fetcher">Fetches missing models (<c>Models:AutoFetch</c>); without one a missing model fails with the command that fetches it.</param>
    public InferenceSessionFactory(IOptions<ModelsOptions> options, ILoggerFactory loggerFactory, IModelFetcher? fetcher = null)
        : this(options, loggerFactory, null, null, fetcher)
    {
    }

    /// <param name="availableProviders">The providers this build has; null asks ONNX Runtime (tests inject others).</param>
    /// <param name="appendProvider">Enables a GPU provider on session options; null uses ONNX Runtime (tests inject failures).</param>
    internal InferenceSessionFactory(
        IOptions<ModelsOptions> options,
        ILoggerFactory loggerFactory,
        IReadOnlyList<string>? availableProviders,
        Func<SessionOptions, string, bool>? appendProvider,
        IModelFetcher? fetcher = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = options.Value;
        _logger = loggerFactory.CreateLogger<InferenceSessionFactory>();
        _fetcher = fetcher;
        _appendProvider = appendProvider ?? AppendProvider;
        ModelsDirectory = ResolveModelsDirectory(_options.Dir);
        AvailableProviders = availableProviders ?? OrtEnv.Instance().GetAvailableProviders();
        ProviderInUse = SelectProvider();
        Log.ProviderSelected(_logger, ProviderInUse, _options.Provider, string.Join(", ", AvailableProviders));
    }

    /// <summary>The folder the models are read from.</summary>
    public string ModelsDirectory { get; }

    /// <summary>The execution provider sessions run on (an ONNX Runtime provider name, e.g. <c>CPUExecutionProvider</c>).</summary>
    public string ProviderInUse { get; }

    /// <summary>Execution providers compiled into this build's ONNX Runtime.</summary>
    public IReadOnlyList<string> AvailableProviders { get; }

    public string PathOf(string fileName) => Path.Combine(ModelsDirectory, fileName);

    /// <summary>The file to load for an MTCNN net: its float file, or the int8 variant when <c>Models:*Precision</c> asks for it.</summary>
    public string FileOf(string floatFile) => ModelFiles.For(floatFile, floatFile switch
    {
        ModelFiles.PNet => _options.PNetPrecision,
        ModelFiles.RNet => _options.RNetPrecision,
        ModelFiles.ONet => _options.ONetPrecision,
        _ => ModelPrecision.Float32,
    });

    /// <summary>Opens <paramref name="fileName"/> from the models folder (or an absolute path).</summary>
    /// <param name="fixedDimensions">Symbolic input dimensions fixed for this session (free-dimension overrides), so ONNX Runtime plans for one shape.</param>
    /// <param name="memoryPattern">Overrides <c>Models:MemoryPattern</c> for this session (off where input shapes keep changing).</param>
    public InferenceSession Create(string fileName, int? threads = null, IReadOnlyDictionary<string, long>? fixedDimensions = null, bool? memoryPattern = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        var path = Path.IsPathRooted(fileName) ? fileName : PathOf(fileName);
        var directory = Path.GetDirectoryName(path)!;
        var entry = ModelManifest.Embedded.Models.FirstOrDefault(m => m.File == Path.GetFileName(path));
        if (!File.Exists(path))
        {
            if (_options.AutoFetch && entry is not null && _fetcher is not null)
            {
                FetchOnce(path, directory);
            }
            else
            {
                throw new FileNotFoundException(
                    $"Model file '{path}' is missing. Run 'facewatch models fetch --dir {directory}' to fetch and convert the models.", path);
            }
        }

        if (entry is not null)
        {
            var hash = ModelFiles.Sha256Of(path);
            if (!ModelFiles.HashMatches(hash, entry.Sha256))
            {
                throw new InvalidDataException(
                    $"Model file '{path}' is corrupt or truncated (SHA-256 {hash}, expected {entry.Sha256} from {ModelFiles.Manifest}). " +
                    $"Run 'facewatch models fetch --dir {directory}' to replace it.");
            }
        }

        using var sessionOptions = CreateSessionOptions(threads, fixedShape: fixedDimensions is { Count: > 0 });
        if (memoryPattern is { } pattern)
        {
            sessionOptions.EnableMemoryPattern = pattern;
        }

        foreach (var (dimension, value) in fixedDimensions ?? new Dictionary<string, long>())
        {
            sessionOptions.AddFreeDimensionOverrideByName(dimension, value);
        }

        try
        {
            return new InferenceSession(path, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException(
                $"ONNX Runtime cannot load model file '{path}': {e.Message}. Run 'facewatch models fetch --dir {directory}' to replace it.", e);
        }
    }

    /// <summary>Session options for the configured provider, threads, optimisation level and memory settings.</summary>
    /// <param name="fixedShape">
    /// The session is planned for one input shape: only then may it use the memory pattern (<c>Models:MemoryPattern</c>),
    /// which plans one block per input shape; R-Net, O-Net and the embedder see a new batch size nearly every call.
    /// </param>
    public SessionOptions CreateSessionOptions(int? threads = null, bool fixedShape = false)
    {
        // Owned from the first line: a setter that throws (e.g. a bad thread count) must not leak the native options.
        var sessionOptions = new SessionOptions();
        try
        {
            sessionOptions.GraphOptimizationLevel = _options.Optimization switch
            {
                ModelOptimizationLevel.None => GraphOptimizationLevel.ORT_DISABLE_ALL,
                ModelOptimizationLevel.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                ModelOptimizationLevel.Extended => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            sessionOptions.IntraOpNumThreads = threads ?? _options.ThreadsOrAllCores();
            sessionOptions.InterOpNumThreads = 1;
            sessionOptions.ExecutionMode = ExecutionMode.ORT_SEQUENTIAL;
            sessionOptions.EnableMemoryPattern = _options.MemoryPattern && fixedShape;
            sessionOptions.EnableCpuMemArena = _options.CpuMemArena;
            if (_options.CpuMemArena && _options.SharedArena)
            {
                RegisterSharedArena();
                sessionOptions.AddSessionConfigEntry("session.use_env_allocators", "1");
            }

            var spin = _options.AllowSpinning ? "1" : "0";
            sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", spin);
            sessionOptions.AddSessionConfigEntry("session.inter_op.allow_spinning", spin);
            if (ProviderInUse != CpuProvider && !_appendProvider(sessionOptions, ProviderInUse))
            {
                throw new InvalidOperationException($"Execution provider {ProviderInUse} could not be enabled.");
            }
        }
        catch
        {
            sessionOptions.Dispose();
            throw;
        }

        return sessionOptions;
    }

    /// <summary>
    /// Registers the one CPU arena all sessions of this process share (once; ONNX Runtime refuses a second one for the
    /// same memory). One arena per session kept each session's own high-water mark, so the sessions never reused
    /// each other's free buffers (P-Net, R-Net, O-Net and the embedder run one after another).
    /// </summary>
    private static void RegisterSharedArena()
    {
        lock (SharedArenaGate)
        {
            if (s_sharedArenaRegistered)
            {
                return;
            }

            // ONNX Runtime's defaults (-1): no limit, regions doubling in size (kNextPowerOfTwo), its chunk rules.
            // Shared, the doubling serves every session from a few large regions; kSameAsRequested left many odd-sized
            // ones that a slightly larger batch could not reuse (+75 MB measured, docs/performance-memory.md).
            using var memory = new OrtMemoryInfo(OrtMemoryInfo.allocatorCPU, OrtAllocatorType.ArenaAllocator, 0, OrtMemType.Default);
            using var arena = new OrtArenaCfg(0, -1, -1, -1);
            OrtEnv.Instance().CreateAndRegisterAllocator(memory, arena);
            s_sharedArenaRegistered = true;
        }
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

    private void FetchOnce(string path, string directory)
    {
        lock (_fetchLock)
        {
            if (!File.Exists(path))
            {
                Log.AutoFetching(_logger, Path.GetFileName(path), directory);
                _fetcher!.FetchInto(directory);
            }
        }
    }

    private string SelectProvider()
    {
        var requested = _options.Provider;
        if (requested == ExecutionProviderKind.Cpu)
        {
            return CpuProvider;
        }

        string[] candidates = requested switch
        {
            ExecutionProviderKind.Cuda => [CudaProvider],
            ExecutionProviderKind.DirectML => [DirectMLProvider],
            _ => [CudaProvider, DirectMLProvider],
        };
        foreach (var provider in candidates)
        {
            if (!AvailableProviders.Contains(provider))
            {
                if (requested != ExecutionProviderKind.Auto)
                {
                    throw new InvalidOperationException(
                        $"Models:Provider is '{requested}', but this build of FaceWatch has no {provider} (available: {string.Join(", ", AvailableProviders)}). " +
                        (requested == ExecutionProviderKind.Cuda
                            ? "Build with -p:FaceWatchGpu=Cuda on a machine with CUDA, or set Models:Provider to Cpu or Auto."
                            : "DirectML is only in Windows builds; set Models:Provider to Cpu or Auto."));
                }

                continue;
            }

            // Probe: the provider library may be present while its drivers (CUDA, GPU) are not.
            string reason;
            try
            {
                using var probe = new SessionOptions();
                if (_appendProvider(probe, provider))
                {
                    return provider;
                }

                reason = "not supported by this build";
            }
            catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
            {
                reason = e.Message;
            }

            if (requested != ExecutionProviderKind.Auto)
            {
                throw new InvalidOperationException(
                    $"Models:Provider is '{requested}', but {provider} could not be enabled: {reason}. Check the GPU driver and CUDA/cuDNN install, or set Models:Provider to Cpu or Auto.");
            }

            Log.ProviderFailed(_logger, provider, reason);
        }

        return CpuProvider;
    }

    private static bool AppendProvider(SessionOptions sessionOptions, string provider)
    {
        switch (provider)
        {
            case CudaProvider:
                sessionOptions.AppendExecutionProvider_CUDA(0);
                return true;
            case DirectMLProvider:
                sessionOptions.AppendExecutionProvider_DML(0);
                return true;
            default:
                return false;
        }
    }
}
