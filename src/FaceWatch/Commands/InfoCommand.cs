using System.CommandLine;
using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

using FaceWatch.Core.Models;
using FaceWatch.Hosting.Models;
namespace FaceWatch.Commands;

/// <summary><c>facewatch info</c>: version, models folder and hashes, the execution provider in use.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Print the version, the models folder and model hashes, and the ONNX Runtime execution provider in use.");
        command.SetAction(parseResult =>
        {
            var options = ModelsCommand.LoadOptions(parseResult);
            var version = typeof(InfoCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
            Console.WriteLine($"facewatch {version}");
            Console.WriteLine($"ONNX Runtime providers available: {string.Join(", ", OrtEnv.Instance().GetAvailableProviders())}");
            Console.WriteLine($"Models:Provider: {options.Provider}, Models:Threads: {options.ThreadsOrAllCores()}, Models:Optimization: {options.Optimization}");
            var exitCode = 0;
            string dir;
            try
            {
                var factory = new InferenceSessionFactory(Options.Create(options), NullLoggerFactory.Instance);
                dir = factory.ModelsDirectory;
                Console.WriteLine($"Provider in use: {factory.ProviderInUse}");
            }
            catch (InvalidOperationException e)
            {
                dir = InferenceSessionFactory.ResolveModelsDirectory(options.Dir);
                Console.WriteLine($"Provider in use: none ({e.Message})");
                exitCode = 1;
            }

            var manifest = ModelManifest.Embedded;
            Console.WriteLine($"Models dir: {dir}");
            Console.WriteLine($"Models from: {manifest.PackageSpec} ({manifest.Licence}), tarball SHA-256 {manifest.TarballSha256}");
            foreach (var s in new ModelFetcher(manifest: manifest).Verify(dir))
            {
                var state = s.Ok ? "ok" : s.Exists ? $"CORRUPT (SHA-256 {s.Sha256})" : "missing";
                Console.WriteLine($"  {s.Entry.File,-20} {s.Entry.Sha256}  {state}");
            }

            return exitCode;
        });
        return command;
    }
}
